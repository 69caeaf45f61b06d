/**
 * Manifests (issue 16, item 4): for each job with `manifest: daily | hourly`, an object in its
 * destination that lists, one JSON line per object, what the job uploaded in each UTC day or hour
 * (`PREFIX_s3ferry/manifests/JOB/2026-12-06.jsonl`), so the bucket itself says what arrived.
 *
 * - When: each window once it has closed and a grace period has passed (domain/manifest-window.ts),
 *   and the window before it again at the same time, so a history row recorded late gets in. The
 *   windows are the injected clock's.
 * - Idempotent: a manifest is written whole from the journal (the history rows of the job's
 *   uploads that finished in the window, in time order), and carries its row count in its metadata
 *   (`s3ferry-manifest-rows`). A window whose count the object (or this process) already has is not
 *   written again; one with more rows is replaced by the full window's content. An agent starting
 *   looks at the last two windows the same way (a HeadObject each), and several agents of a fleet
 *   write the same bytes.
 * - Never a file: it is PUT from memory (no source file, nothing to pick up), with no history row,
 *   no file event and no count in the stats; one `manifest.written` event says where it went (or
 *   `manifest.failed`, said once per cause; tried again every five minutes). Jobs without
 *   `manifest` cost nothing: no request, no journal read.
 * The current window's manifest is not written before it closes: `s3ferry report` shows it.
 */
import { createHash } from 'node:crypto';
import type { JobConfig } from '../config/agent-config.js';
import { md5HexToBase64 } from '../domain/etag.js';
import {
  dueWindows,
  manifestKey,
  nextDueAt,
  type ManifestPeriod,
  type ManifestWindow,
} from '../domain/manifest-window.js';
import { toAppError } from '../errors/app-error.js';
import type { HistoryRecord, JournalQueries } from '../journal/journal-store.js';
import type { ObjectTarget, WriteOptions } from '../object-store/object-target.js';
import type { Clock } from '../platform/clock.js';
import { transferConfig } from './destination-runtime.js';
import type { EventSink } from './event-sink.js';
import type { JobRuntime } from './job-runtime.js';

/** Object metadata key of a manifest: how many rows it holds. */
export const MANIFEST_ROWS_KEY = 's3ferry-manifest-rows';

/** How long after a failed write the windows are looked at again, ms. */
export const MANIFEST_RETRY_MS = 5 * 60_000;

/** History rows read per query. */
const PAGE = 1000;

/** How long the loop sleeps with no job to write for (until setJobs wakes it), ms. */
const IDLE_MS = 86_400_000;

/** A job as the writer sees it (the agent's JobRuntime is one). */
export interface ManifestJob {
  readonly name: string;
  readonly config: Pick<JobConfig, 'manifest'>;
  readonly destination: {
    readonly config: { readonly prefix: string };
    readonly target: Pick<ObjectTarget, 'bucket' | 'putObject' | 'headObject'>;
    readonly health: { readonly healthy: boolean };
    /** What every object of the destination carries (SSE, storage class, ACL, tags). */
    readonly write: Omit<WriteOptions, 'contentType'>;
  };
}

/** A running job as the writer sees it: its destination's health read when asked. */
export function manifestJobOf(job: JobRuntime): ManifestJob {
  const d = job.destination;
  const write = transferConfig(d.config).write;
  return {
    name: job.name,
    config: job.config,
    destination: {
      config: d.config,
      target: d.target,
      write,
      get health() {
        return d.health;
      },
    },
  };
}

/** What the writer reads, writes and tells. */
export interface ManifestWriterDeps {
  readonly journal: Pick<JournalQueries, 'searchHistory'>;
  readonly clock: Clock;
  readonly events: Pick<EventSink, 'emit'>;
}

/** One line of a manifest: an object the job uploaded. */
export function manifestLine(h: HistoryRecord): string {
  return JSON.stringify({
    key: h.key,
    versionId: h.versionId,
    size: h.size,
    etag: h.etag,
    checksum: h.checksum,
    source: h.sourcePath,
    startedAt: new Date(h.startedAt).toISOString(),
    uploadedAt: new Date(h.finishedAt).toISOString(),
  });
}

/** See the module comment. */
export class ManifestWriter {
  #jobs: readonly ManifestJob[] = [];
  /** Rows each manifest key is known to hold (written or seen by this process). */
  readonly #known = new Map<string, number>();
  /** The last failure of each manifest key not written since: said once, not at every retry. */
  readonly #failed = new Map<string, string>();
  readonly #stop = new AbortController();
  #wake = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(private readonly deps: ManifestWriterDeps) {}

  /** The jobs to write for (at start and after a reload); starts the loop on the first call. */
  setJobs(jobs: readonly ManifestJob[]): void {
    this.#jobs = jobs.filter((j) => j.config.manifest !== undefined);
    if (this.#jobs.length === 0) return;
    this.#loop ??= this.#run();
    this.#wake.abort(); // look at the new jobs' windows now
  }

  /** Stops the loop and waits for a write in flight. */
  async close(): Promise<void> {
    this.#stop.abort();
    this.#wake.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      this.#wake = new AbortController();
      const failed = await this.writeDue();
      const now = this.deps.clock.now();
      const periods = [...new Set(this.#jobs.map((j) => j.config.manifest ?? 'daily'))];
      const due = Math.min(now + IDLE_MS, ...periods.map((p) => nextDueAt(now, p)));
      const wait = Math.max(0, failed ? Math.min(due - now, MANIFEST_RETRY_MS) : due - now);
      const signal = AbortSignal.any([this.#stop.signal, this.#wake.signal]);
      await this.deps.clock.sleep(wait, signal).catch(() => undefined);
    }
  }

  /** Writes every due manifest whose window the journal has more rows of; true when one failed. */
  async writeDue(): Promise<boolean> {
    let failed = false;
    for (const job of this.#jobs) {
      const period = job.config.manifest;
      if (period === undefined || !job.destination.health.healthy) continue;
      for (const window of dueWindows(this.deps.clock.now(), period)) {
        if (this.#stop.signal.aborted) return failed;
        if (!(await this.#ensure(job, window))) failed = true;
      }
    }
    return failed;
  }

  /** Writes the manifest of `window` unless it holds every row; false when that failed. */
  async #ensure(job: ManifestJob, window: ManifestWindow): Promise<boolean> {
    const { target, config } = job.destination;
    const key = manifestKey(config.prefix, job.name, window);
    try {
      const rows = await this.#rows(job.name, window);
      if (this.#known.get(key) === rows.length) return true;
      const head = await target.headObject(key, this.#stop.signal);
      if (head !== undefined && Number(head.metadata[MANIFEST_ROWS_KEY]) === rows.length) {
        this.#known.set(key, rows.length);
        return true;
      }
      await this.#put(job, key, rows);
      this.#known.set(key, rows.length);
      this.#failed.delete(key);
      await this.deps.events.emit(
        'manifest.written',
        'info',
        `manifest of ${job.name} for ${window.name}: ${rows.length} object(s) in s3://${target.bucket}/${key}`,
        { key, data: { job: job.name, window: window.name, objects: rows.length } },
      );
      return true;
    } catch (raw) {
      const err = toAppError(raw);
      if (err.kind === 'cancelled') return true;
      if (this.#failed.get(key) === err.message) return false;
      this.#failed.set(key, err.message);
      await this.deps.events
        .emit(
          'manifest.failed',
          'warn',
          `manifest of ${job.name} for ${window.name}: ${err.message}`,
          {
            key,
            data: { job: job.name, window: window.name, code: err.code, hint: err.hint ?? null },
          },
        )
        .catch(() => undefined);
      return false;
    }
  }

  /** The job's uploads that finished in `window`, oldest first. */
  async #rows(job: string, window: ManifestWindow): Promise<HistoryRecord[]> {
    const rows: HistoryRecord[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.deps.journal.searchHistory({
        job,
        result: 'done',
        since: window.start,
        until: window.end,
        sort: 'finishedAt',
        order: 'asc',
        limit: PAGE,
        offset,
      });
      rows.push(...page.items);
      if (page.items.length < PAGE) return rows;
    }
  }

  async #put(job: ManifestJob, key: string, rows: readonly HistoryRecord[]): Promise<void> {
    const { target, write } = job.destination;
    const body = Buffer.from(rows.map((h) => `${manifestLine(h)}\n`).join(''), 'utf8');
    const md5 = createHash('md5').update(body).digest('hex');
    await target.putObject(
      {
        ...write,
        metadata: { ...write.metadata, [MANIFEST_ROWS_KEY]: String(rows.length) },
        contentType: 'application/x-ndjson',
        key,
        body,
        contentMd5: md5HexToBase64(md5),
      },
      this.#stop.signal,
    );
  }
}

export type { ManifestPeriod };
