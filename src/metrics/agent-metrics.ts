/**
 * The agent's Prometheus metrics, on a Registry the composition root builds (never prom-client's
 * global one, so two agents in one process, as in tests, never share counters).
 *
 * Counters and histograms are fed by the agent's events as they happen (EventSink.subscribe):
 * `file.done` of a file this agent uploaded (its data names the upload's `mode`: bytes, files,
 * duration, size per job; a server-side copy or an upload found done after a restart is not an
 * upload of this run), `file.parked` and `file.waiting` (errors that ended an attempt at a file,
 * by kind and code). Gauges are read at scrape time: files per
 * state and the queue depth from the journal, destination health from the agent. A journal that
 * cannot be read does not fail the scrape (Prometheus would take the agent for down): it sets
 * `s3ferry_journal_up` to 0, and the file gauges keep their last values.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import type { BandwidthView } from '../agent/bandwidth-control.js';
import type { WebhookStats } from '../agent/webhook-sender.js';
import type { EventRecord, FileState } from '../journal/journal-store.js';

/** Upload durations, seconds: a second to an hour. */
export const DURATION_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** Object sizes, bytes: 1 KiB to 64 GiB. */
export const SIZE_BUCKETS = [1, 64, 1024, 8192, 65_536, 262_144, 1_048_576]
  .map((k) => k * 1024)
  .concat([4, 16, 64].map((g) => g * 1024 ** 3));

/** What the metrics read and listen to. */
export interface AgentMetricsDeps {
  readonly registry: Registry;
  /** Live events (the agent's EventSink). */
  readonly events: { subscribe(listener: (event: EventRecord) => void): () => void };
  /** File counts per state, read at each scrape. */
  readonly countFiles: () => Promise<Record<FileState, number>>;
  /** Destination health, read at each scrape. */
  readonly destinations: () => readonly { name: string; healthy: boolean }[];
  /** The bandwidth limits in effect, read at each scrape. */
  readonly bandwidth?: () => BandwidthView;
  /** The webhook's deliveries, failures and drops, read at each scrape (none without a webhook). */
  readonly webhook?: () => WebhookStats | undefined;
  /** Also collect Node's process metrics (CPU, memory, event loop, GC). Default true. */
  readonly processMetrics?: boolean;
  /**
   * Write transactions the journal committed so far, read at each scrape; absent for a journal
   * that does not count them (PostgreSQL). See {@link writeTransactionsOf}.
   */
  readonly journalWriteTransactions?: (() => number) | undefined;
}

/** A reader of `journal.writeTransactions` when the journal keeps that count (SQLite does). */
export function writeTransactionsOf(journal: object): (() => number) | undefined {
  if (!('writeTransactions' in journal) || typeof journal.writeTransactions !== 'number')
    return undefined;
  const counted = journal as { readonly writeTransactions: number };
  return () => counted.writeTransactions;
}

/** The agent's metrics; close() stops listening to events. */
export interface AgentMetrics {
  readonly registry: Registry;
  close(): void;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The error kind of a code from the one code table; 'unknown' for codes it does not know. */
function kindOf(code: string): string {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode].kind : 'unknown';
}

/** Registers the metrics on `deps.registry` and starts feeding them; see the module comment. */
export function createAgentMetrics(deps: AgentMetricsDeps): AgentMetrics {
  const registers = [deps.registry];
  const bytes = new Counter({
    name: 's3ferry_uploaded_bytes_total',
    help: 'Bytes of the objects uploaded and verified, per job.',
    labelNames: ['job'] as const,
    registers,
  });
  const files = new Counter({
    name: 's3ferry_uploaded_files_total',
    help: 'Files uploaded and verified, per job.',
    labelNames: ['job'] as const,
    registers,
  });
  const errors = new Counter({
    name: 's3ferry_errors_total',
    help: 'Errors that ended an attempt at a file (it was parked, or waits for another try), by kind and code.',
    labelNames: ['kind', 'code'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 's3ferry_upload_duration_seconds',
    help: 'Time from the start of an upload to its verification, per job.',
    labelNames: ['job'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const size = new Histogram({
    name: 's3ferry_upload_size_bytes',
    help: 'Size of the uploaded objects, per job.',
    labelNames: ['job'] as const,
    buckets: SIZE_BUCKETS,
    registers,
  });
  registerGauges(deps);
  registerBandwidth(deps);
  registerWebhook(deps);
  registerJournalWrites(registers, deps.journalWriteTransactions);
  if (deps.processMetrics !== false) collectDefaultMetrics({ register: deps.registry });

  const unsubscribe = deps.events.subscribe((event) => {
    const data = event.data ?? {};
    const job = text(data.job) ?? '';
    switch (event.type) {
      case 'file.done': {
        if (text(data.mode) === undefined) return;
        const n = num(data.size) ?? 0;
        bytes.inc({ job }, n);
        files.inc({ job });
        size.observe({ job }, n);
        const ms = num(data.durationMs);
        if (ms !== undefined) duration.observe({ job }, ms / 1000);
        return;
      }
      case 'file.parked':
      case 'file.waiting': {
        const code = text(data.code) ?? 'unknown';
        errors.inc({ kind: kindOf(code), code });
        return;
      }
      default:
        return;
    }
  });
  return { registry: deps.registry, close: unsubscribe };
}

/**
 * The file counts of one scrape: one journal read shared by the gauges that need it (a scrape
 * collects every metric at once); undefined when the journal could not be read.
 */
function sharedCounts(
  countFiles: AgentMetricsDeps['countFiles'],
): () => Promise<Record<FileState, number> | undefined> {
  let pending: Promise<Record<FileState, number> | undefined> | undefined;
  return () => {
    pending ??= countFiles()
      .catch(() => undefined)
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

/**
 * s3ferry_journal_write_transactions_total: the journal's own count, read at scrape time (the
 * bench divides its growth by the files of a burst: journal writes per small file, issue 14).
 */
function registerJournalWrites(registers: Registry[], read: (() => number) | undefined): void {
  if (read === undefined) return;
  let counted = 0;
  const transactions = new Counter({
    name: 's3ferry_journal_write_transactions_total',
    help: 'Write transactions the journal committed (SQLite: one per group commit that wrote).',
    registers,
    collect: () => {
      const now = read();
      if (now > counted) transactions.inc(now - counted);
      counted = Math.max(counted, now);
    },
  });
}

/** The gauges read at scrape time. */
function registerGauges(deps: AgentMetricsDeps): void {
  const registers = [deps.registry];
  const counts = sharedCounts(deps.countFiles);
  const journalUp = new Gauge({
    name: 's3ferry_journal_up',
    help: '1 when the journal answered the last scrape, 0 when it could not be read (the file gauges then keep their last values).',
    registers,
    collect: async () => {
      journalUp.set((await counts()) === undefined ? 0 : 1);
    },
  });
  const filesByState = new Gauge({
    name: 's3ferry_files',
    help: 'Files the journal knows, per state.',
    labelNames: ['state'] as const,
    registers,
    collect: async () => {
      const c = await counts();
      if (c !== undefined)
        for (const [state, n] of Object.entries(c)) filesByState.set({ state }, n);
    },
  });
  const queueDepth = new Gauge({
    name: 's3ferry_queue_depth',
    help: 'Files queued or waiting for another try: the work not yet taken by a worker.',
    registers,
    collect: async () => {
      const c = await counts();
      if (c !== undefined) queueDepth.set(c.queued + c.waiting);
    },
  });
  const healthy = new Gauge({
    name: 's3ferry_destination_healthy',
    help: '1 when the destination is healthy, 0 while its files wait for it.',
    labelNames: ['destination'] as const,
    registers,
    collect: () => {
      healthy.reset();
      for (const d of deps.destinations()) healthy.set({ destination: d.name }, d.healthy ? 1 : 0);
    },
  });
}

/**
 * s3ferry_bwlimit_bytes_per_second: each limit in effect, read at scrape time; 0 for no limit (so
 * that every destination has its series), destination="*" for the agent's over all of them.
 */
function registerBandwidth(deps: AgentMetricsDeps): void {
  const read = deps.bandwidth;
  const limit = new Gauge({
    name: 's3ferry_bwlimit_bytes_per_second',
    help: 'The bandwidth limit in effect, bytes per second, 0 for none: per destination, and destination="*" for the agent\'s limit over all destinations together.',
    labelNames: ['destination'] as const,
    registers: [deps.registry],
    collect: () => {
      limit.reset();
      if (read === undefined) return;
      const view = read();
      for (const l of [view.agent, ...view.destinations])
        limit.set({ destination: l.destination }, l.bytesPerSec ?? 0);
    },
  });
}

/**
 * The webhook's counters, read from its sender at scrape time (the sender counts; these only show
 * its totals, so they are set rather than incremented).
 */
function registerWebhook(deps: AgentMetricsDeps): void {
  const registers = [deps.registry];
  const stats = (): WebhookStats | undefined => deps.webhook?.();
  const delivered = new Counter({
    name: 's3ferry_webhook_delivered_total',
    help: 'Events the webhook receiver accepted (2xx).',
    registers,
    collect: () => {
      const s = stats();
      delivered.reset();
      if (s !== undefined) delivered.inc(s.delivered);
    },
  });
  const failures = new Counter({
    name: 's3ferry_webhook_failures_total',
    help: 'Failed webhook deliveries, by reason: network, timeout, server (5xx, 429), refused (4xx), redirect (3xx, never followed).',
    labelNames: ['reason'] as const,
    registers,
    collect: () => {
      const s = stats();
      failures.reset();
      if (s !== undefined)
        for (const [reason, n] of Object.entries(s.failures)) failures.inc({ reason }, n);
    },
  });
  const dropped = new Counter({
    name: 's3ferry_webhook_dropped_total',
    help: 'Events never delivered to the webhook, by reason: overflow (its queue was full), refused (4xx or a redirect).',
    labelNames: ['reason'] as const,
    registers,
    collect: () => {
      const s = stats();
      dropped.reset();
      if (s !== undefined)
        for (const [reason, n] of Object.entries(s.dropped)) dropped.inc({ reason }, n);
    },
  });
}
