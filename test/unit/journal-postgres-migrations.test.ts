/**
 * The PostgreSQL journal's migration 3 (files by role): a journal of schema 2 migrates, its text
 * reasons parsed into code, message and hint once. Runs when PG_URL is set.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import type { JournalErrorContext } from '../../src/journal/journal-errors.js';
import { POSTGRES_MIGRATIONS } from '../../src/journal/migrations/postgres-migrations.js';
import { createPostgresPool } from '../../src/journal/postgres/postgres-connection.js';
import { PostgresJournalStore } from '../../src/journal/postgres/postgres-journal-store.js';
import { migratePostgres } from '../../src/journal/postgres/postgres-migrator.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const PG_URL = process.env.PG_URL;
const skip = PG_URL === undefined || PG_URL === '' ? 'PG_URL is not set' : false;
const CTX: JournalErrorContext = { backend: 'postgres', location: 'test', operation: 'open' };

void describe('PostgreSQL migration 3: files by role', { skip }, () => {
  const dbs: TestDatabase[] = [];
  after(async () => {
    await Promise.all(dbs.map((db) => db.drop()));
  });

  void it('a journal of schema 2 migrates: reasons parsed into columns, discovered settles', async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    const pool = createPostgresPool({ url: db.url, maxConnections: 2, connectTimeoutMs: 10_000 });
    try {
      await migratePostgres(pool, POSTGRES_MIGRATIONS.slice(0, 2), CTX);
      const rows: [string, string, string | null][] = [
        ['/fix', 'parked', 'ERR_FILE_UNREADABLE: /fix: permission denied (fix: chmod it (a+r))'],
        ['/nofix', 'waiting', 'ERR_S3_THROTTLED: slow down: 503'],
        ['/held', 'uploading', 'held by an agent that stopped; taken up again'],
        ['/changed', 'settling', 'changed since it was queued'],
        ['/other', 'cancelled', 'something else: with a colon'],
        ['/found', 'discovered', null],
      ];
      for (const [path, state, reason] of rows)
        await pool.db.query(
          `INSERT INTO files (job, path, size, mtime_ms, inode, state, reason, attempts,
             updated_at, ready_at) VALUES ('j', $1, 1, 1, 1, $2, $3, 1, 1, 1)`,
          [path, state, reason],
        );
    } finally {
      await pool.end();
    }
    const store = await PostgresJournalStore.open({ url: db.url });
    try {
      const by = new Map((await store.listFiles({ limit: 20 })).map((f) => [f.path, f]));
      assert.deepEqual(by.get('/fix')?.reason, {
        code: 'ERR_FILE_UNREADABLE',
        message: '/fix: permission denied',
        hint: 'chmod it (a+r)',
      });
      assert.deepEqual(by.get('/nofix')?.reason, {
        code: 'ERR_S3_THROTTLED',
        message: 'slow down: 503',
        hint: null,
      });
      assert.equal(by.get('/held')?.reason?.code, 'hold-expired');
      assert.equal(by.get('/changed')?.reason?.code, 'changed');
      assert.equal(by.get('/other')?.reason?.code, 'note');
      assert.equal(by.get('/found')?.state, 'settling');
      assert.deepEqual(await store.pauses(), { all: false, jobs: [] });
    } finally {
      await store.close();
    }
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM information_schema.columns
          WHERE table_name = 'files' AND column_name = 'reason'`,
      );
      assert.equal(Number(rows[0]?.n), 0, 'the text column is gone');
      await assert.rejects(
        client.query(`UPDATE files SET state = 'discovered' WHERE path = '/found'`),
        /files_state_check/,
        'discovered is no state any more',
      );
    } finally {
      await client.end();
    }
  });
});
