/**
 * Conformance: server-side paging for the API: the history searched (job, result, text, sort,
 * total), the queue paged by state and job, events by type, per-job counts, file states by path.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_FILE_STATES } from '../../src/domain/file-state.js';
import type { HistoryQuery, JournalStore } from '../../src/journal/journal-store.js';
import {
  eventFor,
  fileFor,
  reach,
  historyFor,
  withStore,
  type MakeJournalStore,
} from './journal-conformance-support.js';

/** Six uploads of two jobs (and one without a job), with distinct sizes, speeds and times. */
async function fillHistory(store: JournalStore): Promise<void> {
  const rows = [
    { key: 'cams/Front-Door.mp4', job: 'cams', size: 300, speed: 10, at: 1000, result: 'done' },
    { key: 'cams/back_yard.mp4', job: 'cams', size: 100, speed: 30, at: 2000, result: 'failed' },
    { key: 'docs/report.pdf', job: 'docs', size: 500, speed: 20, at: 3000, result: 'done' },
    { key: 'docs/100%_sure.txt', job: 'docs', size: 200, speed: 50, at: 4000, result: 'skipped' },
    { key: 'cams/ü-front.mp4', job: 'cams', size: 400, speed: 40, at: 5000, result: 'done' },
    { key: 'oneshot/x.bin', size: 600, speed: 60, at: 6000, result: 'done' },
  ] as const;
  for (const r of rows) {
    await store.addHistory(
      historyFor({
        key: r.key,
        sourcePath: `/srv/${r.key}`,
        size: r.size,
        avgBytesPerSec: r.speed,
        finishedAt: r.at,
        startedAt: r.at - 100,
        result: r.result,
        ...('job' in r ? { job: r.job } : {}),
      }),
    );
  }
}

async function keys(
  store: JournalStore,
  query: Partial<HistoryQuery>,
): Promise<[string[], number]> {
  const page = await store.searchHistory({ limit: 100, ...query });
  return [page.items.map((h) => h.key), page.total];
}

/** Registers the paging tests. */
export function describeSearch(make: MakeJournalStore): void {
  void describe('history search', () => {
    void it('keeps the job of each upload, absent when none was given', () =>
      withStore(make, async (store) => {
        const withJob = await store.addHistory(historyFor({ job: 'cams' }));
        const without = await store.addHistory(historyFor({ finishedAt: 9_999_999_999_999 }));
        assert.equal(withJob.job, 'cams');
        assert.equal('job' in without, false);
        const { items } = await store.searchHistory({ limit: 10 });
        assert.deepEqual(items, [without, withJob]);
      }));

    void it('sorts by finishedAt, size or speed, either way, and pages with a total', () =>
      withStore(make, async (store) => {
        await fillHistory(store);
        const all = ['oneshot/x.bin', 'cams/ü-front.mp4', 'docs/100%_sure.txt'];
        assert.deepEqual((await keys(store, {}))[0].slice(0, 3), all);
        assert.deepEqual(await keys(store, { limit: 2, offset: 1 }), [all.slice(1, 3), 6]);
        assert.deepEqual((await keys(store, { sort: 'size' }))[0][0], 'oneshot/x.bin');
        assert.deepEqual((await keys(store, { sort: 'size', order: 'asc' }))[0].slice(0, 2), [
          'cams/back_yard.mp4',
          'docs/100%_sure.txt',
        ]);
        assert.deepEqual((await keys(store, { sort: 'speed', order: 'asc' }))[0].slice(0, 2), [
          'cams/Front-Door.mp4',
          'docs/report.pdf',
        ]);
        assert.deepEqual(
          (await keys(store, { sort: 'finishedAt', order: 'asc' }))[0][0],
          'cams/Front-Door.mp4',
        );
        assert.deepEqual(await keys(store, { offset: 10 }), [[], 6], 'past the end: total stays');
      }));

    void it('filters by job and result, and the total counts the filtered rows', () =>
      withStore(make, async (store) => {
        await fillHistory(store);
        assert.deepEqual(await keys(store, { job: 'cams', limit: 2 }), [
          ['cams/ü-front.mp4', 'cams/back_yard.mp4'],
          3,
        ]);
        assert.deepEqual(await keys(store, { job: 'cams', result: 'done' }), [
          ['cams/ü-front.mp4', 'cams/Front-Door.mp4'],
          2,
        ]);
        assert.deepEqual(await keys(store, { result: 'skipped' }), [['docs/100%_sure.txt'], 1]);
        assert.deepEqual(await keys(store, { job: 'nobody' }), [[], 0]);
      }));

    void it('q finds text in the source path or key, ignoring ASCII case, literally', () =>
      withStore(make, async (store) => {
        await fillHistory(store);
        assert.deepEqual(await keys(store, { q: 'FRONT-door' }), [['cams/Front-Door.mp4'], 1]);
        assert.deepEqual(await keys(store, { q: 'front' }), [
          ['cams/ü-front.mp4', 'cams/Front-Door.mp4'],
          2,
        ]);
        // % and _ are plain characters, not wildcards
        assert.deepEqual(await keys(store, { q: '0%_' }), [['docs/100%_sure.txt'], 1]);
        assert.deepEqual(await keys(store, { q: 'Front_Door' }), [[], 0]);
        assert.deepEqual(await keys(store, { q: 't%d' }), [[], 0]);
        assert.deepEqual(await keys(store, { q: 'k_yard' }), [['cams/back_yard.mp4'], 1]);
        // short text (no index) and the source path
        assert.deepEqual(await keys(store, { q: 'ü' }), [['cams/ü-front.mp4'], 1]);
        assert.deepEqual(await keys(store, { q: '/srv/docs' }), [
          ['docs/100%_sure.txt', 'docs/report.pdf'],
          2,
        ]);
        assert.deepEqual(await keys(store, { q: 'front', job: 'cams', sort: 'size' }), [
          ['cams/ü-front.mp4', 'cams/Front-Door.mp4'],
          2,
        ]);
        assert.deepEqual(await keys(store, { q: 'nowhere-to-be-found' }), [[], 0]);
      }));

    void it('since keeps the uploads finished from then on; key the keys holding that text, case as given', () =>
      withStore(make, async (store) => {
        await fillHistory(store);
        assert.deepEqual(await keys(store, { since: 5000 }), [
          ['oneshot/x.bin', 'cams/ü-front.mp4'],
          2,
        ]);
        assert.deepEqual(await keys(store, { since: 4001, job: 'cams' }), [
          ['cams/ü-front.mp4'],
          1,
        ]);
        assert.deepEqual(await keys(store, { key: 'front' }), [['cams/ü-front.mp4'], 1]);
        assert.deepEqual(await keys(store, { key: 'Front' }), [['cams/Front-Door.mp4'], 1]);
        // the key, not the source path; % and _ are plain characters
        assert.deepEqual(await keys(store, { key: '/srv' }), [[], 0]);
        assert.deepEqual(await keys(store, { key: '0%_' }), [['docs/100%_sure.txt'], 1]);
        assert.deepEqual(await keys(store, { key: 'cams/', since: 1500, result: 'done' }), [
          ['cams/ü-front.mp4'],
          1,
        ]);
      }));
  });

  void describe('queue paging, counts, states by path', () => {
    void it('pageFiles filters by state and job, oldest first, with a total', () =>
      withStore(make, async (store) => {
        for (const [i, job] of ['a', 'b', 'a', 'a'].entries())
          await store.enqueue(fileFor({ job, path: `/p/${i}` }), 100 + i);
        await reach(store, 'parked', 50, { job: 'a', path: '/p/parked' });
        const paths = async (q: Parameters<JournalStore['pageFiles']>[0]) => {
          const page = await store.pageFiles(q);
          return [page.items.map((f) => f.path), page.total];
        };
        assert.deepEqual(await paths({ states: ['queued'], limit: 2 }), [['/p/0', '/p/1'], 4]);
        assert.deepEqual(await paths({ states: ['queued'], job: 'a', limit: 5, offset: 1 }), [
          ['/p/2', '/p/3'],
          3,
        ]);
        assert.deepEqual(await paths({ states: ['parked'], limit: 5 }), [['/p/parked'], 1]);
        assert.deepEqual(await paths({ job: 'b', limit: 5 }), [['/p/1'], 1]);
        assert.deepEqual(await paths({ states: [], limit: 5 }), [[], 0]);
      }));

    void it('countFilesByJob counts every state of each job', () =>
      withStore(make, async (store) => {
        await store.enqueue(fileFor({ job: 'a', path: '/1' }), 1);
        await store.enqueue(fileFor({ job: 'a', path: '/2' }), 1);
        await reach(store, 'done', 1, { job: 'b', path: '/3' });
        const counts = await store.countFilesByJob();
        assert.deepEqual(Object.keys(counts).sort(), ['a', 'b']);
        const { a, b } = counts;
        assert.ok(a !== undefined && b !== undefined);
        assert.deepEqual([a.queued, a.done, b.done], [2, 0, 1]);
        assert.equal(Object.keys(b).length, ALL_FILE_STATES.length, 'every state is present');
      }));

    void it('fileStates answers the known paths of one job', () =>
      withStore(make, async (store) => {
        await reach(store, 'done', 1, { job: 'a', path: '/y' });
        await store.enqueue(fileFor({ job: 'a', path: '/x' }), 1);
        await store.enqueue(fileFor({ job: 'b', path: '/z' }), 1);
        assert.deepEqual(await store.fileStates('a', ['/x', '/y', '/z', '/none']), {
          '/x': 'queued',
          '/y': 'done',
        });
        assert.deepEqual(await store.fileStates('a', []), {});
      }));
  });

  void describe('events by type', () => {
    void it('listEvents and countEvents filter by type', () =>
      withStore(make, async (store) => {
        for (const type of ['file.done', 'upload.started', 'file.done', 'file.parked'])
          await store.appendEvent(eventFor({ type, message: type }));
        const done = await store.listEvents({ limit: 10, type: 'file.done' });
        assert.deepEqual(
          done.map((e) => e.type),
          ['file.done', 'file.done'],
        );
        const older = await store.listEvents({
          limit: 10,
          type: 'file.done',
          beforeId: done[0]!.id,
        });
        assert.deepEqual(older, [done[1]]);
        assert.equal(await store.countEvents(), 4);
        assert.equal(await store.countEvents({ type: 'file.done' }), 2);
        assert.equal(await store.countEvents({ type: 'nothing' }), 0);
      }));

    void it('listEvents and countEvents filter by job (of the data), time and key, with the type', () =>
      withStore(make, async (store) => {
        const rows = [
          { type: 'file.done', at: 100, key: 'cams/a.mp4', data: { job: 'cams' } },
          { type: 'file.parked', at: 200, key: 'cams/B.mp4', data: { job: 'cams' } },
          { type: 'file.done', at: 300, key: 'docs/a.pdf', data: { job: 'docs' } },
          { type: 'agent.started', at: 400, data: { jobs: ['cams'] } },
          { type: 'file.done', at: 500, key: 'cams/c.mp4', data: { job: 'cams' } },
        ];
        for (const r of rows) await store.appendEvent(eventFor({ ...r, message: `${r.at}` }));
        const at = async (q: Parameters<JournalStore['listEvents']>[0]) =>
          (await store.listEvents(q)).map((e) => e.at);
        assert.deepEqual(await at({ limit: 10, job: 'cams' }), [500, 200, 100]);
        assert.deepEqual(await at({ limit: 10, job: 'cams', type: 'file.done' }), [500, 100]);
        assert.deepEqual(await at({ limit: 10, since: 300 }), [500, 400, 300]);
        assert.deepEqual(await at({ limit: 10, key: 'a.' }), [300, 100]);
        assert.deepEqual(await at({ limit: 10, key: 'b.mp4' }), [], 'case as given');
        assert.deepEqual(await at({ limit: 10, job: 'nobody' }), []);
        // paging backwards keeps the filter
        const first = await store.listEvents({ limit: 1, job: 'cams' });
        assert.deepEqual(await at({ limit: 10, job: 'cams', beforeId: first[0]!.id }), [200, 100]);
        assert.equal(await store.countEvents({ job: 'cams' }), 3);
        assert.equal(await store.countEvents({ job: 'cams', since: 150 }), 2);
        assert.equal(await store.countEvents({ key: 'cams/', type: 'file.done' }), 2);
      }));
  });
}
