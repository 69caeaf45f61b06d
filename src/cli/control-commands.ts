/**
 * `s3ferry retry | pause | resume | link`: actions on the running agent (retry also works on the
 * journal when no agent runs). Grouped in one file: each is a few lines over the same client.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { AppError } from '../errors/app-error.js';
import { durationOption } from './common-options.js';
import { addClientOptions, connect, type ClientOptions } from './agent-client.js';
import { reportError } from './output.js';

async function act(
  opts: ClientOptions,
  needAgent: boolean,
  fn: (c: Awaited<ReturnType<typeof connect>>) => Promise<string>,
): Promise<number> {
  try {
    const c = await connect(opts, needAgent);
    try {
      const text = await fn(c);
      if (opts.json !== true) process.stdout.write(`${text}\n`);
    } finally {
      if (c.kind === 'journal') await c.journal.close();
    }
    return 0;
  } catch (err) {
    return reportError(err, opts.json === true);
  }
}

export function registerControl(program: Command): void {
  addClientOptions(
    program
      .command('retry')
      .description('release parked or waiting files for another try')
      .argument('[fileId]', 'one file (see s3ferry queue); all when omitted')
      .option('--all', 'every parked and waiting file'),
  ).action(async (fileId: string | undefined, opts: ClientOptions & { all?: boolean }) => {
    process.exitCode = await act(opts, false, async (c) => {
      const id = fileId === undefined ? undefined : Number(fileId);
      if (id !== undefined && !Number.isInteger(id))
        throw new AppError('ERR_USAGE', `"${fileId ?? ''}" is not a file id`, {
          hint: 'see the ids in s3ferry queue',
        });
      let released: number;
      if (c.kind === 'api')
        released = (
          await c.call<{ released: number }>(
            'POST',
            '/api/v1/retry',
            id === undefined ? {} : { fileId: id },
          )
        ).released;
      // One guarded statement on the journal: a file an agent claimed meanwhile is left alone.
      else
        released = await c.journal.releaseForRetry(
          id === undefined ? {} : { fileIds: [id] },
          Date.now(),
        );
      if (opts.json === true) process.stdout.write(`${JSON.stringify({ released })}\n`);
      return `released ${released} file(s)${c.kind === 'journal' ? ' (they go when the agent runs)' : ''}`;
    });
  });

  for (const action of ['pause', 'resume'] as const) {
    addClientOptions(
      program.command(action).description(`${action} one job, or all processing`).argument('[job]'),
    ).action(async (job: string | undefined, opts: ClientOptions) => {
      process.exitCode = await act(opts, true, async (c) => {
        if (c.kind !== 'api') throw new AppError('ERR_USAGE', 'no agent runs');
        const s = await c.call<unknown>(
          'POST',
          `/api/v1/${action}`,
          job === undefined ? {} : { job },
        );
        if (opts.json === true) process.stdout.write(`${JSON.stringify(s)}\n`);
        return `${job === undefined ? 'processing' : `job ${job}`} ${action === 'pause' ? 'paused (files keep being queued)' : 'resumed'}`;
      });
    });
  }

  addClientOptions(
    program
      .command('link')
      .description('a download link for an uploaded file or a key')
      .argument('<fileOrKey>')
      .option('--job <name>', 'the job whose destination holds KEY')
      .option('--expires <duration>', 'presigned link lifetime (default from the destination, 1h)'),
  ).action(async (what: string, opts: ClientOptions & { job?: string; expires?: string }) => {
    process.exitCode = await act(opts, true, async (c) => {
      if (c.kind !== 'api') throw new AppError('ERR_USAGE', 'no agent runs');
      const isFile = what.startsWith('/') || what.startsWith('.');
      const q = new URLSearchParams(isFile ? { path: resolve(what) } : { key: what });
      if (opts.job !== undefined) q.set('job', opts.job);
      if (opts.expires !== undefined)
        q.set('expires', String(durationOption('--expires', opts.expires)));
      const link = await c.call<{ url: string; expiresAt: number | null }>(
        'GET',
        `/api/v1/link?${q.toString()}`,
      );
      // The API gives ms since the epoch; the CLI prints times as ISO 8601.
      const shown = {
        ...link,
        expiresAt: link.expiresAt === null ? null : new Date(link.expiresAt).toISOString(),
      };
      if (opts.json === true) process.stdout.write(`${JSON.stringify(shown)}\n`);
      return link.url;
    });
  });
}
