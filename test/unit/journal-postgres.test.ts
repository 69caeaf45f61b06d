/**
 * The PostgreSQL journal: the conformance suite, each test on a database of its own, then what only
 * PostgreSQL has (concurrent migration, connection errors, riding out a server restart, plans).
 * Runs when PG_URL is set (scripts/test/run-tests.mjs starts the server and sets it).
 */
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import pg from 'pg';
import { isAppError } from '../../src/errors/app-error.js';
import {
  isConnectionFailure,
  withConnectionCode,
} from '../../src/journal/postgres/postgres-connection.js';
import {
  PostgresJournalStore,
  reconnectDelayMs,
  type PostgresJournalStoreDeps,
} from '../../src/journal/postgres/postgres-journal-store.js';
import { POSTGRES_MIGRATIONS } from '../../src/journal/migrations/postgres-migrations.js';
import { QUEUE_SQL } from '../../src/journal/postgres/postgres-file-queue.js';
import { historySearchSql } from '../../src/journal/postgres/postgres-search.js';
import { describeJournal, openJournal } from '../../src/journal/open-journal.js';
import { fileFor, historyFor } from '../conformance/journal-conformance-support.js';
import { spawnCli } from '../support/cli.js';
import { runJournalConformance } from '../conformance/journal-conformance.js';
import { createTestDatabase, restartPostgres, type TestDatabase } from '../support/postgres.js';
import { tcpRelay } from '../support/tcp-relay.js';

const PG_URL = process.env.PG_URL;
const skip = PG_URL === undefined || PG_URL === '' ? 'PG_URL is not set' : false;

/** Short retries in tests, except where a test needs the real behaviour. */
const TEST_RETRY_MS = 20_000;

if (skip === false) {
  runJournalConformance('postgres', async (options) => {
    const db = await createTestDatabase();
    const deps: PostgresJournalStoreDeps = { url: db.url, retryMs: TEST_RETRY_MS, ...options };
    const store = await PostgresJournalStore.open(deps);
    return {
      store,
      cleanup: async () => {
        await store.close();
        await db.drop();
      },
      reopen: () => PostgresJournalStore.open(deps),
      second: () => PostgresJournalStore.open(deps),
    };
  });
}

/** Runs `sql` on `url` with a client of its own. */
async function query<R>(url: string, sql: string, values?: unknown[]): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as R[];
  } finally {
    await client.end();
  }
}

/** Asserts a rejection with `code`, the journal named without its password, and a hint. */
async function rejectsClearly(
  promise: Promise<unknown>,
  code: string,
  message: RegExp,
  hint: RegExp,
): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isAppError(err), `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    assert.match(err.hint ?? '', hint);
    const shown = `${err.message} ${err.hint ?? ''} ${JSON.stringify(err.details)}`;
    assert.ok(!shown.includes(new URL(PG_URL ?? '').password), `no password in: ${shown}`);
    assert.ok(!shown.includes('wrong-pass-x7'), `no password in: ${shown}`);
    return true;
  });
}

void describe('PostgresJournalStore: opening', { skip }, () => {
  const dbs: TestDatabase[] = [];
  const fresh = async (): Promise<TestDatabase> => {
    const db = await createTestDatabase();
    dbs.push(db);
    return db;
  };
  after(async () => {
    await Promise.all(dbs.map((db) => db.drop()));
  });

  void it('three stores opening a fresh database at once migrate it once, without error', async () => {
    const db = await fresh();
    const stores = await Promise.all(
      [1, 2, 3].map(() => PostgresJournalStore.open({ url: db.url })),
    );
    try {
      const ledger = await query<{ version: number; name: string }>(
        db.url,
        'SELECT version, name FROM schema_migrations ORDER BY version',
      );
      assert.deepEqual(
        ledger,
        POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
      );
      // All three work on the one schema.
      const [a, b, c] = stores;
      await a?.enqueue(fileFor({ path: '/x' }), 1);
      assert.equal((await b?.claim(2, { owner: 'b', leaseMs: 10 }))?.path, '/x');
      assert.equal((await c?.getFile(1))?.state, 'uploading');
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  void it("refuses a database holding another program's tables, and adds nothing to it", async () => {
    const db = await fresh();
    await query(db.url, 'CREATE TABLE contacts (name TEXT)');
    await query(db.url, 'CREATE TABLE schema_migrations (version BIGINT)');
    await rejectsClearly(
      PostgresJournalStore.open({ url: db.url }),
      'ERR_JOURNAL_CORRUPT',
      /another program/,
      /database of its own/,
    );
    const tables = await query<{ tablename: string }>(
      db.url,
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    assert.deepEqual(
      tables.map((t) => t.tablename),
      ['contacts', 'schema_migrations'],
    );
  });

  void it('refuses a journal of a newer schema version', async () => {
    const db = await fresh();
    await (await PostgresJournalStore.open({ url: db.url })).close();
    await query(db.url, "INSERT INTO schema_migrations (version, name) VALUES (99, 'future')");
    await rejectsClearly(
      PostgresJournalStore.open({ url: db.url }),
      'ERR_JOURNAL',
      /schema version 99, newer/,
      /upgrade s3ferry/,
    );
  });

  void it('names a refused password, without any password in the error', async () => {
    const url = new URL(PG_URL ?? '');
    url.password = 'wrong-pass-x7';
    await rejectsClearly(
      PostgresJournalStore.open({ url: url.toString() }),
      'ERR_JOURNAL',
      /refused the login: postgres:\/\/s3ferry@127\.0\.0\.1:\d+\/postgres .*password authentication failed/,
      /user and password/,
    );
  });

  void it('names a login without any password (none in the URL, no PGPASSWORD)', async () => {
    if (process.env.PGPASSWORD !== undefined) return; // the driver would use it
    const url = new URL(PG_URL ?? '');
    url.password = '';
    await rejectsClearly(
      PostgresJournalStore.open({ url: url.toString() }),
      'ERR_JOURNAL',
      /refused the login: .*asks for a password and none was given \(in the URL or PGPASSWORD\)/,
      /user and password/,
    );
  });

  void it('names a missing database', async () => {
    const url = new URL(PG_URL ?? '');
    url.pathname = '/s3ferry_no_such_database';
    await rejectsClearly(
      PostgresJournalStore.open({ url: url.toString() }),
      'ERR_JOURNAL',
      /does not exist: postgres:\/\/s3ferry@127\.0\.0\.1:\d+\/s3ferry_no_such_database/,
      /createdb/,
    );
  });

  void it('names an unreachable server, after retrying for retryMs', async () => {
    const url = new URL(PG_URL ?? '');
    url.port = '1'; // nothing listens on port 1
    const started = performance.now();
    await rejectsClearly(
      PostgresJournalStore.open({ url: url.toString(), retryMs: 0 }),
      'ERR_JOURNAL_UNAVAILABLE',
      /cannot be reached: postgres:\/\/s3ferry@127\.0\.0\.1:1\/postgres \(open: .*ECONNREFUSED/,
      /PostgreSQL runs/,
    );
    assert.ok(performance.now() - started < 2_000, 'no retry with retryMs 0');
    const retried = performance.now();
    await rejectsClearly(
      PostgresJournalStore.open({ url: url.toString(), retryMs: 1_200 }),
      'ERR_JOURNAL_UNAVAILABLE',
      /ECONNREFUSED.*gave up after 1 s/,
      /PostgreSQL runs/,
    );
    assert.ok(performance.now() - retried >= 1_100, 'retried for retryMs');
  });

  void it('refuses a URL that is not a PostgreSQL URL, without echoing its password', async () => {
    await rejectsClearly(
      PostgresJournalStore.open({ url: 'postgres://user:wrong-pass-x7@/db' }),
      'ERR_CONFIG_INVALID',
      /not a PostgreSQL URL/,
      /postgres:\/\/USER:PASSWORD@HOST/,
    );
  });
});

void describe('PostgresJournalStore: server restarts', { skip }, () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  void it('goes on after the server restarted between two operations', async () => {
    const store = await PostgresJournalStore.open({ url: db.url });
    try {
      const { file: a } = await store.enqueue(fileFor({ path: '/before' }), 100);
      await restartPostgres();
      // The pool's idle connections died with the server (their errors must not crash us).
      assert.equal((await store.claim(200, { owner: 'o', leaseMs: 10 }))?.id, a.id);
      await store.enqueue(fileFor({ path: '/after' }), 300);
      assert.equal((await store.countFiles()).queued, 1);
    } finally {
      await store.close();
    }
  });

  void it('operations running during a restart wait for the server and succeed', async () => {
    const store = await PostgresJournalStore.open({ url: db.url });
    try {
      const run = { writing: true };
      let written = 0;
      const writer = (async () => {
        for (let i = 0; run.writing; i++) {
          await store.appendEvent({ at: i, type: 'test', level: 'info', message: `e${i}` });
          written++;
        }
      })();
      await restartPostgres();
      const afterRestart = written;
      await new Promise((resolve) => setTimeout(resolve, 200));
      run.writing = false;
      await writer;
      assert.ok(written > afterRestart, 'writes went on after the restart');
      assert.equal(await store.countEvents({ type: 'test' }), written, 'none lost, none twice');
    } finally {
      await store.close();
    }
  });

  void it('a claim or heartbeat that waited for the server counts its lease from when it lands', async () => {
    const relay = await tcpRelay(Number(new URL(PG_URL ?? '').port));
    const url = new URL(db.url);
    url.port = String(relay.port);
    // Time moves only when the test says so; the retries' back-off sleeps are real.
    const clock = {
      time: 1_000_000,
      now(): number {
        return this.time;
      },
      sleep: (ms: number, signal?: AbortSignal): Promise<void> =>
        new Promise((resolve) => setTimeout(resolve, signal?.aborted === true ? 0 : ms)),
    };
    const store = await PostgresJournalStore.open({ url: url.toString(), clock });
    const agent = { id: 'a', hostname: 'h', pid: 1, startedAt: 0, version: 'v' };
    try {
      const { file } = await store.enqueue(fileFor(), clock.now());
      await relay.stop();
      const claiming = store.claim(clock.now(), { owner: 'a', leaseMs: 3_000 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      clock.time += 10_000; // the server came back 10 s later
      await relay.start();
      assert.equal((await claiming)?.leaseUntil, 1_013_000, 'a full lease from when it landed');

      await relay.stop();
      const beating = store.heartbeat(agent, clock.now(), 3_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      clock.time += 10_000;
      await relay.start();
      assert.deepEqual(await beating, [file.id]);
      assert.equal((await store.getFile(file.id))?.leaseUntil, 1_023_000);
    } finally {
      await store.close();
      await relay.stop();
    }
  });

  void it('rejects as unavailable after retryMs, recovers when the server is back, and close ends retries', async () => {
    const server = new URL(PG_URL ?? '');
    const relay = await tcpRelay(Number(server.port));
    const url = new URL(db.url);
    url.port = String(relay.port);
    const store = await PostgresJournalStore.open({ url: url.toString(), retryMs: 1_000 });
    try {
      await store.enqueue(fileFor(), 1);
      await relay.stop(); // the server is gone: refused
      const started = performance.now();
      await rejectsClearly(
        store.countFiles(),
        'ERR_JOURNAL_UNAVAILABLE',
        /cannot be reached: .* \(countFiles: .*gave up after 1 s\)/,
        /PostgreSQL runs/,
      );
      assert.ok(performance.now() - started >= 900, 'retried for about retryMs');
      await relay.start();
      assert.equal((await store.countFiles()).queued, 1, 'works again once the server is back');
      await relay.stop();
      const pending = store.countFiles();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const closing = performance.now();
      await store.close();
      await rejectsClearly(pending, 'ERR_JOURNAL', /closed|cannot be reached/, /./);
      assert.ok(performance.now() - closing < 500, 'close ended the retry at once');
    } finally {
      await store.close();
      await relay.stop();
    }
  });
});

void describe('PostgresJournalStore: query plans', { skip }, () => {
  void it('claims and text search use their indexes', async () => {
    const db = await createTestDatabase();
    const store = await PostgresJournalStore.open({ url: db.url });
    try {
      await store.enqueue(fileFor(), 1);
      await store.addHistory(historyFor());
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        // Tables this small are read whole unless told not to: the question is whether the
        // indexes can serve these statements at all.
        await client.query('SET enable_seqscan = off');
        const plan = async (sql: string, values: unknown[]): Promise<string> =>
          (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, values)).rows
            .map((r) => r['QUERY PLAN'])
            .join('\n');
        const claim = [1, 'a', 2, ['cams']];
        assert.match(await plan(QUEUE_SQL.claimReadyOfJobs, claim), /files_claimable_by_job/);
        assert.match(await plan(QUEUE_SQL.claimReady, claim.slice(0, 3)), /files_claimable/);
        assert.match(await plan(QUEUE_SQL.claimExpired, claim), /files_leased/);
        const search = historySearchSql({ limit: 10, q: 'front-door' });
        assert.match(await plan(search.sql, [...search.values]), /history_(source|key)_trgm/);
      } finally {
        await client.end();
      }
    } finally {
      await store.close();
      await db.drop();
    }
  });
});

void describe('openJournal and the CLI on a PostgreSQL journal', { skip }, () => {
  void it('selects PostgreSQL for postgres:// and postgresql:// URLs, SQLite for anything else', async () => {
    const db = await createTestDatabase();
    try {
      for (const url of [db.url, db.url.replace(/^postgres:/, 'postgresql:')]) {
        const store = await openJournal(url, { eventRetention: 5, retryMs: 1_000 });
        assert.equal(store.shared, true, url);
        await store.close();
      }
      const sqlite = await openJournal(':memory:');
      assert.equal(sqlite.shared, false);
      await sqlite.close();
      assert.equal(describeJournal(db.url), db.url.replace(/:[^:@/]+@/, '@'));
      assert.equal(describeJournal('/var/lib/s3ferry/journal.db'), '/var/lib/s3ferry/journal.db');
    } finally {
      await db.drop();
    }
  });

  void it('`s3ferry status` reads it when no agent runs, and never prints its password', async () => {
    const db = await createTestDatabase();
    try {
      const store = await PostgresJournalStore.open({ url: db.url });
      await store.enqueue(fileFor({ path: '/a' }), 1);
      await store.enqueue(fileFor({ path: '/b' }), 2);
      await store.close();
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith('S3FERRY_')),
      );
      const args = ['status', '--journal', db.url, '--api-url', 'http://127.0.0.1:1', '--json'];
      const result = await spawnCli(args, env).result;
      assert.equal(result.code, 0, result.stderr);
      const [status] = result.events;
      assert.equal(status?.running, false);
      assert.equal((status.files as Record<string, number>).queued, 2);
      assert.equal(status.journal, describeJournal(db.url));
      const password = new URL(db.url).password;
      assert.ok(!`${result.stdout}${result.stderr}`.includes(password), 'no password shown');
    } finally {
      await db.drop();
    }
  });
});

void describe('PostgresJournalStore: retry rules', () => {
  void it('backs off from 0.1 s doubling to 2 s', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 10].map(reconnectDelayMs),
      [100, 200, 400, 800, 1600, 2000, 2000],
    );
  });

  void it('tells connection failures from statement failures', () => {
    const coded = (code: string) => Object.assign(new Error(code), { code });
    for (const code of ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '08006', '08001'])
      assert.equal(isConnectionFailure(coded(code)), true, code);
    for (const code of ['23505', '28P01', '3D000', '42P01'])
      assert.equal(isConnectionFailure(coded(code)), false, code);
    assert.equal(isConnectionFailure(new Error('Connection terminated unexpectedly')), true);
    assert.equal(isConnectionFailure(new Error('syntax error')), false);
    const lost = withConnectionCode(new Error('Connection terminated unexpectedly'));
    assert.equal((lost as { code?: string }).code, '08006');
  });
});
