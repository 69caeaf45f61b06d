/**
 * The SQLite migration runner and the SQLite schema's ledger.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isAppError } from '../../src/errors/app-error.js';
import type { JournalErrorContext } from '../../src/journal/journal-errors.js';
import {
  assertMigrationList,
  latestVersion,
  type Migration,
} from '../../src/journal/migrations/migration.js';
import {
  SQLITE_APPLICATION_ID,
  SQLITE_MIGRATIONS,
} from '../../src/journal/migrations/sqlite-migrations.js';
import { migrateSqlite, schemaVersion } from '../../src/journal/sqlite/sqlite-migrator.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { fileFor } from '../conformance/journal-conformance-support.js';

const CTX: JournalErrorContext = { backend: 'sqlite', location: ':memory:', operation: 'open' };
const V1: Migration = {
  version: 1,
  name: 'create-t',
  sql: 'CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);',
};
const V2: Migration = { version: 2, name: 'add-2', sql: 'INSERT INTO t VALUES (2);' };
const BAD: Migration = {
  version: 3,
  name: 'broken',
  sql: 'INSERT INTO t VALUES (3); CREATE TABLE broken (;',
};

const values = (db: Database.Database): number[] =>
  db
    .prepare<[], { x: number }>('SELECT x FROM t ORDER BY x')
    .all()
    .map((r) => r.x);

void describe('SQLite migrations', () => {
  void it('runs each migration once, in order, recording it in user_version', () => {
    const db = new Database(':memory:');
    assert.equal(migrateSqlite(db, [V1], CTX), 1);
    assert.equal(migrateSqlite(db, [V1], CTX), 0, 'nothing to do the second time');
    assert.deepEqual([schemaVersion(db), values(db)], [1, [1]]);
    assert.equal(migrateSqlite(db, [V1, V2], CTX), 1, 'only the appended one runs');
    assert.deepEqual([schemaVersion(db), values(db)], [2, [1, 2]]);
    db.close();
  });

  void it('a failing migration changes nothing, version included', () => {
    const db = new Database(':memory:');
    migrateSqlite(db, [V1, V2], CTX);
    assert.throws(() => migrateSqlite(db, [V1, V2, BAD], CTX), /syntax error/);
    assert.deepEqual([schemaVersion(db), values(db), db.inTransaction], [2, [1, 2], false]);
    db.close();
  });

  void it('refuses a journal newer than the code with ERR_JOURNAL', () => {
    const db = new Database(':memory:');
    migrateSqlite(db, [V1, V2], CTX);
    assert.throws(
      () => migrateSqlite(db, [V1], CTX),
      (err: unknown) => isAppError(err, 'ERR_JOURNAL') && err.message.includes('newer'),
    );
    db.close();
  });

  void it('refuses a malformed list (gap, repeat, disorder)', () => {
    assert.throws(() => {
      assertMigrationList([V2]);
    }, /expected 1/);
    assert.throws(() => {
      assertMigrationList([V1, V1]);
    }, /expected 2/);
    assert.throws(() => {
      assertMigrationList([V2, V1]);
    }, /expected 1/);
    assert.doesNotThrow(() => {
      assertMigrationList(SQLITE_MIGRATIONS);
    });
  });

  void it('a store records the schema in user_version and application_id, and reopening keeps it', async () => {
    const dir = await mkdtemp(join(tmpdir(), `s3ferry-journal-mig-${process.pid}-`));
    try {
      const path = join(dir, 'journal.db');
      const first = await SqliteJournalStore.open({ path });
      const {
        file: { id },
      } = await first.enqueue(fileFor(), 1);
      await first.close();
      const db = new Database(path);
      assert.equal(schemaVersion(db), latestVersion(SQLITE_MIGRATIONS));
      assert.equal(db.pragma('application_id', { simple: true }), SQLITE_APPLICATION_ID);
      assert.equal(migrateSqlite(db, SQLITE_MIGRATIONS, CTX), 0, 'nothing left to run');
      db.close();
      const again = await SqliteJournalStore.open({ path });
      assert.equal((await again.getFile(id))?.path, fileFor().path);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

void describe('SQLite migration 8: files by role', () => {
  void it('a journal of schema 7 migrates: reasons parsed into columns, discovered settles', async () => {
    const dir = await mkdtemp(join(tmpdir(), `s3ferry-journal-mig8-${process.pid}-`));
    try {
      const path = join(dir, 'journal.db');
      const db = new Database(path);
      migrateSqlite(db, SQLITE_MIGRATIONS.slice(0, 7), CTX);
      const insert = db.prepare<[string, string, string | null]>(
        `INSERT INTO files (job, path, size, mtime_ms, inode, state, reason, attempts, updated_at,
           ready_at) VALUES ('j', ?, 1, 1, 1, ?, ?, 1, 1, 1)`,
      );
      const rows: [string, string, string | null][] = [
        ['/fix', 'parked', 'ERR_FILE_UNREADABLE: /fix: permission denied (fix: chmod it (a+r))'],
        ['/nofix', 'waiting', 'ERR_S3_THROTTLED: slow down: 503'],
        ['/held', 'uploading', 'held by an agent that stopped; taken up again'],
        ['/left', 'queued', 'released by agent h:1:x as it stopped'],
        ['/same', 'skipped', 'same content as s3://b/k (sha256:ab)'],
        ['/exists', 'skipped', 's3://b/k exists and the overwrite policy is never'],
        ['/other', 'cancelled', 'something else: with a colon'],
        ['/none', 'queued', null],
        ['/found', 'discovered', null],
      ];
      for (const r of rows) insert.run(...r);
      db.prepare(
        `INSERT INTO uploads (endpoint, bucket, object_key, source_path, source_size,
           source_mtime_ms, source_inode, mode, part_size, part_count, owner, state, started_at)
         VALUES ('', 'b', 'k', '/fix', 1, 1, 1, 'single', 1, 1, 'o', 'intent', 1)`,
      ).run();
      db.close();

      const store = await SqliteJournalStore.open({ path });
      try {
        const files = await store.listFiles({ limit: 20 });
        const by = new Map(files.map((f) => [f.path, f]));
        const reason = (p: string) => by.get(p)?.reason;
        assert.deepEqual(reason('/fix'), {
          code: 'ERR_FILE_UNREADABLE',
          message: '/fix: permission denied',
          hint: 'chmod it (a+r)',
        });
        assert.deepEqual(reason('/nofix'), {
          code: 'ERR_S3_THROTTLED',
          message: 'slow down: 503',
          hint: null,
        });
        assert.equal(reason('/held')?.code, 'hold-expired');
        assert.equal(reason('/left')?.code, 'released');
        assert.equal(reason('/same')?.code, 'duplicate');
        assert.equal(reason('/exists')?.code, 'exists');
        assert.deepEqual(reason('/other'), {
          code: 'note',
          message: 'something else: with a colon',
          hint: null,
        });
        assert.equal(reason('/none'), null);
        assert.equal(by.get('/found')?.state, 'settling', 'discovered is no state any more');
        assert.deepEqual(
          files.map((f) => [f.plan, f.ctimeMs]),
          files.map(() => [null, null]),
        );
        const [upload] = await store.listOpenUploads();
        assert.equal(upload?.fileId, null);
        assert.deepEqual(await store.pauses(), { all: false, jobs: [] });
      } finally {
        await store.close();
      }
      const after = new Database(path);
      const columns = after
        .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('files')")
        .all()
        .map((c) => c.name);
      after.close();
      assert.ok(!columns.includes('reason'), 'the text column is gone: nothing parses it again');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
