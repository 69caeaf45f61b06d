/**
 * `s3ferry retry | pause | resume | link`: actions on the running agent or, when none answers, on
 * the journal (pauses and retries live there; a link is signed with the configuration's
 * destination). Each is one call of the control service (control-session.ts); the output says
 * when the journal was used, since an agent starting on it is what acts then.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { ControlSource, PauseResult } from '../control/control-service.js';
import { AppError } from '../errors/app-error.js';
import { durationOption } from './common-options.js';
import { addClientOptions, type ClientOptions } from './agent-client.js';
import { print, withControl } from './control-session.js';

/** " in the journal J (no agent answers: …)" when the journal was used. */
function onJournal(source: ControlSource, then: string): string {
  return source.kind === 'journal'
    ? ` in the journal ${source.journal} (no agent answers: ${then})`
    : '';
}

function pauseText(r: PauseResult, source: ControlSource): string {
  const what = r.job === undefined ? 'processing' : `job ${r.job}`;
  const done = r.paused
    ? `${what} paused (files keep being queued)${onJournal(source, 'an agent started on it stays paused')}`
    : `${what} resumed${onJournal(source, 'its files go once an agent runs')}`;
  return r.note === undefined ? done : `${done}\nnote: ${r.note}`;
}

/** The options of `s3ferry link`. */
interface LinkOptions extends ClientOptions {
  job?: string;
  expires?: string;
  versionId?: string;
}

/** A file id given on the command line. */
function fileIdOf(text: string): number {
  const id = Number(text);
  if (!Number.isInteger(id) || id < 1)
    throw new AppError('ERR_USAGE', `"${text}" is not a file id`, {
      hint: 'see the ids in s3ferry queue',
    });
  return id;
}

export function registerControl(program: Command): void {
  addClientOptions(
    program
      .command('retry')
      .description('release parked or waiting files for another try')
      .argument('[fileId]', 'one file (see s3ferry queue); all when omitted')
      .option('--all', 'every parked and waiting file'),
  ).action(async (fileId: string | undefined, opts: ClientOptions & { all?: boolean }) => {
    process.exitCode = await withControl(opts, async (control) => {
      const r = await control.retry(fileId === undefined ? undefined : fileIdOf(fileId));
      const later = control.source.kind === 'journal' ? ' (they go when the agent runs)' : '';
      print(r, opts.json, () => `released ${r.released} file(s)${later}`);
      return undefined;
    });
  });

  for (const action of ['pause', 'resume'] as const) {
    addClientOptions(
      program.command(action).description(`${action} one job, or all processing`).argument('[job]'),
    ).action(async (job: string | undefined, opts: ClientOptions) => {
      process.exitCode = await withControl(opts, async (control) => {
        const r = await control[action](job);
        print(r, opts.json, () => pauseText(r, control.source));
        return undefined;
      });
    });
  }

  addClientOptions(
    program
      .command('link')
      .description('a download link for an uploaded file or a key (the object must exist)')
      .argument('<fileOrKey>')
      .option('--job <name>', 'the job whose destination holds KEY')
      .option('--expires <duration>', 'presigned link lifetime (default from the destination, 1h)')
      .option(
        '--version-id <id>',
        'with KEY: the version to link to on a versioned bucket (a FILE links to the version its upload stored)',
      ),
  ).action(async (what: string, opts: LinkOptions) => {
    process.exitCode = await withControl(opts, async (control) => {
      const isFile = what.startsWith('/') || what.startsWith('.');
      if (isFile && opts.versionId !== undefined)
        throw new AppError('ERR_USAGE', '--version-id goes with a KEY', {
          hint: 'a FILE links to the version its upload stored: leave --version-id out',
        });
      const link = await control.link({
        ...(isFile ? { path: resolve(what) } : { key: what }),
        ...(opts.job === undefined ? {} : { job: opts.job }),
        ...(opts.versionId === undefined ? {} : { versionId: opts.versionId }),
        ...(opts.expires === undefined
          ? {}
          : { expiresMs: durationOption('--expires', opts.expires) }),
      });
      // ms since the epoch in the service; the CLI prints times as ISO 8601
      const shown = {
        ...link,
        expiresAt: link.expiresAt === null ? null : new Date(link.expiresAt).toISOString(),
      };
      print(shown, opts.json, () => link.url);
      return undefined;
    });
  });
}
