/**
 * The fleet's journal: one PostgreSQL database that several agents share (DESIGN.md, fleet mode).
 * Work is split by concern (postgres-uploads.ts, postgres-event-log.ts, postgres-file-queue.ts,
 * postgres-search.ts); this class validates options, maps errors and rides out server restarts.
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
 * `now` moved on by the wait), so a lease is never written already lapsed.
 */
import { AppError } from '../../errors/app-error.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import { journalError, toJournalError, type JournalErrorContext } from '../journal-errors.js';
import type {
  AgentInfo,
  AgentRecord,
  ClaimOptions,
  Destination,
  EventRecord,
  FileQuery,
  FileRecord,
  FileState,
  FileToQueue,
  HistoryEntry,
  HistoryQuery,
  HistoryRecord,
  JournalStore,
  NewEvent,
  Page,
  PartRecord,
  UploadIntent,
  UploadOutcome,
  UploadRecord,
} from '../journal-store.js';
import { POSTGRES_MIGRATIONS } from '../migrations/postgres-migrations.js';
import {
  createPostgresPool,
  isRetryable,
  withConnectionCode,
  type PostgresPool,
} from './postgres-connection.js';
import { assertPostgresUrl, describePostgresUrl } from './postgres-url.js';
import { createPostgresEventLog, type PostgresEventLog } from './postgres-event-log.js';
import {
  createPostgresFileQueue,
  type FileStateExtra,
  type PostgresFileQueue,
} from './postgres-file-queue.js';
import { migratePostgres } from './postgres-migrator.js';
import { createPostgresSearch, type PostgresSearch } from './postgres-search.js';
import { createPostgresUploads, type PostgresUploads } from './postgres-uploads.js';

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

function wholeAtLeast(value: number, min: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new AppError(
      'ERR_CONFIG_INVALID',
      `${what} must be a whole number >= ${min}, got ${value}`,
    );
  }
  return value;
}

/** LIMIT/OFFSET: whole and not negative. */
const count = (n: number | undefined): number => Math.max(0, Math.trunc(n ?? 0));

interface Settings {
  readonly location: string;
  readonly retryMs: number;
  readonly clock: Clock;
}

/** The PostgreSQL {@link JournalStore}. Use {@link PostgresJournalStore.open} to get one. */
export class PostgresJournalStore implements JournalStore {
  /** Several agents may share this journal. */
  readonly shared = true;
  /** The server and database, without credentials (safe to show). */
  readonly location: string;
  private readonly uploads: PostgresUploads;
  private readonly events: PostgresEventLog;
  private readonly files: PostgresFileQueue;
  private readonly search: PostgresSearch;
  private readonly stopping = new AbortController();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly pool: PostgresPool,
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
    this.uploads = createPostgresUploads(pool.db, refuse);
    this.events = createPostgresEventLog(pool.db, retention);
    this.files = createPostgresFileQueue(pool.db);
    this.search = createPostgresSearch(pool.db);
  }

  /**
   * Connects, checks that the database is an s3ferry journal (or empty) and migrates it. Rejects
   * with an AppError: ERR_CONFIG_INVALID (bad options or URL), ERR_JOURNAL_UNAVAILABLE (no server
   * within `retryMs`), ERR_JOURNAL (login refused, no such database), ERR_JOURNAL_CORRUPT
   * (another program's tables). No message ever holds the password.
   */
  static async open(deps: PostgresJournalStoreDeps): Promise<PostgresJournalStore> {
    const location = describePostgresUrl(deps.url);
    assertPostgresUrl(deps.url);
    const retention = wholeAtLeast(
      deps.eventRetention ?? DEFAULT_EVENT_RETENTION,
      1,
      'event retention',
    );
    const settings: Settings = {
      location,
      retryMs: wholeAtLeast(deps.retryMs ?? DEFAULT_RETRY_MS, 0, 'journal retry time (ms)'),
      clock: deps.clock ?? systemClock,
    };
    const pool = createPostgresPool({
      url: deps.url,
      maxConnections: wholeAtLeast(deps.maxConnections ?? 10, 1, 'journal connections'),
      connectTimeoutMs: wholeAtLeast(deps.connectTimeoutMs ?? 10_000, 1, 'journal connect timeout'),
    });
    const store = new PostgresJournalStore(pool, settings, retention);
    try {
      await store.run('open', () =>
        migratePostgres(pool, POSTGRES_MIGRATIONS, store.context('open')),
      );
      return store;
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  private context(operation: string): JournalErrorContext {
    return { backend: 'postgres', location: this.location, operation };
  }

  /**
   * Runs one operation, again after a lost connection until `retryMs` has passed, and turns what
   * it finally throws into an AppError naming the journal. `fn` gets how late this attempt is:
   * the ms since the first one began.
   */
  private async run<T>(operation: string, fn: (lateMs: number) => Promise<T>): Promise<T> {
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
        return await fn(clock.now() - started);
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

  beginUpload(intent: UploadIntent): Promise<UploadRecord> {
    return this.run('beginUpload', () => this.uploads.begin(intent));
  }

  /** Rejects (ERR_JOURNAL) if the upload is unknown, finished, or already has another UploadId. */
  recordUploadId(id: number, uploadId: string): Promise<void> {
    return this.run('recordUploadId', () => this.uploads.recordUploadId(id, uploadId));
  }

  /** Rejects (ERR_JOURNAL) if the upload is unknown or the part number is outside 1..10,000. */
  recordPart(id: number, part: PartRecord): Promise<void> {
    return this.run('recordPart', () => this.uploads.recordPart(id, part));
  }

  listParts(id: number): Promise<PartRecord[]> {
    return this.run('listParts', () => this.uploads.listParts(id));
  }

  /** A null `etag` keeps the one already recorded. Rejects (ERR_JOURNAL) unless the upload is open. */
  markCompleted(id: number, etag: string | null): Promise<void> {
    return this.run('markCompleted', () => this.uploads.markCompleted(id, etag));
  }

  /** Rejects (ERR_JOURNAL) unless the upload is open; ending it again the same way is a no-op. */
  finishUpload(id: number, outcome: UploadOutcome): Promise<void> {
    return this.run('finishUpload', () => this.uploads.finish(id, outcome));
  }

  getUpload(id: number): Promise<UploadRecord | undefined> {
    return this.run('getUpload', () => this.uploads.get(id));
  }

  findOpenUpload(destination: Destination): Promise<UploadRecord | undefined> {
    return this.run('findOpenUpload', () => this.uploads.findOpen(destination));
  }

  findLatestUpload(destination: Destination): Promise<UploadRecord | undefined> {
    return this.run('findLatestUpload', () => this.uploads.findLatest(destination));
  }

  listOpenUploads(filter?: { endpoint: string; bucket: string }): Promise<UploadRecord[]> {
    return this.run('listOpenUploads', () => this.uploads.listOpen(filter));
  }

  knowsUploadId(uploadId: string): Promise<boolean> {
    return this.run('knowsUploadId', () => this.uploads.knowsUploadId(uploadId));
  }

  appendEvent(event: NewEvent): Promise<EventRecord> {
    return this.run('appendEvent', () => this.events.append(event));
  }

  listEvents(query: { limit: number; beforeId?: number; type?: string }): Promise<EventRecord[]> {
    return this.run('listEvents', () =>
      this.events.listEvents(count(query.limit), query.beforeId, query.type),
    );
  }

  countEvents(query: { type?: string } = {}): Promise<number> {
    return this.run('countEvents', () => this.events.countEvents(query.type));
  }

  addHistory(entry: HistoryEntry): Promise<HistoryRecord> {
    return this.run('addHistory', () => this.events.addHistory(entry));
  }

  /** Newest first by finishedAt, then by id. */
  listHistory(query: {
    limit: number;
    offset?: number;
    sourcePath?: string;
  }): Promise<HistoryRecord[]> {
    return this.run('listHistory', () =>
      this.events.listHistory(count(query.limit), count(query.offset), query.sourcePath),
    );
  }

  /** See {@link HistoryQuery}; SQL and indexes: postgres-search.ts. */
  searchHistory(query: HistoryQuery): Promise<Page<HistoryRecord>> {
    return this.run('searchHistory', () => this.search.searchHistory(query));
  }

  findDoneByChecksum(checksum: string): Promise<HistoryRecord | undefined> {
    return this.run('findDoneByChecksum', () => this.events.findDoneByChecksum(checksum));
  }

  enqueueFile(file: FileToQueue, now: number): Promise<FileRecord> {
    return this.run('enqueueFile', () => this.files.enqueue(file, now));
  }

  claimNextFile(
    now: number,
    jobs?: readonly string[],
    claim?: ClaimOptions,
  ): Promise<FileRecord | undefined> {
    // A claim retried after a lost connection takes effect when it lands: its lease counts from
    // then, or it could land already expired and be claimed by another agent at once.
    return this.run('claimNextFile', (late) => this.files.claimNext(now + late, jobs, claim));
  }

  /** A `reason` or `notBefore` not given is cleared. Rejects (ERR_JOURNAL) if the file is unknown. */
  setFileState(
    id: number,
    state: FileState,
    now: number,
    extra?: FileStateExtra,
  ): Promise<boolean> {
    return this.run('setFileState', async () => {
      const result = await this.files.setState(id, state, now, extra ?? {});
      if (result === 'unknown') {
        throw journalError(
          'ERR_JOURNAL',
          this.context('setFileState'),
          `file ${id} is not in the journal`,
          BUG_HINT,
        );
      }
      return result === 'applied';
    });
  }

  heartbeat(agent: AgentInfo, now: number, leaseMs: number): Promise<number[]> {
    // Likewise, a heartbeat that waited out a restart extends the leases from when it lands.
    return this.run('heartbeat', (late) => this.files.heartbeat(agent, now + late, leaseMs));
  }

  listAgents(): Promise<AgentRecord[]> {
    return this.run('listAgents', () => this.files.listAgents());
  }

  leave(agentId: string, now: number): Promise<number> {
    return this.run('leave', () => this.files.leave(agentId, now));
  }

  expireHolds(now: number): Promise<number> {
    return this.run('expireHolds', () => this.files.expireHolds(now));
  }

  getFile(id: number): Promise<FileRecord | undefined> {
    return this.run('getFile', () => this.files.get(id));
  }

  /** Oldest first: by the time each entered its state, then by id. */
  listFiles(query: {
    states?: readonly FileState[];
    limit: number;
    offset?: number;
  }): Promise<FileRecord[]> {
    const page = { limit: count(query.limit), offset: count(query.offset) };
    return this.run('listFiles', () =>
      this.files.list(query.states === undefined ? page : { ...page, states: query.states }),
    );
  }

  countFiles(): Promise<Record<FileState, number>> {
    return this.run('countFiles', () => this.files.countByState());
  }

  pageFiles(query: FileQuery): Promise<Page<FileRecord>> {
    return this.run('pageFiles', () => this.search.pageFiles(query));
  }

  countFilesByJob(): Promise<Record<string, Record<FileState, number>>> {
    return this.run('countFilesByJob', () => this.files.countByJob());
  }

  fileStates(job: string, paths: readonly string[]): Promise<Record<string, FileState>> {
    return this.run('fileStates', () => this.files.states(job, paths));
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
