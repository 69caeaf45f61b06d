/**
 * `s3ferry history | events`: the newest finished uploads and events, filtered by the journal's
 * queries (`--job`, `--since`, `--key`), from the running agent or, when none answers, the
 * journal. Each is one call of the control service (control-session.ts).
 */
import type { Command } from 'commander';
import { formatBytes } from '../domain/duration.js';
import type { EventRecord, HistoryRecord } from '../journal/journal-store.js';
import { addClientOptions, type ClientOptions } from './agent-client.js';
import { countOption, print, sinceOption, withControl } from './control-session.js';

interface ListOptions extends ClientOptions {
  limit: string;
  job?: string;
  since?: string;
  key?: string;
}

/** The filters the options give, as the control service takes them. */
function filters(opts: ListOptions): { job?: string; since?: number; key?: string } {
  return {
    ...(opts.job === undefined ? {} : { job: opts.job }),
    ...(opts.since === undefined ? {} : { since: sinceOption(opts.since, Date.now()) }),
    ...(opts.key === undefined ? {} : { key: opts.key }),
  };
}

/** Adds the options every listing has. */
function listOptions(cmd: Command, what: string): Command {
  return addClientOptions(cmd)
    .option('--limit <n>', 'rows', '50')
    .option('--job <name>', `only the ${what} of this job`)
    .option(
      '--since <when>',
      `only the ${what} since then: a duration back from now (30m, 2h, 7d) or a time (2024-05-01T10:00:00Z)`,
    )
    .option(
      '--key <text>',
      `only the ${what} whose object key contains this text (anywhere in it; case as given)`,
    );
}

const historyLine = (h: HistoryRecord): string =>
  `${new Date(h.finishedAt).toISOString()} ${h.result.padEnd(9)} ${formatBytes(h.size).padStart(10)} ${formatBytes(h.avgBytesPerSec)}/s  ${h.sourcePath} -> s3://${h.bucket}/${h.key}${h.versionId === null ? '' : ` (version ${h.versionId})`}${h.error ? `\n    ${h.error}` : ''}`;

const eventLine = (e: EventRecord): string =>
  `${new Date(e.at).toISOString()} ${e.level.padEnd(5)} ${e.type.padEnd(20)} ${e.message}`;

export function registerLists(program: Command): void {
  listOptions(
    program.command('history').description('finished uploads, newest first'),
    'uploads',
  ).action(async (opts: ListOptions) => {
    process.exitCode = await withControl(opts, async (control) => {
      const limit = countOption('--limit', opts.limit);
      const page = await control.history({ limit, ...filters(opts) });
      print(page.items, opts.json, () => page.items.map(historyLine).join('\n') || 'no uploads');
      return undefined;
    });
  });

  listOptions(
    program.command('events').description('recent events, newest first'),
    'events',
  ).action(async (opts: ListOptions) => {
    process.exitCode = await withControl(opts, async (control) => {
      const limit = countOption('--limit', opts.limit);
      const page = await control.events({ limit, ...filters(opts) });
      print(page.items, opts.json, () => page.items.map(eventLine).join('\n') || 'no events');
      return undefined;
    });
  });
}
