/**
 * `s3ferry transfers | reload | backfill`: what only the running agent can do (its live uploads,
 * its configuration, its sources), found as every command finds it (agent-client.ts). Each is one
 * call of the control service (`transfers --watch` the same call again each interval).
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BackfillResult, ControlService } from '../control/control-service.js';
import { AppError } from '../errors/app-error.js';
import { durationOption } from './common-options.js';
import { addClientOptions, type ClientOptions } from './agent-client.js';
import { transfersText } from './control-format.js';
import { print, withControl } from './control-session.js';

const GLOB_CHARS = /[*?[\]{}]/;

/** Until Ctrl-C (SIGINT) or SIGTERM: then resolves, and the command ends with exit 0. */
function stopped(): { promise: Promise<void>; signal: AbortSignal } {
  const ac = new AbortController();
  const promise = new Promise<void>((done) => {
    const stop = (): void => {
      ac.abort();
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return { promise, signal: ac.signal };
}

async function watchTransfers(
  control: ControlService,
  opts: ClientOptions & { interval: string },
): Promise<void> {
  const every = durationOption('--interval', opts.interval);
  const stop = stopped();
  const tty = process.stdout.isTTY && opts.json !== true;
  while (!stop.signal.aborted) {
    const items = await control.transfers();
    if (tty) process.stdout.write('\x1b[H\x1b[2J'); // the terminal shows the latest view only
    print({ at: Date.now(), items }, opts.json, () =>
      tty ? transfersText(items) : `${new Date().toISOString()}\n${transfersText(items)}\n`,
    );
    await Promise.race([new Promise((r) => setTimeout(r, every)), stop.promise]);
  }
}

/** The paths and the glob of `backfill`'s arguments: what exists here is a path, else a glob. */
function backfillRequest(args: readonly string[]): { paths?: string[]; glob?: string } {
  const globs = args.filter((a) => GLOB_CHARS.test(a) && !existsSync(a));
  if (globs.length > 1)
    throw new AppError('ERR_USAGE', `give one glob at a time (got ${globs.join(', ')})`, {
      hint: 'quote the glob, e.g. "**/*.mp4", so that the shell does not expand it',
    });
  // A path that exists here is taken as it is meant here; another is tried under each source.
  const paths = args.filter((a) => !globs.includes(a)).map((a) => (existsSync(a) ? resolve(a) : a));
  return {
    ...(paths.length === 0 ? {} : { paths }),
    ...(globs[0] === undefined ? {} : { glob: globs[0] }),
  };
}

function backfillText(r: BackfillResult): string {
  return [
    `queued ${r.queued.length} file(s)`,
    ...r.queued.map((q) => `  #${q.fileId} ${q.path}`),
    ...(r.skipped.length === 0 ? [] : [`not queued (${r.skipped.length}):`]),
    ...r.skipped.map((s) => `  ${s.path}: ${s.reason}`),
  ].join('\n');
}

export function registerAgentCommands(program: Command): void {
  addClientOptions(
    program
      .command('transfers')
      .description("the running agent's uploads now: progress, speed, time left")
      .option('--watch', 'show them again every interval until Ctrl-C')
      .option('--interval <duration>', 'how often --watch looks', '1s'),
  ).action(async (opts: ClientOptions & { watch?: boolean; interval: string }) => {
    process.exitCode = await withControl(
      opts,
      async (control) => {
        if (opts.watch === true) await watchTransfers(control, opts);
        else {
          const items = await control.transfers();
          print(items, opts.json, () => transfersText(items));
        }
        return undefined;
      },
      true,
    );
  });

  addClientOptions(
    program
      .command('reload')
      .description('make the running agent read its configuration file again (as SIGHUP)'),
  ).action(async (opts: ClientOptions) => {
    process.exitCode = await withControl(
      opts,
      async (control) => {
        await control.reload();
        print({ ok: true }, opts.json, () => 'configuration reloaded');
        return undefined;
      },
      true,
    );
  });

  addClientOptions(
    program
      .command('backfill')
      .description("queue existing files of a job now (the job's rules apply, no settle wait)")
      .argument(
        '<paths...>',
        "files or directories (here, or relative to the job's sources), or one quoted glob",
      )
      .requiredOption('--job <name>', 'the job that takes the files'),
  ).action(async (paths: string[], opts: ClientOptions & { job: string }) => {
    process.exitCode = await withControl(
      opts,
      async (control) => {
        const r = await control.backfill(opts.job, backfillRequest(paths));
        print(r, opts.json, () => backfillText(r));
        return undefined;
      },
      true,
    );
  });
}
