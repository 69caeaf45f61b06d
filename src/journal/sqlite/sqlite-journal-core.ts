/**
 * The embedded journal: one SQLite file in WAL mode, through better-sqlite3. better-sqlite3 is
 * synchronous; the async contract is kept so PostgreSQL fits it too (journal-store.ts).
 *
 * Every operation is atomic: a single statement, or a transaction when it reads before it writes.
 * Operations are not run when called but queued, and those of one event-loop turn share one
 * transaction (group commit: sqlite-group-commit.ts), each in its own savepoint; a promise settles
 * once its operation is committed. A group that writes is an IMMEDIATE transaction, so another
 * process can never slip a write between an operation's read and its write. The work is split by
 * concern (sqlite-uploads.ts, sqlite-event-log.ts, sqlite-file-queue.ts, sqlite-fleet.ts); this
 * core opens, queues, maps errors and closes, and serves the upload ledger and the event log; the
 * store (sqlite-journal-store.ts) adds the queue, the fleet and the reads. Opening and durability:
 * see sqlite-connection.ts.
 */
import type Database from 'better-sqlite3';
import type { Hold } from '../../domain/file-state.js';
import { AppError } from '../../errors/app-error.js';
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
import { openSqliteJournal } from './sqlite-connection.js';
import { createEventLog, type SqliteEventLog } from './sqlite-event-log.js';
import { createFileQueue, type SqliteFileQueue } from './sqlite-file-queue.js';
import { createFleet, type SqliteFleet } from './sqlite-fleet.js';
import { GroupCommit, type WriteStats } from './sqlite-group-commit.js';
import { createHistoryTextIndex, type HistoryTextIndex } from './sqlite-history-text.js';
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
export const count = (n: number | undefined): number => Math.max(0, Math.trunc(n ?? 0));

/** Opening, queueing, errors and closing of the SQLite journal; the ledger and the event log. */
export class SqliteJournalCore {
  /** The journal file, as given. */
  readonly path: string;
  protected readonly db: Database.Database;
  protected readonly stmts: SqliteStatements;
  protected readonly events: SqliteEventLog;
  protected readonly historyText: HistoryTextIndex;
  protected readonly files: SqliteFileQueue;
  protected readonly members: SqliteFleet;
  protected readonly search: SqliteSearch;
  private readonly uploads: UploadLog;
  private readonly group: GroupCommit;
  private closed = false;

  /**
   * Opens (creating and migrating as needed) the journal, synchronously. Throws an AppError:
   * ERR_JOURNAL, ERR_JOURNAL_LOCKED, ERR_JOURNAL_CORRUPT, or ERR_CONFIG_INVALID for bad options.
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
    const checkHold = (hold: Hold | undefined): void => {
      if (hold !== undefined)
        assertHolds(this.context('hold'), hold, this.stmts.getFile.get(hold.fileId));
    };
    this.uploads = createUploadLog(this.db, this.stmts, refuse, checkHold);
    this.events = createEventLog(this.db, this.stmts, retention, this.historyText);
    const ctx = (operation: string) => this.context(operation);
    const uploads = this.uploads;
    this.files = createFileQueue(this.db, this.stmts, this.events, ctx, (u) => uploads.record(u));
    this.members = createFleet(this.db, this.stmts, this.events);
    this.search = createSearch(this.db);
    this.group = new GroupCommit(this.db);
  }

  /** Write transactions the group commit committed since the journal was opened. */
  get writeTransactions(): number {
    return this.group.writeTransactions;
  }

  /**
   * What this connection wrote since it was opened, by operation (sqlite-group-commit.ts): the
   * journal work per file is measured with it (test/e2e/pipeline-journal-writes.test.ts, bench).
   */
  get writeStats(): WriteStats {
    return this.group.writeStats;
  }

  protected context(operation: string): JournalErrorContext {
    return { backend: 'sqlite', location: this.path, operation };
  }

  /**
   * Queues one operation that writes (see sqlite-group-commit.ts); resolves once it is committed.
   * Whatever it throws becomes an AppError naming the journal.
   */
  protected run<T>(operation: string, fn: () => T): Promise<T> {
    return this.queue(operation, fn, true);
  }

  /** Queues one operation that only reads, in program order with the writes. */
  protected read<T>(operation: string, fn: () => T): Promise<T> {
    return this.queue(operation, fn, false);
  }

  private queue<T>(operation: string, fn: () => T, writes: boolean): Promise<T> {
    const mapError = (err: unknown): AppError => toJournalError(err, this.context(operation));
    if (this.closed) {
      return Promise.reject(
        journalError('ERR_JOURNAL', this.context(operation), 'the journal is closed', BUG_HINT),
      );
    }
    return this.group.enqueue({ fn, writes, mapError, name: operation });
  }

  /** Records the intent (with its file, when given). See UploadLedger. */
  beginUpload(intent: UploadIntent, hold?: Hold): Promise<UploadRecord> {
    return this.run('beginUpload', () => this.uploads.begin(intent, hold));
  }

  /** Rejects (ERR_JOURNAL) if the upload is unknown, finished, or already has another UploadId. */
  recordUploadId(id: number, uploadId: string, hold?: Hold): Promise<void> {
    return this.run('recordUploadId', () => {
      this.uploads.recordUploadId(id, uploadId, hold);
    });
  }

  /** Rejects (ERR_JOURNAL) if the upload is unknown or the part number is outside 1..10,000. */
  recordPart(id: number, part: PartRecord, hold?: Hold): Promise<void> {
    return this.run('recordPart', () => {
      this.uploads.recordPart(id, part, hold);
    });
  }

  /** A null `etag` keeps the one already recorded. Rejects (ERR_JOURNAL) unless the upload is open. */
  markCompleted(id: number, etag: string | null, hold?: Hold): Promise<void> {
    return this.run('markCompleted', () => {
      this.uploads.markCompleted(id, etag, hold);
    });
  }

  /**
   * Rejects (ERR_JOURNAL) unless the upload is open: a finished upload is never rewritten. Ending
   * it again in the same state is a no-op that keeps the first record.
   */
  finishUpload(id: number, outcome: UploadOutcome, hold?: Hold): Promise<void> {
    return this.run('finishUpload', () => {
      this.uploads.finish(id, outcome, hold);
    });
  }

  /** One write: the upload 'verified', its part, its ETag. See UploadLedger. */
  recordUpload(upload: VerifiedUpload, hold?: Hold): Promise<UploadRecord> {
    return this.run('recordUpload', () => this.uploads.record(upload, hold));
  }

  appendEvent(event: NewEvent): Promise<EventRecord> {
    return this.run('appendEvent', () => this.events.append(event));
  }

  addHistory(entry: HistoryEntry): Promise<HistoryRecord> {
    return this.run('addHistory', () => this.events.addHistory(entry));
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
