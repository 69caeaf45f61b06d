/**
 * GroupCommit (the SQLite journal's group commit) on a bare better-sqlite3 connection: what one
 * failing operation, a failing COMMIT and a transaction SQLite rolls back by itself do to the
 * other operations of the group, and which lock a group takes. Commits are counted in the WAL.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { GroupCommit, type GroupOperation } from '../../src/journal/sqlite/sqlite-group-commit.js';
import { walCommits } from './journal-sqlite-wal.js';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Marks errors as having gone through the operation's own mapping, and keeps SQLite's code. */
class MappedError extends Error {
  constructor(readonly driverCode: string | undefined) {
    super(`mapped: ${driverCode ?? 'no code'}`);
  }
}

const mapError = (err: unknown): Error =>
  new MappedError(
    typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined,
  );

/** A database file in its own tmp dir, in WAL mode, with one table `t (x)`. */
async function openDb(): Promise<{ db: Database.Database; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), `s3ferry-group-commit-${process.pid}-`));
  dirs.push(dir);
  const path = join(dir, 'test.db');
  const db = new Database(path, { timeout: 0 });
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE t (x)');
  return { db, path };
}

const rows = (db: Database.Database): unknown[] =>
  db
    .prepare<[], { x: unknown }>('SELECT x FROM t ORDER BY rowid')
    .all()
    .map((r) => r.x);

function insert(db: Database.Database, x: unknown): GroupOperation<number> {
  return {
    fn: () => Number(db.prepare('INSERT INTO t VALUES (?)').run(x).lastInsertRowid),
    writes: true,
    mapError,
  };
}

async function rejectsMapped(promise: Promise<unknown>, code: string | undefined): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof MappedError, `mapped through mapError: ${String(err)}`);
    assert.equal(err.driverCode, code);
    return true;
  });
}

void describe('GroupCommit', () => {
  void it('runs the operations of one turn in one commit, in order, and results come back', async () => {
    const { db, path } = await openDb();
    try {
      const group = new GroupCommit(db);
      const before = walCommits(path);
      const ids = Array.from({ length: 10 }, (_, i) => group.enqueue(insert(db, i)));
      assert.equal(group.pending, 10, 'nothing runs during the turn that queues');
      const seen = group.enqueue({ fn: () => rows(db).length, writes: false, mapError });
      assert.deepEqual(await Promise.all(ids), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.equal(await seen, 10, 'a read queued after the writes sees them');
      assert.equal(walCommits(path) - before, 1);
    } finally {
      db.close();
    }
  });

  void it('splits a burst into groups of at most maxGroup operations', async () => {
    const { db, path } = await openDb();
    try {
      const group = new GroupCommit(db, 2);
      const before = walCommits(path);
      await Promise.all(Array.from({ length: 5 }, (_, i) => group.enqueue(insert(db, i))));
      assert.equal(walCommits(path) - before, 3);
      assert.deepEqual(rows(db), [0, 1, 2, 3, 4]);
    } finally {
      db.close();
    }
  });

  void it('counts the write transactions it committed as the WAL does, reads and failures not', async () => {
    const { db, path } = await openDb();
    try {
      const group = new GroupCommit(db, 4);
      const before = walCommits(path);
      await Promise.all(Array.from({ length: 6 }, (_, i) => group.enqueue(insert(db, i))));
      await group.enqueue(insert(db, 'alone'));
      await group.enqueue({ fn: () => rows(db).length, writes: false, mapError });
      const failing = {
        fn: () => db.exec('INSERT INTO nowhere VALUES (1)'),
        writes: true,
        mapError,
      };
      await rejectsMapped(group.enqueue(failing), 'SQLITE_ERROR');
      assert.equal(walCommits(path) - before, 3, 'groups of 4 and 2, then the one alone');
      assert.equal(group.writeTransactions, 3);
    } finally {
      db.close();
    }
  });

  void it('rolls back only the failing operation, writes included, and commits the others', async () => {
    const { db, path } = await openDb();
    try {
      const group = new GroupCommit(db);
      const before = walCommits(path);
      const first = group.enqueue(insert(db, 'first'));
      const failing = group.enqueue({
        fn: () => {
          db.prepare('INSERT INTO t VALUES (?)').run('undone');
          db.prepare('INSERT INTO nowhere VALUES (1)').run();
        },
        writes: true,
        mapError,
      });
      const last = group.enqueue(insert(db, 'last'));
      await rejectsMapped(failing, 'SQLITE_ERROR');
      assert.deepEqual(await Promise.all([first, last]), [1, 2]);
      assert.equal(walCommits(path) - before, 1);
      assert.deepEqual(rows(db), ['first', 'last']);
    } finally {
      db.close();
    }
  });

  void it('rejects every operation of the group when COMMIT fails, and keeps none', async () => {
    const { db } = await openDb();
    try {
      db.exec(`CREATE TABLE p (id INTEGER PRIMARY KEY);
        CREATE TABLE c (pid INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)`);
      const group = new GroupCommit(db);
      const ok = group.enqueue(insert(db, 'kept?'));
      // A deferred foreign key is checked at COMMIT: the statement succeeds, the COMMIT fails.
      const dangling = group.enqueue({
        fn: () => db.prepare('INSERT INTO c VALUES (42)').run().changes,
        writes: true,
        mapError,
      });
      await rejectsMapped(ok, 'SQLITE_CONSTRAINT_FOREIGNKEY');
      await rejectsMapped(dangling, 'SQLITE_CONSTRAINT_FOREIGNKEY');
      assert.equal(db.inTransaction, false);
      assert.deepEqual(rows(db), []);
      assert.equal(await group.enqueue(insert(db, 'next')), 1, 'the next group works');
    } finally {
      db.close();
    }
  });

  void it('gives the group up when SQLite rolls the whole transaction back (full disk)', async () => {
    const { db } = await openDb();
    try {
      const pages = db.pragma('page_count', { simple: true }) as number;
      db.pragma(`max_page_count = ${pages + 2}`);
      const group = new GroupCommit(db);
      const small = group.enqueue(insert(db, 'small'));
      const big = group.enqueue(insert(db, Buffer.alloc(100_000)));
      const after = group.enqueue(insert(db, 'after'));
      await rejectsMapped(big, 'SQLITE_FULL');
      // Not run outside the transaction (autocommit) once it is gone: rejected, never written.
      await rejectsMapped(small, 'SQLITE_FULL');
      await rejectsMapped(after, 'SQLITE_FULL');
      assert.equal(db.inTransaction, false);
      assert.deepEqual(rows(db), []);
    } finally {
      db.close();
    }
  });

  void it('takes the write lock for a group that writes, and only then', async () => {
    const { db, path } = await openDb();
    const other = new Database(path, { timeout: 0 });
    try {
      db.exec("INSERT INTO t VALUES ('there')");
      const group = new GroupCommit(db);
      other.exec('BEGIN IMMEDIATE'); // another process holds the write lock
      const count = { fn: () => rows(db).length, writes: false, mapError };
      assert.deepEqual(await Promise.all([group.enqueue(count), group.enqueue(count)]), [1, 1]);
      const read = group.enqueue(count);
      const write = group.enqueue(insert(db, 'blocked'));
      await rejectsMapped(read, 'SQLITE_BUSY');
      await rejectsMapped(write, 'SQLITE_BUSY');
      other.exec('COMMIT');
      assert.equal(await group.enqueue(insert(db, 'later')), 2);
    } finally {
      other.close();
      db.close();
    }
  });

  void it('flush() runs what is queued at once, and the scheduled turn then finds nothing', async () => {
    const { db } = await openDb();
    try {
      const group = new GroupCommit(db);
      const queued = [group.enqueue(insert(db, 'a')), group.enqueue(insert(db, 'b'))];
      group.flush();
      assert.equal(group.pending, 0);
      db.close(); // as close() does right after flushing
      assert.deepEqual(await Promise.all(queued), [1, 2]);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      if (db.open) db.close();
    }
  });
  void it('counts the operations that changed rows, by name, and the transactions', async () => {
    const { db } = await openDb();
    try {
      const group = new GroupCommit(db);
      const named = (name: string, op: GroupOperation<number>) => ({ ...op, name });
      const nothing: GroupOperation<number> = {
        fn: () => db.prepare('UPDATE t SET x = 0 WHERE x = -1').run().changes,
        writes: true,
        mapError,
        name: 'claim',
      };
      const failing = named('enqueue', {
        fn: () => {
          db.prepare('INSERT INTO t VALUES (9)').run();
          throw new Error('after a write');
        },
        writes: true,
        mapError,
      });
      // One turn: two inserts, an update that changes nothing, one that fails after writing.
      const turn = [
        group.enqueue(named('enqueue', insert(db, 1))),
        group.enqueue(named('complete', insert(db, 2))),
        group.enqueue(nothing),
        group.enqueue(failing),
      ];
      await Promise.allSettled(turn);
      // A turn of one operation that changes nothing, then one that writes.
      await group.enqueue(nothing);
      await group.enqueue(named('enqueue', insert(db, 3)));
      assert.deepEqual(group.writeStats, {
        operations: { enqueue: 2, complete: 1 },
        transactions: 2,
      });
      assert.deepEqual(rows(db), [1, 2, 3]);
    } finally {
      db.close();
    }
  });
});
