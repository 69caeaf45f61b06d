/**
 * Group commit for the SQLite journal: the operations issued during one event-loop turn share one
 * transaction, committed at the next `setImmediate`.
 *
 * Why: a small file costs the journal some ten writes (intent, events, part, completion, end,
 * history, file states), and 16 files are in flight at once. One commit per write rewrites the
 * same hot pages (history's indexes, the FTS table, the events' tail) to the WAL again and again;
 * one commit for all the writes of a turn writes each of those pages once.
 *
 * How: {@link GroupCommit.enqueue} queues an operation (a synchronous function) and schedules a
 * flush. The flush runs the queue in program order, at most {@link MAX_GROUP} operations per
 * transaction, each inside its own SAVEPOINT, so an operation that throws has its writes rolled
 * back and its promise rejected while the others carry on and commit. A group that writes starts
 * with BEGIN IMMEDIATE: it holds the write lock from its first statement to COMMIT, so an
 * operation that reads before it writes (and used to run in its own IMMEDIATE transaction) still
 * sees no other process slip a write in between. A group of reads starts with a deferred BEGIN,
 * so it never takes the write lock. A group of one operation runs as before grouping: no outer
 * transaction, the operation's own statement or transaction commits it.
 *
 * Durability: every promise settles only after the COMMIT of its group returned, that is after
 * SQLite wrote the group to the WAL (and fsynced it with synchronous=FULL): a caller that awaits
 * the journal before the S3 request, as the transfer engine does, still never acts on a fact the
 * journal could lose in a process crash. What changes is only that facts of one turn become
 * durable together. If the group's transaction fails as a whole (BEGIN or COMMIT fails: locked,
 * disk full, I/O error; or SQLite rolled the whole transaction back after one operation's error),
 * nothing of it was kept and every operation of the group rejects with that error; an operation
 * that had failed on its own keeps its own error. Operations queued but not yet run are only lost
 * if the process dies before the next turn, exactly when their callers have not been told yet.
 */
import type Database from 'better-sqlite3';

/** Most operations in one transaction: a longer queue (a burst) is committed in several. */
export const MAX_GROUP = 256;

/** One operation to run in a group. */
export interface GroupOperation<T> {
  /** The work: synchronous, may throw. Runs inside a SAVEPOINT when the group has others. */
  readonly fn: () => T;
  /** False for operations that only read: a group of them never takes the write lock. */
  readonly writes: boolean;
  /** Turns what `fn` (or the group's BEGIN/COMMIT) threw into the error the promise rejects with. */
  readonly mapError: (err: unknown) => Error;
  /** The journal operation's name, for {@link GroupCommit.writeStats}. */
  readonly name?: string;
}

/**
 * What the journal wrote since it was opened: the operations that changed rows (SQLite's own change
 * counter, `total_changes()`, moved while each ran), by operation name, and the transactions that
 * committed them. An operation that wrote nothing (a claim that found no file) is not counted.
 */
export interface WriteStats {
  /** Operations that changed rows, by their name ('' when unnamed). */
  readonly operations: Readonly<Record<string, number>>;
  /** Committed transactions that changed rows (a group counts once, however many operations). */
  readonly transactions: number;
}

interface Queued extends GroupOperation<unknown> {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
}

type Outcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** Queues operations and runs each turn's in one transaction on `db`. */
export class GroupCommit {
  readonly #db: Database.Database;
  readonly #maxGroup: number;
  /** Runs a function in a SAVEPOINT (better-sqlite3 nests a transaction as a savepoint). */
  readonly #inSavepoint: (fn: () => unknown) => unknown;
  readonly #group: Database.Transaction<(ops: readonly Queued[], outcomes: Outcome[]) => void>;
  #queue: Queued[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #writeTransactions = 0;
  /** `SELECT total_changes()`: rows changed on this connection so far. */
  readonly #totalChanges: () => number;
  readonly #written = new Map<string, number>();
  #transactions = 0;

  constructor(db: Database.Database, maxGroup = MAX_GROUP) {
    this.#db = db;
    this.#maxGroup = Math.max(1, Math.trunc(maxGroup));
    this.#inSavepoint = db.transaction((fn: () => unknown) => fn());
    const changes = db.prepare<[], number>('SELECT total_changes()').pluck();
    this.#totalChanges = () => changes.get() ?? 0;
    this.#group = db.transaction((ops: readonly Queued[], outcomes: Outcome[]) => {
      for (const op of ops) {
        try {
          outcomes.push({ ok: true, value: this.#counted(op, () => this.#inSavepoint(op.fn)) });
        } catch (error) {
          outcomes.push({ ok: false, error });
          // Some errors (I/O, full disk) make SQLite roll back the whole transaction: the
          // statements that would follow would run outside it, in autocommit. Give the group up.
          if (!this.#db.inTransaction) throw error;
        }
      }
    });
  }

  /** What the journal wrote so far (see {@link WriteStats}). */
  get writeStats(): WriteStats {
    return { operations: Object.fromEntries(this.#written), transactions: this.#transactions };
  }

  /** Runs `fn` for `op`, counting `op` when rows changed meanwhile. */
  #counted<T>(op: GroupOperation<unknown>, fn: () => T): T {
    if (!op.writes) return fn();
    const before = this.#totalChanges();
    const value = fn();
    if (this.#totalChanges() !== before) {
      const name = op.name ?? '';
      this.#written.set(name, (this.#written.get(name) ?? 0) + 1);
    }
    return value;
  }

  /** How many operations wait for the next flush. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Transactions that wrote and committed so far: one per group that wrote, one per writing
   * operation that ran alone (its own statement or transaction). What the journal costs per file
   * (the bench's journal writes per small file, issue 14), not a count of SQL statements.
   */
  get writeTransactions(): number {
    return this.#writeTransactions;
  }

  /** Queues `op`; resolves with what its `fn` returned once that is committed. */
  enqueue<T>(op: GroupOperation<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ ...op, resolve: resolve as (value: unknown) => void, reject });
      this.#scheduled ??= setImmediate(() => {
        this.#scheduled = undefined;
        this.flush();
      });
    });
  }

  /**
   * Runs and commits everything queued, now and synchronously (close() calls it before closing
   * the connection). Never throws: each failure rejects the promises it concerns.
   */
  flush(): void {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    while (this.#queue.length > 0) {
      this.#commit(this.#queue.splice(0, this.#maxGroup));
    }
  }

  #commit(ops: readonly Queued[]): void {
    const [only] = ops;
    const before = this.#totalChanges();
    if (ops.length === 1 && only !== undefined) {
      try {
        only.resolve(this.#counted(only, only.fn));
        if (only.writes) this.#writeTransactions += 1;
        if (this.#totalChanges() !== before) this.#transactions += 1;
      } catch (err) {
        only.reject(only.mapError(err));
      }
      return;
    }
    const outcomes: Outcome[] = [];
    const writes = ops.some((op) => op.writes);
    try {
      if (writes) this.#group.immediate(ops, outcomes);
      else this.#group.deferred(ops, outcomes);
      if (writes) this.#writeTransactions += 1;
      if (this.#totalChanges() !== before) this.#transactions += 1;
    } catch (err) {
      // Nothing of the group was kept (better-sqlite3 rolled back whatever SQLite had not).
      ops.forEach((op, i) => {
        const outcome = outcomes[i];
        op.reject(op.mapError(outcome?.ok === false ? outcome.error : err));
      });
      return;
    }
    ops.forEach((op, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok === true) op.resolve(outcome.value);
      else op.reject(op.mapError(outcome?.error));
    });
  }
}
