/**
 * `s3ferry status | queue`: what the running agent (or, when none answers, the journal) says about
 * the jobs and the files. Each is one call of the control service (control-session.ts).
 */
import type { Command } from 'commander';
import type { QueueSection } from '../control/control-service.js';
import { EXIT } from '../errors/codes.js';
import { addClientOptions, type ClientOptions } from './agent-client.js';
import {
  agentStatusText,
  everyDestinationDown,
  journalStatusText,
  queueText,
} from './control-format.js';
import { countOption, print, withControl } from './control-session.js';

export function registerInspect(program: Command): void {
  addClientOptions(
    program
      .command('status')
      .description(
        'jobs, destination health (cause and fix), source problems and file counts; exits 3 when every destination is unhealthy',
      ),
  ).action(async (opts: ClientOptions) => {
    process.exitCode = await withControl(opts, async (control) => {
      const s = await control.status();
      if (!s.running) {
        print(s, opts.json, () => journalStatusText(s));
        return 0;
      }
      const url = control.source.kind === 'agent' ? control.source.url : '';
      print(s, opts.json, () => agentStatusText(s, url));
      // documented (docs/errors.md): the agent runs but nothing can be uploaded
      return everyDestinationDown(s) ? EXIT.destination : 0;
    });
  });

  addClientOptions(
    program
      .command('queue')
      .description('pending files, and parked ones with their reasons (--skipped: skipped files)'),
  )
    .option('--skipped', 'files not sent on purpose (the key exists, a duplicate), with the reason')
    .option('--job <name>', 'only the files of this job')
    .option('--limit <n>', 'rows per section', '100')
    .action(async (opts: ClientOptions & { skipped?: boolean; job?: string; limit: string }) => {
      process.exitCode = await withControl(opts, async (control) => {
        const sections: QueueSection[] =
          opts.skipped === true ? ['skipped'] : ['pending', 'parked'];
        const view = await control.queue({
          sections,
          limit: countOption('--limit', opts.limit),
          ...(opts.job === undefined ? {} : { job: opts.job }),
        });
        const json = {
          ...Object.fromEntries(sections.map((s) => [s, view[s]?.items ?? []])),
          totals: Object.fromEntries(sections.map((s) => [s, view[s]?.total ?? 0])),
        };
        print(json, opts.json, () => queueText(view, sections));
        return undefined;
      });
    });
}
