/**
 * `s3ferry bwlimit [RATE|off|reset] [--for DURATION] [--destination NAME]`: shows the running
 * agent's bandwidth limits, or overrides one for a while (docs/bandwidth.md): for --for, else until
 * the timetable next changes the limit; `reset` ends the override. The limits are the agent's own
 * (not the journal's), so it needs the agent.
 */
import type { Command } from 'commander';
import type { BandwidthChange } from '../control/control-service.js';
import { parseRate, rateProblem } from '../domain/bandwidth-timetable.js';
import { AppError } from '../errors/app-error.js';
import { addClientOptions, type ClientOptions } from './agent-client.js';
import { bandwidthLines } from './bandwidth-format.js';
import { durationOption } from './common-options.js';
import { print, withControl } from './control-session.js';

interface BwlimitOptions extends ClientOptions {
  for?: string;
  destination?: string;
}

const EXAMPLES = 'e.g. s3ferry bwlimit 2MiB --for 2h, s3ferry bwlimit off, s3ferry bwlimit reset';

/** The change the arguments ask for; undefined: only show. ERR_USAGE for what makes no sense. */
function changeOf(rate: string | undefined, opts: BwlimitOptions): BandwidthChange | undefined {
  const where = opts.destination === undefined ? {} : { destination: opts.destination };
  if (rate === undefined) {
    if (opts.for !== undefined)
      throw new AppError('ERR_USAGE', '--for needs a rate: how fast, for that long', {
        hint: EXAMPLES,
      });
    return undefined;
  }
  if (/^reset$/i.test(rate)) {
    if (opts.for !== undefined)
      throw new AppError('ERR_USAGE', 'reset ends the override now: it takes no --for', {
        hint: EXAMPLES,
      });
    return { ...where, reset: true };
  }
  const bytesPerSec = parseRate(rate);
  if (bytesPerSec === undefined)
    throw new AppError('ERR_USAGE', rateProblem(rate), { hint: EXAMPLES });
  const forMs = opts.for === undefined ? undefined : durationOption('--for', opts.for);
  return { ...where, bytesPerSec, ...(forMs === undefined ? {} : { forMs }) };
}

export function registerBwlimit(program: Command): void {
  addClientOptions(
    program
      .command('bwlimit')
      .description(
        "show the running agent's bandwidth limits, or change one for a while (until the timetable next changes it, or --for)",
      )
      .argument(
        '[rate]',
        'bytes per second like 2MiB or 512k, off (no limit), or reset (the configured limit again); omitted: show the limits',
      )
      .option(
        '--for <duration>',
        'the change lasts this long, e.g. 2h (default: until the timetable next changes the limit)',
      )
      .option(
        '--destination <name>',
        "one destination (as status names it, or its entry under destinations:); default: the agent's limit over all destinations",
      ),
  ).action(async (rate: string | undefined, opts: BwlimitOptions) => {
    process.exitCode = await withControl(
      opts,
      async (control) => {
        const change = changeOf(rate, opts);
        const view =
          change === undefined ? await control.bwlimit() : await control.setBwlimit(change);
        print(view, opts.json, () => bandwidthLines(view, true).join('\n'));
        return undefined;
      },
      true,
    );
  });
}
