/**
 * Conformance: what receipts rely on (issue 16, items 2 and 4): the version id of an upload, kept
 * in its history row and its upload record (a single-part upload recorded at once or with its
 * file's final move, a multipart upload ended verified), null where none is known; and the
 * windows a report and a manifest read: uploads that finished in [since, until), files whose last
 * move was in [changedSince, changedUntil).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JournalStore, VerifiedUpload } from '../../src/journal/journal-store.js';
import {
  historyFor,
  intentFor,
  reach,
  withStore,
  type MakeJournalStore,
} from './journal-conformance-support.js';

/** A verified single-part upload of the default intent. */
function verified(versionId?: string): VerifiedUpload {
  return {
    intent: intentFor({ mode: 'single', partCount: 1, partSize: 10 }),
    part: { partNumber: 1, size: 10, etag: 'e', md5: 'e' },
    etag: 'e',
    finishedAt: 1_700_000_200_000,
    ...(versionId === undefined ? {} : { versionId }),
  };
}

async function historyKeys(store: JournalStore, since: number, until: number): Promise<string[]> {
  const page = await store.searchHistory({
    since,
    until,
    sort: 'finishedAt',
    order: 'asc',
    limit: 100,
  });
  return page.items.map((h) => h.key);
}

/** Registers the receipt tests. */
export function describeReceipts(make: MakeJournalStore): void {
  void describe('version ids', () => {
    void it('a history row keeps the version id of its upload, null when none was given', () =>
      withStore(make, async (store) => {
        const v = 'Jd4fR.b8sx-2Q_0~mDTqG3b1ZDk7kKXv';
        const a = await store.addHistory(historyFor({ versionId: v }));
        const { versionId, ...older } = historyFor({ key: 'older', finishedAt: 1 });
        assert.equal(versionId, null);
        const b = await store.addHistory(older);
        assert.equal(a.versionId, v);
        assert.equal(b.versionId, null, 'a row written without one reads back null');
        const [listed] = (await store.searchHistory({ limit: 1, key: historyFor().key })).items;
        assert.equal(listed?.versionId, v);
        assert.equal(
          (await store.listHistory({ limit: 1, sourcePath: historyFor().sourcePath }))[0]
            ?.versionId,
          v,
        );
      }));

    void it('an upload keeps its version id: recorded at once, ended verified, or with its file', () =>
      withStore(make, async (store) => {
        const single = await store.recordUpload(verified('v-single'));
        assert.equal(single.versionId, 'v-single');
        assert.equal((await store.getUpload(single.id))?.versionId, 'v-single');
        assert.equal((await store.recordUpload(verified())).versionId, null);

        const { id } = await store.beginUpload(intentFor());
        assert.equal((await store.getUpload(id))?.versionId, null, 'none before it ends');
        await store.recordUploadId(id, 'u');
        await store.markCompleted(id, 'x-3');
        await store.finishUpload(id, {
          state: 'verified',
          finishedAt: 5,
          etag: 'x-3',
          versionId: 'v-multi',
        });
        assert.equal((await store.getUpload(id))?.versionId, 'v-multi');
        assert.equal((await store.findLatestUpload(intentFor().destination))?.versionId, 'v-multi');

        const { hold } = await reach(store, 'uploading', 100, { path: '/with-file' });
        await store.complete(hold, 200, {
          upload: {
            ...verified('v-file'),
            intent: intentFor({ destination: { endpoint: '', bucket: 'b', key: 'with-file' } }),
          },
          history: historyFor({ key: 'with-file', versionId: 'v-file' }),
        });
        const latest = await store.findLatestUpload({
          endpoint: '',
          bucket: 'b',
          key: 'with-file',
        });
        assert.equal(latest?.versionId, 'v-file');
        assert.equal(latest.fileId, hold.fileId);
        assert.equal((await store.listHistory({ limit: 1 }))[0]?.versionId, 'v-file');
      }));
  });

  void describe('report windows', () => {
    void it('history by [since, until): finished at or after since, before until', () =>
      withStore(make, async (store) => {
        for (const [key, at] of [
          ['a', 999],
          ['b', 1000],
          ['c', 1500],
          ['d', 1999],
          ['e', 2000],
        ] as const)
          await store.addHistory(historyFor({ key, finishedAt: at, startedAt: 0 }));
        assert.deepEqual(await historyKeys(store, 1000, 2000), ['b', 'c', 'd']);
        assert.deepEqual(await historyKeys(store, 0, 1000), ['a']);
        const page = await store.searchHistory({ until: 1500, limit: 1 });
        assert.equal(page.total, 2, 'until alone');
        assert.equal(page.items[0]?.key, 'b', 'newest first by default');
      }));

    void it('files by the time of their last move, [changedSince, changedUntil), with states and job', () =>
      withStore(make, async (store) => {
        await reach(store, 'skipped', 1000, { path: '/s1', job: 'j' }); // moved at 1002
        await reach(store, 'parked', 2000, { path: '/p1', job: 'j' }); // 2002
        await reach(store, 'skipped', 3000, { path: '/s2', job: 'k' }); // 3002
        await reach(store, 'done', 1500, { path: '/d1', job: 'j' });
        const paths = async (q: { changedSince?: number; changedUntil?: number; job?: string }) =>
          (await store.pageFiles({ states: ['skipped', 'parked'], limit: 100, ...q })).items.map(
            (f) => f.path,
          );
        assert.deepEqual(await paths({ changedSince: 1002, changedUntil: 3002 }), ['/s1', '/p1']);
        assert.deepEqual(await paths({ changedSince: 1003 }), ['/p1', '/s2']);
        assert.deepEqual(await paths({ changedUntil: 2002 }), ['/s1']);
        assert.deepEqual(await paths({ job: 'j', changedSince: 0, changedUntil: 10_000 }), [
          '/s1',
          '/p1',
        ]);
        const page = await store.pageFiles({ changedSince: 2000, changedUntil: 4000, limit: 1 });
        assert.equal(page.total, 2, 'any state when none is given');
      }));
  });
}
