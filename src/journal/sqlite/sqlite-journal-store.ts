/**
 * The embedded journal: one SQLite file in WAL mode, through better-sqlite3. better-sqlite3 is
 * synchronous; the async contract is kept so PostgreSQL fits it too (journal-store.ts).
 *
 * Every operation is atomic: a single statement, or a transaction when it reads before it writes.
 * Operations are not run when called but queued, and those of one event-loop turn share one
 * transaction (group commit: sqlite-group-commit.ts), each in its own savepoint; a promise settles
 * once its operation is committed. A group that writes is an IMMEDIATE transaction, so another
 * process can never slip a write between an operation's read and its write. The work is split by
 * concern (sqlite-uploads.ts, sqlite-event-log.ts, sqlite-file-queue.ts); this class maps errors
 * and keeps the async contract. Opening and durability: see sqlite-connection.ts.
 */
import type Database from 'better-sqlite3';
import { AppError } from '../../errors/app-error.js';
import { journalError, toJournalError, type JournalErrorContext } from '../journal-errors.js';
import {
  FILE_STATES,
  type AgentInfo,
  type AgentRecord,
  type ClaimOptions,
  type Destination,
  type EventRecord,
  type FileRecord,
  type FileState,
  type FileQuery,
  type FileToQueue,
  type HistoryEntry,
  type HistoryQuery,
  type HistoryRecord,
  type JournalStore,
  type NewEvent,
  type Page,
  type PartRecord,
  type UploadIntent,
  type UploadOutcome,
  type UploadRecord,
} from '../journal-store.js';
import { openSqliteJournal } from './sqlite-connection.js';
import { createEventLog, type EventLog } from './sqlite-event-log.js';
import { createHistoryTextIndex, type HistoryTextIndex } from './sqlite-history-text.js';
import { createFileQueue, type FileQueue, type FileStateExtra } from './sqlite-file-queue.js';
import { GroupCommit } from './sqlite-group-commit.js';
import {
  toAgentRecord,
  toFileRecord,
  toHistoryRecord,
  toPartRecord,
  toUploadRecord,
} from '../journal-rows.js';
import { createSearch, type SqliteSearch } from './sqlite-search.js';
import { prepareStatements, type SqliteStatements } from './sqlite-statements.js';
import { createUploadLog, type UploadLog } from './sqlite-uploads.js';

/** What {@link SqliteJournalStore} needs. */
export interface SqliteJournalStoreDeps {
  /** The journal file (its directory is created if missing), or ':memory:' for tests. */
  readonly path: string;
  /** How many events to keep, newest first. Default {@link DEFAULT_EVENT_RETENTION}. */
  readonly eventRetention?: number;
  /** How long to wait for another connection's lock before ERR_JOURNAL_LOCKED, in ms. */
  readonly busyTimeoutMs?: number;
  /** 'normal' (default) survives process crashes, 'full' also power loss: sqlite-connection.ts. */
  readonly synchronous?: 'normal' | 'full';
}

/** Default of {@link SqliteJournalStoreDeps.eventRetention}. */
export const DEFAULT_EVENT_RETENTION = 10_000;
/** Default of {@link SqliteJournalStoreDeps.busyTimeoutMs}. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

const BUG_HINT = 'this is a bug in s3ferry: please report it with the log';

function wholeAtLeast(value: number, min: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new AppError(
      'ERR_CONFIG_INVALID',
      `${what} must be a whole number >= ${min}, got ${value}`,
    );
  }
  return value;
}

/** LIMIT/OFFSET as SQLite wants them: whole and not negative (SQLite reads -1 as "no limit"). */
const count = (n: number | undefined): number => Math.max(0, Math.trunc(n ?? 0));

/** The SQLite {@link JournalStore}. Use {@link SqliteJournalStore.open} to get one. */
export class SqliteJournalStore implements JournalStore {
  /** The journal file, as given. */
  readonly path: string;
  private readonly db: Database.Database;
  private readonly stmts: SqliteStatements;
  private readonly uploads: UploadLog;
  private readonly events: EventLog;
  private readonly historyText: HistoryTextIndex;
  private readonly files: FileQueue;
  private readonly search: SqliteSearch;
  private readonly group: GroupCommit;
  private closed = false;

  /**
   * Opens (creating and migrating as needed) the journal, synchronously. Prefer {@link open}, the
   * async factory that every store has. Throws an AppError: ERR_JOURNAL, ERR_JOURNAL_LOCKED,
   * ERR_JOURNAL_CORRUPT, or ERR_CONFIG_INVALID for bad options.
   */
  constructor(deps: SqliteJournalStoreDeps) {
    this.path = deps.path;
    const retention = wholeAtLeast(
      deps.eventRetention ?? DEFAULT_EVENT_RETENTION,
      1,
      'event retention',
    );
    const busyTimeoutMs = wholeAtLeast(
      deps.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      0,
      'journal busy timeout (ms)',
    );
    try {
      const synchronous = deps.synchronous ?? 'normal';
      this.db = openSqliteJournal(
        { path: deps.path, busyTimeoutMs, synchronous },
        this.context('open'),
      );
      this.stmts = prepareStatements(this.db);
      this.historyText = createHistoryTextIndex(this.db);
    } catch (err) {
      throw toJournalError(err, this.context('open'));
    }
    const refuse = (operation: string, message: string): never => {
      throw journalError(
        'ERR_JOURNAL',
        this.context(operation),
        message,
        'this is a bug in s3ferry, or another agent took over the upload: see the log',
      );
    };
    this.uploads = createUploadLog(this.db, this.stmts, refuse);
    this.events = createEventLog(this.db, this.stmts, retention, this.historyText);
    this.files = createFileQueue(this.db, this.stmts);
    this.search = createSearch(this.db);
    this.group = new GroupCommit(this.db);
  }

  /** Opens (creating and migrating as needed) the journal at `deps.path`. Rejects with an AppError. */
  static open(deps: SqliteJournalStoreDeps): Promise<SqliteJournalStore> {
    try {
      return Promise.resolve(new SqliteJournalStore(deps));
    } catch (err) {
      return Promise.reject(
        toJournalError(err, { backend: 'sqlite', location: deps.path, operation: 'open' }),
      );
    }
  }

  private context(operation: string): JournalErrorContext {
    return { backend: 'sqlite', location: this.path, operation };
  }

  /**
   * Queues one operation that writes (see sqlite-group-commit.ts); resolves once it is committed.
   * Whatever it throws becomes an AppError naming the journal.
   */
  private run<T>(operation: string, fn: () => T): Promise<T> {
    return this.queue(operation, fn, true);
  }

  /** Queues one operation that only reads, in program order with the writes. */
  private read<T>(operation: string, fn: () => T): Promise<T> {
    return this.queue(operation, fn, false);
  }

  private queue<T>(operation: string, fn: () => T, writes: boolean): Promise<T> {
    const mapError = (err: unknown): AppError => toJournalError(err, this.context(operation));
    if (this.closed) {
      return Promise.reject(
        journalError('ERR_JOURNAL', this.context(operation), 'the journal is closed', BUG_HINT),
      );
    }
    return this.group.enqueue({ fn, writes, mapError });
  }

  beginUpload(intent: UploadIntent): Promise<UploadRecord> {
    return this.run('beginUpload', () => this.uploads.begin(intent));
  }

  /** Rejects (ERR_JOURNAL) if the upload is unknown, finished, or already has another UploadId. */
  recordUploadId(id: number, uploadId: string): Promise<void> {
    return this.run('recordUploadId', () => {
      this.uploads.recordUploadId(id, uploadId);
    });
  }

  /** Rejects (ERR_JOURNAL) if the upload is unknown or the part number is outside 1..10,000. */
  recordPart(id: number, part: PartRecord): Promise<void> {
    return this.run('recordPart', () => {
      this.uploads.recordPart(id, part);
    });
  }

  listParts(id: number): Promise<PartRecord[]> {
    return this.read('listParts', () => this.stmts.listParts.all(id).map(toPartRecord));
  }

  /** A null `etag` keeps the one already recorded. Rejects (ERR_JOURNAL) unless the upload is open. */
  markCompleted(id: number, etag: string | null): Promise<void> {
    return this.run('markCompleted', () => {
      this.uploads.markCompleted(id, etag);
    });
  }

  /**
   * Rejects (ERR_JOURNAL) unless the upload is open: a finished upload is never rewritten. Ending
   * it again in the same state is a no-op that keeps the first record.
   */
  finishUpload(id: number, outcome: UploadOutcome): Promise<void> {
    return this.run('finishUpload', () => {
      this.uploads.finish(id, outcome);
    });
  }

  getUpload(id: number): Promise<UploadRecord | undefined> {
    return this.read('getUpload', () => {
      const row = this.stmts.getUpload.get(id);
      return row === undefined ? undefined : toUploadRecord(row);
    });
  }

  findOpenUpload({ endpoint, bucket, key }: Destination): Promise<UploadRecord | undefined> {
    return this.read('findOpenUpload', () => {
      const row = this.stmts.findOpenUpload.get({ endpoint, bucket, key });
      return row === undefined ? undefined : toUploadRecord(row);
    });
  }

  findLatestUpload({ endpoint, bucket, key }: Destination): Promise<UploadRecord | undefined> {
    return this.read('findLatestUpload', () => {
      const row = this.stmts.findLatestUpload.get({ endpoint, bucket, key });
      return row === undefined ? undefined : toUploadRecord(row);
    });
  }

  listOpenUploads(filter?: { endpoint: string; bucket: string }): Promise<UploadRecord[]> {
    return this.read('listOpenUploads', () => {
      const rows =
        filter === undefined
          ? this.stmts.listOpenUploads.all()
          : this.stmts.listOpenUploadsIn.all({ endpoint: filter.endpoint, bucket: filter.bucket });
      return rows.map(toUploadRecord);
    });
  }

  knowsUploadId(uploadId: string): Promise<boolean> {
    return this.read('knowsUploadId', () => this.stmts.knowsUploadId.get(uploadId) !== undefined);
  }

  appendEvent(event: NewEvent): Promise<EventRecord> {
    return this.run('appendEvent', () => this.events.append(event));
  }

  listEvents(query: { limit: number; beforeId?: number; type?: string }): Promise<EventRecord[]> {
    return this.read('listEvents', () =>
      this.events.listEvents(count(query.limit), query.beforeId, query.type),
    );
  }

  countEvents(query: { type?: string } = {}): Promise<number> {
    return this.read('countEvents', () => this.events.countEvents(query.type));
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
    return this.read('listHistory', () =>
      this.events.listHistory(count(query.limit), count(query.offset), query.sourcePath),
    );
  }

  /** See {@link HistoryQuery}; SQL and indexes: sqlite-search.ts. */
  searchHistory(query: HistoryQuery): Promise<Page<HistoryRecord>> {
    if (query.q === undefined || query.q === '')
      return this.read('searchHistory', () => this.search.searchHistory(query));
    // Text is looked up in the trigram index: bring it up to date first (sqlite-history-text.ts).
    return this.run('searchHistory', () => {
      this.historyText.catchUp();
      return this.search.searchHistory(query);
    });
  }

  findDoneByChecksum(checksum: string): Promise<HistoryRecord | undefined> {
    return this.read('findDoneByChecksum', () => {
      const row = this.stmts.findDoneByChecksum.get({ checksum });
      return row === undefined ? undefined : toHistoryRecord(row);
    });
  }

  enqueueFile(file: FileToQueue, now: number): Promise<FileRecord> {
    return this.run('enqueueFile', () => this.files.enqueue(file, now));
  }

  claimNextFile(
    now: number,
    jobs?: readonly string[],
    claim?: ClaimOptions,
  ): Promise<FileRecord | undefined> {
    return this.run('claimNextFile', () => this.files.claimNext(now, jobs, claim));
  }

  /**
   * A `reason` or `notBefore` not given is cleared: both describe the state being left.
   * Rejects (ERR_JOURNAL) if the file is unknown.
   */
  setFileState(
    id: number,
    state: FileState,
    now: number,
    extra?: FileStateExtra,
  ): Promise<boolean> {
    return this.run('setFileState', () => {
      const result = this.files.setState(id, state, now, extra ?? {});
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

  /** One agent owns a SQLite journal (the agent lock enforces it). */
  readonly shared = false;

  heartbeat(agent: AgentInfo, now: number, leaseMs: number): Promise<number[]> {
    return this.run('heartbeat', () => this.files.heartbeat(agent, now, leaseMs));
  }

  listAgents(): Promise<AgentRecord[]> {
    return this.read('listAgents', () => this.stmts.listAgents.all().map(toAgentRecord));
  }

  leave(agentId: string, now: number): Promise<number> {
    return this.run('leave', () => this.files.leave(agentId, now));
  }

  expireHolds(now: number): Promise<number> {
    return this.run('expireHolds', () => this.files.expireHolds(now));
  }

  getFile(id: number): Promise<FileRecord | undefined> {
    return this.read('getFile', () => {
      const row = this.stmts.getFile.get(id);
      return row === undefined ? undefined : toFileRecord(row);
    });
  }

  /** Oldest first: by the time each entered its state, then by id. */
  listFiles(query: {
    states?: readonly FileState[];
    limit: number;
    offset?: number;
  }): Promise<FileRecord[]> {
    return this.read('listFiles', () => {
      const page = { limit: count(query.limit), offset: count(query.offset) };
      const rows =
        query.states === undefined
          ? this.stmts.listFiles.all(page)
          : this.stmts.listFilesIn.all({ ...page, states: JSON.stringify(query.states) });
      return rows.map(toFileRecord);
    });
  }

  countFiles(): Promise<Record<FileState, number>> {
    return this.read('countFiles', () => {
      const counts = Object.fromEntries(Object.values(FILE_STATES).map((s) => [s, 0]));
      for (const { state, n } of this.stmts.countFiles.all()) counts[state] = n;
      return counts as Record<FileState, number>;
    });
  }

  pageFiles(query: FileQuery): Promise<Page<FileRecord>> {
    return this.read('pageFiles', () => this.search.pageFiles(query));
  }

  countFilesByJob(): Promise<Record<string, Record<FileState, number>>> {
    return this.read('countFilesByJob', () => {
      const byJob: Record<string, Record<string, number>> = {};
      for (const { job, state, n } of this.stmts.countFilesByJob.all()) {
        byJob[job] ??= Object.fromEntries(Object.values(FILE_STATES).map((st) => [st, 0]));
        byJob[job][state] = n;
      }
      return byJob;
    });
  }

  fileStates(job: string, paths: readonly string[]): Promise<Record<string, FileState>> {
    return this.read('fileStates', () => {
      const rows = this.stmts.fileStates.all({ job, paths: JSON.stringify(paths) });
      return Object.fromEntries(rows.map((r) => [r.path, r.state]));
    });
  }

  /**
   * Runs and commits the operations still queued (their promises settle as usual), then closes the
   * connection (SQLite checkpoints the WAL into the file). Idempotent.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.group.flush();
    try {
      this.historyText.catchUp();
    } catch {
      // The trigram index is derived from `history`: the next search or close indexes these rows.
    }
    try {
      this.db.close();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(toJournalError(err, this.context('close')));
    }
  }
}
