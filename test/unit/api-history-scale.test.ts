/**
 * The history behind /api/v1/history at 100,000 rows: every combination of filters and sort the
 * API offers is answered through an index (the query plans are checked, not timings), and the
 * pages and totals are right. The queue's paging and events by type use their indexes too.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  HISTORY_RESULTS,
  HISTORY_SORTS,
  type HistoryQuery,
} from '../../src/journal/journal-store.js';
import {
  filePageSql,
  historySearchSql,
  type BuiltQuery,
} from '../../src/journal/sqlite/sqlite-search.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { SQL } from '../../src/journal/sqlite/sqlite-statements.js';

const ROWS = 100_000;
const JOBS = ['cams', 'docs', 'logs', 'backups'];

/** Row i of the generated history. */
function row(i: number) {
  return {
    sourcePath: `/srv/${JOBS[i % 4]}/2024/${String(i % 12).padStart(2, '0')}/file-${i}.bin`,
    key: `${JOBS[i % 4]}/file-${i}.bin`,
    size: (i * 7919) % 1_000_003,
    speed: (i * 104_729) % 50_000_000,
    finishedAt: 1_700_000_000_000 + i * 1000,
    result: HISTORY_RESULTS[i % 7 === 0 ? 1 : i % 11 === 0 ? 2 : 0],
    job: i % 10 === 9 ? null : JOBS[i % 4],
  };
}

describe('history at 100,000 rows', () => {
  let dir: string;
  let path: string;
  let store: SqliteJournalStore;
  let db: Database.Database;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `s3ferry-history-scale-${process.pid}-`));
    path = join(dir, 'journal.db');
    await (await SqliteJournalStore.open({ path })).close();
    const raw = new Database(path);
    // Rows written behind the store's back: the trigram index does not hold them yet; the
    // store's first text search indexes them all in one batch (sqlite-history-text.ts).
    const insert = raw.prepare(`INSERT INTO history (source_path, endpoint, bucket, object_key,
      size, started_at, finished_at, avg_bytes_per_sec, attempts, etag, checksum, result, error, job)
      VALUES (@sourcePath, '', 'b', @key, @size, @finishedAt - 500, @finishedAt, @speed, 1, NULL,
        NULL, @result, NULL, @job)`);
    raw.transaction(() => {
      for (let i = 0; i < ROWS; i += 1) insert.run(row(i));
    })();
    raw.close();
    store = await SqliteJournalStore.open({ path });
    db = new Database(path, { readonly: true });
  });

  after(async () => {
    db.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const plan = (built: BuiltQuery, sql: string): string =>
    db
      .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
      .all({ ...built.params, limit: 50, offset: 0 })
      .map((r) => r.detail)
      .join(' | ');

  /** Fails when a plan reads a table without an index (a bare `SCAN table`). */
  const assertIndexed = (what: string, text: string, table: string): void => {
    assert.ok(
      !new RegExp(`SCAN ${table}(?! USING| VIRTUAL TABLE INDEX \\d+:L)( |$)`).test(text),
      `${what} reads ${table} without an index: ${text}`,
    );
  };

  it('every filter and sort combination the API offers uses an index, for the page and the total', () => {
    const filters: Partial<HistoryQuery>[] = [
      {},
      { job: 'cams' },
      { result: 'failed' },
      { job: 'docs', result: 'done' },
      { q: 'file-4242' },
      { q: 'FILE-4242', job: 'cams', result: 'done' },
    ];
    for (const filter of filters)
      for (const sort of HISTORY_SORTS)
        for (const order of ['asc', 'desc'] as const) {
          const built = historySearchSql({ limit: 50, ...filter, sort, order });
          const what = JSON.stringify({ ...filter, sort, order });
          assertIndexed(`${what} page`, plan(built, built.select), 'history');
          assertIndexed(`${what} total`, plan(built, built.count), 'history');
          if (filter.q !== undefined) {
            const text = plan(built, built.select);
            assert.match(text, /history_text VIRTUAL TABLE INDEX \d+:L/, `${what}: trigram index`);
          }
        }
  });

  it('pages and totals are right at that size', async () => {
    const rows = Array.from({ length: ROWS }, (_, i) => row(i));
    const expect = (pred: (r: ReturnType<typeof row>) => boolean) => rows.filter(pred);
    const cams = await store.searchHistory({ limit: 3, job: 'cams' });
    const allCams = expect((r) => r.job === 'cams');
    assert.equal(cams.total, allCams.length);
    assert.deepEqual(
      cams.items.map((h) => h.key),
      allCams
        .slice(-3)
        .reverse()
        .map((r) => r.key),
    );
    const failedBySize = await store.searchHistory({
      limit: 5,
      offset: 2,
      result: 'failed',
      sort: 'size',
      order: 'desc',
    });
    const failed = expect((r) => r.result === 'failed').sort((a, b) => b.size - a.size);
    assert.equal(failedBySize.total, failed.length);
    assert.deepEqual(
      failedBySize.items.map((h) => h.size),
      failed.slice(2, 7).map((r) => r.size),
    );
    const found = await store.searchHistory({ limit: 50, q: 'FILE-4242' });
    const matches = expect((r) => r.key.includes('file-4242'));
    assert.equal(found.total, matches.length);
    assert.deepEqual(found.items.map((h) => h.key).sort(), matches.map((r) => r.key).sort());
    const fastest = await store.searchHistory({ limit: 1, sort: 'speed' });
    assert.equal(
      fastest.items[0]?.avgBytesPerSec,
      Math.max(...expect(() => true).map((r) => r.speed)),
    );
  });

  it('the queue pages and events by type use their indexes', () => {
    for (const q of [
      { states: ['parked'] as const, limit: 50 },
      { states: ['queued', 'uploading'] as const, job: 'cams', limit: 50 },
    ]) {
      const built = filePageSql(q);
      assertIndexed(`files ${JSON.stringify(q)}`, plan(built, built.select), 'files');
      assertIndexed(`files ${JSON.stringify(q)} total`, plan(built, built.count), 'files');
    }
    const events = db
      .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${SQL.listEventsOfType}`)
      .all({ type: 'file.done', beforeId: 1e9, limit: 10 })
      .map((r) => r.detail)
      .join(' | ');
    assert.match(events, /USING (COVERING )?INDEX events_by_type/);
    const byJob = db
      .prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN ${SQL.countFilesByJob}`)
      .all()
      .map((r) => r.detail)
      .join(' | ');
    assert.match(byJob, /USING COVERING INDEX files_by_job_state/);
  });
});
