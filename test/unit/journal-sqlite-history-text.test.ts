/**
 * The SQLite journal's trigram index of the history text, kept up to date in batches
 * (sqlite-history-text.ts, migration 7): a text search never misses a row, the index never holds
 * a row twice or a deleted one, and a journal from before migration 7 carries on.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from '../../src/journal/migrations/sqlite-migrations.js';
import { BATCH } from '../../src/journal/sqlite/sqlite-history-text.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { migrateSqlite } from '../../src/journal/sqlite/sqlite-migrator.js';
import { historyFor } from '../conformance/journal-conformance-support.js';

/** The last history id the index holds, as the journal file records it. */
function indexedThrough(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    const row = db.prepare('SELECT indexed_through AS n FROM history_text_state').get() as {
      n: number;
    };
    return row.n;
  } finally {
    db.close();
  }
}

/**
 * FTS5's own check that the index holds exactly the content table's rows (a row indexed twice, or
 * a deleted row still indexed, fails it). Throws SQLITE_CORRUPT_VTAB when they differ.
 */
function checkIndex(path: string): void {
  const db = new Database(path);
  try {
    db.exec(`INSERT INTO history_text (history_text, rank) VALUES ('integrity-check', 1)`);
  } finally {
    db.close();
  }
}

const entry = (n: number): ReturnType<typeof historyFor> =>
  historyFor({ sourcePath: `/srv/cam-${n}/clip-${n}.mp4`, key: `clips/cam-${n}/clip-${n}.mp4` });

describe('SQLite journal: the history text index is kept up to date in batches', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `s3ferry-history-text-${process.pid}-`));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void it('a text search finds rows not yet indexed, and indexes them', async () => {
    const path = join(dir, 'search.db');
    const store = await SqliteJournalStore.open({ path });
    try {
      for (let n = 1; n <= 5; n += 1) await store.addHistory(entry(n));
      assert.equal(indexedThrough(path), 0, 'five rows wait: fewer than a batch');
      const page = await store.searchHistory({ q: 'clip-3', limit: 10 });
      assert.deepEqual(
        page.items.map((r) => r.sourcePath),
        ['/srv/cam-3/clip-3.mp4'],
      );
      assert.equal(indexedThrough(path), 5, 'the search indexed the waiting rows');
      checkIndex(path);
    } finally {
      await store.close();
    }
  });

  void it('a full batch is indexed as it is written, and close indexes the rest', async () => {
    const path = join(dir, 'batch.db');
    const store = await SqliteJournalStore.open({ path });
    for (let n = 1; n <= BATCH + 2; n += 1) await store.addHistory(entry(n));
    assert.equal(indexedThrough(path), BATCH, 'the row that completed a batch indexed it');
    await store.close();
    assert.equal(indexedThrough(path), BATCH + 2, 'close indexed the last two');
    checkIndex(path);
  });

  void it('a deleted row leaves the index only if it was in it', async () => {
    const path = join(dir, 'delete.db');
    let store = await SqliteJournalStore.open({ path });
    for (let n = 1; n <= 4; n += 1) await store.addHistory(entry(n));
    await store.searchHistory({ q: 'clip', limit: 1 }); // rows 1 to 4 are indexed now
    await store.addHistory(entry(5));
    await store.addHistory(entry(6));
    await store.close(); // and 5, 6
    store = await SqliteJournalStore.open({ path });
    await store.addHistory(entry(7));
    await store.close(); // indexes 7 too
    // One more row written behind the store's back: it is not in the index.
    const raw = new Database(path);
    raw
      .prepare(
        `INSERT INTO history (source_path, endpoint, bucket, object_key, size, started_at,
          finished_at, avg_bytes_per_sec, attempts, result) VALUES (?, '', 'b', ?, 1, 1, 1, 1, 1, 'done')`,
      )
      .run('/srv/cam-8/clip-8.mp4', 'clips/cam-8/clip-8.mp4');
    raw.exec(
      `DELETE FROM history WHERE source_path IN ('/srv/cam-2/clip-2.mp4', '/srv/cam-8/clip-8.mp4')`,
    );
    raw.close();
    checkIndex(path);
    store = await SqliteJournalStore.open({ path });
    try {
      const found = await store.searchHistory({ q: 'clip-', limit: 20 });
      assert.deepEqual(found.items.map((r) => r.sourcePath).sort(), [
        '/srv/cam-1/clip-1.mp4',
        '/srv/cam-3/clip-3.mp4',
        '/srv/cam-4/clip-4.mp4',
        '/srv/cam-5/clip-5.mp4',
        '/srv/cam-6/clip-6.mp4',
        '/srv/cam-7/clip-7.mp4',
      ]);
    } finally {
      await store.close();
    }
    checkIndex(path);
  });

  void it('a journal indexed by the old trigger (schema 6) is neither indexed twice nor missed', async () => {
    const path = join(dir, 'v6.db');
    const raw = new Database(path);
    raw.pragma('journal_mode = WAL');
    const ctx = { backend: 'sqlite', location: path, operation: 'open' } as const;
    migrateSqlite(
      raw,
      SQLITE_MIGRATIONS.filter((m) => m.version <= 6),
      ctx,
    );
    raw.close();
    // Schema 6 indexes each row through its trigger.
    const old = new Database(path);
    const insert = old.prepare(
      `INSERT INTO history (source_path, endpoint, bucket, object_key, size, started_at,
        finished_at, avg_bytes_per_sec, attempts, result) VALUES (?, '', 'b', ?, 1, 1, 1, 1, 1, 'done')`,
    );
    for (let n = 1; n <= 3; n += 1) insert.run(`/srv/cam-${n}/old-${n}.mp4`, `old/${n}.mp4`);
    old.close();

    const store = await SqliteJournalStore.open({ path });
    try {
      assert.equal(indexedThrough(path), 3, 'migration 7 records the rows the trigger indexed');
      await store.addHistory(entry(4));
      const page = await store.searchHistory({ q: '/srv/cam-', limit: 10 });
      assert.equal(page.total, 4);
      checkIndex(path);
    } finally {
      await store.close();
    }
  });
});
