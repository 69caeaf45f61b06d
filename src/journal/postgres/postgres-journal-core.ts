/**
 * The fleet's journal: one PostgreSQL database that several agents share (DESIGN.md, fleet mode).
 * Work is split by concern (postgres-uploads.ts, postgres-event-log.ts, postgres-file-queue.ts,
 * postgres-fleet.ts, postgres-file-reads.ts, postgres-search.ts); this core validates options,
 * maps errors, rides out server restarts and serves the upload ledger and the event log; the store
 * (postgres-journal-store.ts) adds the queue, the fleet and the reads.
 *
 * Restarts: an operation that fails because the connection failed (refused, reset, closed by a
 * stopping server, "starting up") or on a deadlock is run again, with backoff, until it succeeds or
 * `retryMs` has passed since it began; then it rejects with ERR_JOURNAL_UNAVAILABLE. A failed
 * statement never committed, with one exception that no client can rule out: the connection
 * breaking after the server committed but before its answer arrived. Most operations are
 * idempotent (upserts, guarded moves whose repetition is a no-op); the few that are not may then
 * apply twice: an extra event or history row, an extra upload intent (left open), or a claim the
 * agent never heard of (its heartbeat still reports the file among those it holds).
 * A claim or heartbeat that waited for the server counts its lease from when it was applied (its
 * `now` moved on by the wait), so a lease is never written already lapsed. A file transition
 * retried after a lost answer that finds itself already applied counts as done.
 */
import type { Hold } from '../../domain/file-state.js';
import { AppError } from '../../errors/app-error.js';
import type { Clock } from '../../platform/clock.js';
import { assertHolds } from '../file-transitions.js';
import { journalError, toJournalError, type JournalErrorContext } from '../journal-errors.js';
import type {
  EventRecord,
  HistoryEntry,
  HistoryRecord,
  NewEvent,
  PartRecord,
  UploadIntent,
  UploadOutcome,
  UploadRecord,
  VerifiedUpload,
} from '../journal-store.js';
import type { FileRow } from '../journal-rows.js';
import type { PostgresPool } from './postgres-connection.js';
import { isRetryable, withConnectionCode } from './postgres-connection.js';
import { createPostgresEventLog, type PostgresEventLog } from './postgres-event-log.js';
import { createPostgresFileQueue, type PostgresFileQueue } from './postgres-file-queue.js';
import { createPostgresFileReads, type PostgresFileReads } from './postgres-file-reads.js';
import { createPostgresFleet, type PostgresFleet } from './postgres-fleet.js';
import { createPostgresSearch, type PostgresSearch } from './postgres-search.js';
import {
  createPostgresUploads,
  insertVerifiedUpload,
  type PostgresUploads,
} from './postgres-uploads.js';

/** What {@link PostgresJournalStore.open} needs. */
export interface PostgresJournalStoreDeps {
  /** postgres://USER:PASSWORD@HOST:PORT/DATABASE (or postgresql://); query parameters as `pg` reads them. */
  readonly url: string;
  /** How many events to keep, newest first. Default {@link DEFAULT_EVENT_RETENTION}. */
  readonly eventRetention?: number;
  /** How long an operation (and opening) retries a lost connection, in ms. Default 60 s. */
  readonly retryMs?: number;
  /** Most connections this store holds at once. Default 10. */
  readonly maxConnections?: number;
  /** How long one connection attempt may take, in ms. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Time and sleep for the retries. Default the system clock. */
  readonly clock?: Clock;
}

/** Default of {@link PostgresJournalStoreDeps.eventRetention} (as SQLite's). */
export const DEFAULT_EVENT_RETENTION = 10_000;
/** Default of {@link PostgresJournalStoreDeps.retryMs}. */
export const DEFAULT_RETRY_MS = 60_000;

const BUG_HINT = 'this is a bug in s3ferry: please report it with the log';

/** Wait before retry number `attempt` (0-based) after a lost connection: 0.1 s doubling to 2 s. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt), 2_000);
}

/** `value` when it is a whole number >= `min`; else ERR_CONFIG_INVALID naming `what`. */
export function wholeAtLeast(value: number, min: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new AppError(
      'ERR_CONFIG_INVALID',
      `${what} must be a whole number >= ${min}, got ${value}`,
    );
  }
  return value;
}

/** LIMIT/OFFSET: whole and not negative. */
export const count = (n: number | undefined): number => Math.max(0, Math.trunc(n ?? 0));

/** Where the store connects and how long it retries. */
export interface Settings {
  readonly location: string;
  readonly retryMs: number;
  readonly clock: Clock;
}

/** Retries, errors and closing of the PostgreSQL journal; the ledger and the event log. */
export class PostgresJournalCore {
  /** Several agents may share this journal. */
  readonly shared = true;
  /** The server and database, without credentials (safe to show). */
  readonly location: string;
  protected readonly events: PostgresEventLog;
  protected readonly files: PostgresFileQueue;
  protected readonly reads: PostgresFileReads;
  protected readonly members: PostgresFleet;
  protected readonly search: PostgresSearch;
  protected readonly uploads: PostgresUploads;
  private readonly stopping = new AbortController();
  private closing: Promise<void> | undefined;

  protected constructor(
    protected readonly pool: PostgresPool,
    private readonly settings: Settings,
    retention: number,
  ) {
    this.location = settings.location;
    const refuse = (operation: string, message: string): never => {
      throw journalError(
        'ERR_JOURNAL',
        this.context(operation),
        message,
        'this is a bug in s3ferry, or another agent took over the upload: see the log',
      );
    };
    const checkHold = async (hold: Hold): Promise<void> => {
      const { rows } = await pool.db.query<FileRow>('SELECT * FROM files WHERE id = $1', [
        hold.fileId,
      ]);
      assertHolds(this.context('hold'), hold, rows[0]);
    };
    this.uploads = createPostgresUploads(pool.db, refuse, checkHold);
    this.events = createPostgresEventLog(pool.db, retention);
    this.files = createPostgresFileQueue(pool, retention, (op) => this.context(op));
    this.reads = createPostgresFileReads(pool.db);
    this.members = createPostgresFleet(pool, retention);
    this.search = createPostgresSearch(pool.db);
  }

  protected context(operation: string): JournalErrorContext {
    return { backend: 'postgres', location: this.location, operation };
  }

  /**
   * Runs one operation, again after a lost connection until `retryMs` has passed, and turns what
   * it finally throws into an AppError naming the journal. `fn` gets how late this attempt is
   * (the ms since the first one began) and whether it is a retry.
   */
  protected async run<T>(
    operation: string,
    fn: (lateMs: number, retried: boolean) => Promise<T>,
  ): Promise<T> {
    const { clock, retryMs } = this.settings;
    const started = clock.now();
    for (let attempt = 0; ; attempt++) {
      if (this.closing !== undefined && operation !== 'open') {
        throw journalError(
          'ERR_JOURNAL',
          this.context(operation),
          'the journal is closed',
          BUG_HINT,
        );
      }
      try {
        return await fn(clock.now() - started, attempt > 0);
      } catch (err) {
        const elapsed = clock.now() - started;
        if (!isRetryable(err) || elapsed >= retryMs || this.stopping.signal.aborted) {
          const retried = attempt > 0 ? { retriedMs: elapsed } : {};
          throw toJournalError(withConnectionCode(err), { ...this.context(operation), ...retried });
        }
        const delay = Math.min(reconnectDelayMs(attempt), retryMs - elapsed);
        await clock.sleep(delay, this.stopping.signal).catch(() => undefined);
      }
    }
  }

  /** Records the intent (with its file, when given). See UploadLedger. */
  beginUpload(intent: UploadIntent, hold?: Hold): Promise<UploadRecord> {
    return this.run('beginUpload', () => this.uploads.begin(intent, hold));
  }

  /** Rejects (ERR_JOURNAL) if the upload is unknown, finished, or already has another UploadId. */
  recordUploadId(id: number, uploadId: string, hold?: Hold): Promise<void> {
    return this.run('recordUploadId', () => this.uploads.recordUploadId(id, uploadId, hold));
  }

  /** Rejects (ERR_JOURNAL) if the upload is unknown or the part number is outside 1..10,000. */
  recordPart(id: number, part: PartRecord, hold?: Hold): Promise<void> {
    return this.run('recordPart', () => this.uploads.recordPart(id, part, hold));
  }

  listParts(id: number): Promise<PartRecord[]> {
    return this.run('listParts', () => this.uploads.listParts(id));
  }

  /** A null `etag` keeps the one already recorded. Rejects (ERR_JOURNAL) unless the upload is open. */
  markCompleted(id: number, etag: string | null, hold?: Hold): Promise<void> {
    return this.run('markCompleted', () => this.uploads.markCompleted(id, etag, hold));
  }

  /** Rejects (ERR_JOURNAL) unless the upload is open; ending it again the same way is a no-op. */
  finishUpload(id: number, outcome: UploadOutcome, hold?: Hold): Promise<void> {
    return this.run('finishUpload', () => this.uploads.finish(id, outcome, hold));
  }

  getUpload(id: number): Promise<UploadRecord | undefined> {
    return this.run('getUpload', () => this.uploads.get(id));
  }

  /** One transaction: the upload 'verified', its part, its ETag. See UploadLedger. */
  recordUpload(upload: VerifiedUpload, hold?: Hold): Promise<UploadRecord> {
    return this.run('recordUpload', () =>
      this.pool.transaction(async (q) => {
        const rec = await insertVerifiedUpload(q, upload, hold);
        if (rec !== undefined) return rec;
        const { rows } = await q.query<FileRow>('SELECT * FROM files WHERE id = $1', [
          hold?.fileId,
        ]);
        if (hold !== undefined) assertHolds(this.context('hold'), hold, rows[0]);
        throw new Error('INSERT … RETURNING returned no row');
      }),
    );
  }

  appendEvent(event: NewEvent): Promise<EventRecord> {
    return this.run('appendEvent', () => this.events.append(event));
  }

  addHistory(entry: HistoryEntry): Promise<HistoryRecord> {
    return this.run('addHistory', () => this.events.addHistory(entry));
  }

  /**
   * Stops retries in progress (they reject), waits for statements in flight and closes every
   * connection. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping.abort();
      try {
        await this.pool.end();
      } catch (err) {
        throw toJournalError(err, this.context('close'));
      }
    })();
    return this.closing;
  }
}
