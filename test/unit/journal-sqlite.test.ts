/**
 * The SQLite journal: the conformance suite on a file and in memory, then what only SQLite has
 * (file handling, locking, crash durability, query plans).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isAppError } from '../../src/errors/app-error.js';
import type { PartRecord } from '../../src/journal/journal-store.js';
import {
  SqliteJournalStore,
  type SqliteJournalStoreDeps,
} from '../../src/journal/sqlite/sqlite-journal-store.js';
import { SQL } from '../../src/journal/sqlite/sqlite-statements.js';
import {
  fileFor,
  intentFor,
  type JournalFixture,
} from '../conformance/journal-conformance-support.js';
import { runJournalConformance } from '../conformance/journal-conformance.js';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A unique, empty tmp dir, removed when the file's tests end. */
async function tmpDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `s3ferry-journal-${process.pid}-`));
  dirs.push(dir);
  return dir;
}

async function fixture(
  path: string,
  deps: Partial<SqliteJournalStoreDeps>,
  dir?: string,
): Promise<JournalFixture> {
  const full: SqliteJournalStoreDeps = { ...deps, path };
  const store = await SqliteJournalStore.open(full);
  return {
    store,
    cleanup: async () => {
      await store.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    },
    ...(dir === undefined
      ? {}
      : {
          reopen: () => SqliteJournalStore.open(full),
          second: () => SqliteJournalStore.open(full),
        }),
  };
}

// On a file: in a directory that does not exist yet, so every test also proves it gets created.
runJournalConformance('sqlite file', async (options) => {
  const dir = await tmpDir();
  return fixture(join(dir, 'state', 'journal.db'), options, dir);
});
runJournalConformance('sqlite :memory:', (options) => fixture(':memory:', options));

/** Asserts that `promise` rejects with an AppError of `code` whose message names `path`. */
async function rejectsNaming(promise: Promise<unknown>, code: string, path: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isAppError(err), `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.ok(err.message.includes(path), `message names the journal: ${err.message}`);
    assert.ok((err.hint ?? '').length > 0, 'has a hint');
    return true;
  });
}

void describe('SqliteJournalStore: files', () => {
  void it('uses WAL mode', async () => {
    const path = join(await tmpDir(), 'journal.db');
    const store = await SqliteJournalStore.open({ path });
    const other = new Database(path);
    try {
      assert.equal(other.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      other.close();
      await store.close();
    }
  });

  void it('refuses a file that is not a database, naming it, and leaves it alone', async () => {
    const path = join(await tmpDir(), 'journal.db');
    const content = 'this is a text file, not a database\n'.repeat(200);
    await writeFile(path, content);
    await rejectsNaming(SqliteJournalStore.open({ path }), 'ERR_JOURNAL_CORRUPT', path);
    assert.equal(await readFile(path, 'utf8'), content);
  });

  void it("refuses another program's SQLite database and adds nothing to it", async () => {
    const path = join(await tmpDir(), 'other.db');
    const other = new Database(path);
    other.exec('CREATE TABLE contacts (name TEXT)');
    other.close();
    await rejectsNaming(SqliteJournalStore.open({ path }), 'ERR_JOURNAL_CORRUPT', path);
    const check = new Database(path);
    const tables = check
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all();
    check.close();
    assert.deepEqual(tables, [{ name: 'contacts' }]);
  });

  void it('refuses bad options with ERR_CONFIG_INVALID', async () => {
    for (const deps of [{ eventRetention: 0 }, { eventRetention: 1.5 }, { busyTimeoutMs: -1 }]) {
      await assert.rejects(SqliteJournalStore.open({ path: ':memory:', ...deps }), (err: unknown) =>
        isAppError(err, 'ERR_CONFIG_INVALID'),
      );
    }
  });
});

void describe('SqliteJournalStore: locking', () => {
  void it('gives ERR_JOURNAL_LOCKED after the busy timeout while another connection writes', async () => {
    const path = join(await tmpDir(), 'journal.db');
    const store = await SqliteJournalStore.open({ path, busyTimeoutMs: 150 });
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const started = performance.now();
      await rejectsNaming(store.enqueue(fileFor(), 1), 'ERR_JOURNAL_LOCKED', path);
      assert.ok(performance.now() - started >= 100, 'waited for the busy timeout first');
      // WAL: readers are not blocked by the writer, so `status` works while the agent writes.
      assert.equal((await store.countFiles()).queued, 0);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    assert.equal(
      (await store.enqueue(fileFor(), 2)).file.state,
      'queued',
      'works once the lock is gone',
    );
    await store.close();
  });

  void it('gives ERR_JOURNAL_LOCKED when a new journal cannot be migrated for the lock', async () => {
    const path = join(await tmpDir(), 'journal.db');
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      await rejectsNaming(
        SqliteJournalStore.open({ path, busyTimeoutMs: 100 }),
        'ERR_JOURNAL_LOCKED',
        path,
      );
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });
});

const CHILD = `
const { SqliteJournalStore } = await import(process.env.S3FERRY_TEST_STORE_URL);
const store = await SqliteJournalStore.open({ path: process.env.S3FERRY_TEST_JOURNAL });
const upload = await store.beginUpload(JSON.parse(process.env.S3FERRY_TEST_INTENT));
await store.recordUploadId(upload.id, 'upload-killed');
await store.recordPart(upload.id, JSON.parse(process.env.S3FERRY_TEST_PART));
process.stdout.write('ok ' + upload.id + '\\n');
setInterval(() => {}, 60_000);
`;

/** Runs CHILD against `path`, waits for its "ok <id>", SIGKILLs it; returns the upload id. */
async function recordThenKill(path: string, part: PartRecord): Promise<number> {
  const storeUrl = new URL('../../src/journal/sqlite/sqlite-journal-store.js', import.meta.url)
    .href;
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: {
      ...process.env,
      S3FERRY_TEST_STORE_URL: storeUrl,
      S3FERRY_TEST_JOURNAL: path,
      S3FERRY_TEST_INTENT: JSON.stringify(intentFor()),
      S3FERRY_TEST_PART: JSON.stringify(part),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = once(child, 'exit');
  try {
    for await (const chunk of child.stdout) {
      out += (chunk as Buffer).toString();
      if (out.includes('\n')) break;
    }
    const match = /^ok (\d+)\n/.exec(out);
    assert.ok(match, `child said ${JSON.stringify(out)}, stderr ${err}`);
    return Number(match[1]);
  } finally {
    child.kill('SIGKILL');
    const [, signal] = (await exited) as [number | null, string | null];
    assert.equal(signal, 'SIGKILL');
  }
}

void describe('SqliteJournalStore: durability', () => {
  void it('keeps a recorded part when the process is SIGKILLed right after', async () => {
    const path = join(await tmpDir(), 'journal.db');
    const part: PartRecord = {
      partNumber: 7,
      size: 8_388_608,
      etag: 'etag-7',
      md5: 'f'.repeat(32),
    };
    const id = await recordThenKill(path, part);
    // Killed without closing: the part lives only in the WAL, which the next open must recover.
    assert.ok(
      existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0,
      'the WAL was left behind',
    );
    const store = await SqliteJournalStore.open({ path });
    try {
      assert.deepEqual(await store.listParts(id), [part]);
      const upload = await store.getUpload(id);
      assert.deepEqual([upload?.state, upload?.uploadId], ['active', 'upload-killed']);
      assert.equal(await store.knowsUploadId('upload-killed'), true);
    } finally {
      await store.close();
    }
  });
});

void describe('SqliteJournalStore: query plans', () => {
  const expected: Partial<Record<keyof typeof SQL, string>> = {
    findOpenUpload: 'USING INDEX uploads_open_by_destination',
    listOpenUploads: 'USING INDEX uploads_open_by_destination',
    listOpenUploadsIn: 'USING INDEX uploads_open_by_destination',
    findLatestUpload: 'USING INDEX uploads_by_destination',
    knowsUploadId: 'USING COVERING INDEX uploads_by_upload_id',
    nextClaimable: 'USING INDEX files_claimable',
    nextClaimableOfJob: 'USING INDEX files_claimable_by_job',
    nextExpired: 'USING INDEX files_leased',
    claimFile: 'USING INTEGER PRIMARY KEY',
    renewLeases: 'USING INDEX files_by_owner',
    releaseFiles: 'USING INDEX files_by_owner',
    listFilesIn: 'USING INDEX files_by_state',
    listHistory: 'USING INDEX history_newest_first',
    listHistoryBySource: 'USING INDEX history_by_source',
    findDoneByChecksum: 'USING INDEX history_by_checksum',
    listEvents: 'USING INTEGER PRIMARY KEY',
    findFile: 'USING INDEX sqlite_autoindex_files_1',
  };
  void it('hot queries use their indexes', async () => {
    const path = join(await tmpDir(), 'journal.db');
    await (await SqliteJournalStore.open({ path })).close();
    const db = new Database(path, { readonly: true });
    try {
      for (const [name, index] of Object.entries(expected)) {
        const sql = SQL[name as keyof typeof SQL];
        const params = Object.fromEntries(
          [...sql.matchAll(/@(\w+)/g)].map((m) => [m[1] ?? '', null] as const),
        );
        const positional = (sql.match(/\?/g) ?? []).map(() => null);
        const stmt = db.prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`);
        const plan = (Object.keys(params).length > 0 ? stmt.all(params) : stmt.all(...positional))
          .map((r) => r.detail)
          .join(' | ');
        assert.ok(plan.includes(index), `${name}: ${plan}`);
      }
    } finally {
      db.close();
    }
  });
});
