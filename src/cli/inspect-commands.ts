/**
 * `s3ferry status | queue | history | events`: read-only views, from the running agent's API or,
 * when none runs, from the journal. (Grouped in one file: each is a few lines over the same client.)
 */
import type { Command } from 'commander';
import type { WebhookStats } from '../agent/webhook-sender.js';
import { formatBytes } from '../domain/duration.js';
import {
  PENDING_STATES,
  type EventRecord,
  type FileReason,
  type FileRecord,
  type HistoryRecord,
  type JournalStore,
} from '../journal/journal-store.js';
import { addClientOptions, connect, type ClientOptions } from './agent-client.js';
import { reportError } from './output.js';

/** A reason as a line: `CODE: message` for a failure, the message alone for a note. */
function reasonText(reason: FileReason): string {
  return reason.code.startsWith('ERR_') ? `${reason.code}: ${reason.message}` : reason.message;
}

/** The API pages lists by at most this many rows. */
const API_MAX_LIMIT = 1000;

function out(value: unknown, json: boolean, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
}

/** `webhook URL: 12 delivered, 3 failed attempts, 1 dropped (last error: …)` for `status`. */
function webhookLine(w: WebhookStats): string {
  const sum = (counts: Readonly<Record<string, number>>): number =>
    Object.values(counts).reduce((a, b) => a + b, 0);
  const last = w.lastError === undefined ? '' : ` (last error: ${w.lastError.message})`;
  return `webhook ${w.url}: ${w.delivered} delivered, ${sum(w.failures)} failed attempt(s), ${sum(w.dropped)} dropped, ${w.pending} pending${last}`;
}

async function view(
  opts: ClientOptions,
  fn: (c: Awaited<ReturnType<typeof connect>>) => Promise<void>,
): Promise<number> {
  try {
    const c = await connect(opts, false);
    try {
      await fn(c);
    } finally {
      if (c.kind === 'journal') await c.journal.close();
    }
    return 0;
  } catch (err) {
    return reportError(err, opts.json === true);
  }
}

export function registerInspect(program: Command): void {
  addClientOptions(
    program.command('status').description('jobs, destination health and file counts'),
  ).action(async (opts: ClientOptions) => {
    process.exitCode = await view(opts, async (c) => {
      if (c.kind === 'api') {
        const s = await c.call<{
          paused: boolean;
          jobs: {
            name: string;
            paused: boolean;
            destination: string;
            health: { healthy: boolean; cause?: string; hint?: string };
          }[];
          files: Record<string, number>;
          inFlight: number;
          webhook?: WebhookStats;
        }>('GET', '/api/v1/status');
        out(s, opts.json === true, () =>
          [
            `agent: running at ${c.url}${s.paused ? ' (PAUSED)' : ''}, ${s.inFlight} file(s) in flight`,
            ...s.jobs.map(
              (j) =>
                `job ${j.name}${j.paused ? ' (paused)' : ''} -> ${j.destination}: ${j.health.healthy ? 'healthy' : `UNHEALTHY: ${j.health.cause ?? ''}\n  fix: ${j.health.hint ?? ''}`}`,
            ),
            `files: ${
              Object.entries(s.files)
                .filter(([, n]) => n > 0)
                .map(([k, n]) => `${k} ${n}`)
                .join(', ') || 'none'
            }`,
            ...(s.webhook === undefined ? [] : [webhookLine(s.webhook)]),
          ].join('\n'),
        );
        return;
      }
      const files = await c.journal.countFiles();
      out(
        { running: false, journal: c.path, files },
        opts.json === true,
        () =>
          `agent: not running (journal ${c.path})\nfiles: ${
            Object.entries(files)
              .filter(([, n]) => n > 0)
              .map(([k, n]) => `${k} ${n}`)
              .join(', ') || 'none'
          }`,
      );
    });
  });

  addClientOptions(
    program.command('queue').description('pending files, and parked ones with their reasons'),
  )
    .option('--limit <n>', 'rows', '100')
    .action(async (opts: ClientOptions & { limit: string }) => {
      process.exitCode = await view(opts, async (c) => {
        const limit = Math.min(Number(opts.limit), API_MAX_LIMIT);
        const page = async (state: string) =>
          c.kind === 'api'
            ? (
                await c.call<{ items: FileRecord[] }>(
                  'GET',
                  `/api/v1/queue?state=${state}&limit=${limit}`,
                )
              ).items
            : [];
        const q =
          c.kind === 'api'
            ? {
                pending: await page('pending'),
                parked: await page('parked'),
              }
            : {
                pending: await c.journal.listFiles({ states: PENDING_STATES, limit }),
                parked: await c.journal.listFiles({ states: ['parked'], limit }),
              };
        out(q, opts.json === true, () =>
          [
            `pending (${q.pending.length}):`,
            ...q.pending.map(
              (f) =>
                `  #${f.id} ${f.state.padEnd(9)} ${f.path}${f.reason ? `  [${reasonText(f.reason)}]` : ''}`,
            ),
            `parked (${q.parked.length}):`,
            ...q.parked.map(
              (f) =>
                `  #${f.id} ${f.path}\n     ${f.reason === null ? '' : reasonText(f.reason)}${f.reason?.hint ? `\n     fix: ${f.reason.hint}` : ''}`,
            ),
          ].join('\n'),
        );
      });
    });

  addListCommand<HistoryRecord>(program, {
    name: 'history',
    description: 'finished uploads, newest first',
    apiPath: '/api/v1/history',
    fromJournal: (journal, limit) => journal.listHistory({ limit }),
    line: (h) =>
      `${new Date(h.finishedAt).toISOString()} ${h.result.padEnd(9)} ${formatBytes(h.size).padStart(10)} ${formatBytes(h.avgBytesPerSec)}/s  ${h.sourcePath} -> s3://${h.bucket}/${h.key}${h.error ? `\n    ${h.error}` : ''}`,
    empty: 'no uploads yet',
  });

  addListCommand<EventRecord>(program, {
    name: 'events',
    description: 'recent events, newest first',
    apiPath: '/api/v1/events',
    fromJournal: (journal, limit) => journal.listEvents({ limit }),
    line: (e) =>
      `${new Date(e.at).toISOString()} ${e.level.padEnd(5)} ${e.type.padEnd(20)} ${e.message}`,
    empty: 'no events',
  });
}

/** What a listing command shows: the newest `--limit` rows, from the agent's API or the journal. */
interface ListCommandSpec<T> {
  readonly name: string;
  readonly description: string;
  /** The API's list route, answering `{ items }` for `?limit=`. */
  readonly apiPath: string;
  readonly fromJournal: (journal: JournalStore, limit: number) => Promise<T[]>;
  /** One item as a line of the human output. */
  readonly line: (item: T) => string;
  /** The human output when there is nothing. */
  readonly empty: string;
}

function addListCommand<T>(program: Command, spec: ListCommandSpec<T>): void {
  addClientOptions(program.command(spec.name).description(spec.description))
    .option('--limit <n>', 'rows', '50')
    .action(async (opts: ClientOptions & { limit: string }) => {
      process.exitCode = await view(opts, async (c) => {
        const limit = Number(opts.limit);
        const items =
          c.kind === 'api'
            ? (
                await c.call<{ items: T[] }>(
                  'GET',
                  `${spec.apiPath}?limit=${Math.min(limit, API_MAX_LIMIT)}`,
                )
              ).items
            : await spec.fromJournal(c.journal, limit);
        out(items, opts.json === true, () => items.map(spec.line).join('\n') || spec.empty);
      });
    });
}
