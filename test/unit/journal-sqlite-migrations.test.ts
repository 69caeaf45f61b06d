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
      const { id } = await first.enqueueFile(fileFor(), 1);
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
