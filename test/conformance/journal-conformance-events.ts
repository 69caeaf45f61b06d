/**
 * Conformance: events (retention, paging) and upload history.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JournalStore } from '../../src/journal/journal-store.js';
import {
  eventFor,
  historyFor,
  withStore,
  type MakeJournalStore,
} from './journal-conformance-support.js';

async function appendNumbered(store: JournalStore, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++)
    await store.appendEvent(eventFor({ at: 1000 + i, message: `e${i}` }));
}

async function messages(
  store: JournalStore,
  query: { limit: number; beforeId?: number },
): Promise<string[]> {
  return (await store.listEvents(query)).map((e) => e.message);
}

/** Registers the event and history tests. */
export function describeEventsAndHistory(make: MakeJournalStore): void {
  void describe('events', () => {
    void it('appendEvent returns the event with an id and lists it back exactly', () =>
      withStore(make, async (store) => {
        const full = eventFor({
          level: 'warn',
          type: 'upload.retry',
          path: '/srv/rec/ü.mp4',
          key: 'rec/ü.mp4',
          data: {
            attempt: 3,
            delayMs: 1500.5,
            cause: { code: 'ERR_S3_THROTTLED', list: [1, 'x', null, true] },
          },
        });
        const bare = eventFor({ at: 1_700_000_000_001, message: 'no optional fields' });
        const a = await store.appendEvent(full);
        const b = await store.appendEvent(bare);
        assert.ok(Number.isSafeInteger(a.id) && b.id > a.id, 'ids grow');
        assert.deepEqual(a, { ...full, id: a.id });
        // Optional fields that were not given stay absent (not undefined, not null).
        assert.deepEqual(b, { ...bare, id: b.id });
        assert.deepEqual(await store.listEvents({ limit: 10 }), [b, a]);
      }));

    void it('lists events newest first and pages backwards with beforeId', () =>
      withStore(make, async (store) => {
        await appendNumbered(store, 1, 7);
        const page1 = await store.listEvents({ limit: 3 });
        assert.deepEqual(
          page1.map((e) => e.message),
          ['e7', 'e6', 'e5'],
        );
        const page2 = await store.listEvents({ limit: 3, beforeId: page1.at(-1)!.id });
        assert.deepEqual(
          page2.map((e) => e.message),
          ['e4', 'e3', 'e2'],
        );
        const page3 = await store.listEvents({ limit: 3, beforeId: page2.at(-1)!.id });
        assert.deepEqual(
          page3.map((e) => e.message),
          ['e1'],
        );
        assert.deepEqual(await store.listEvents({ limit: 3, beforeId: page3[0]!.id }), []);
        assert.deepEqual(await messages(store, { limit: 0 }), []);
      }));

    void it('keeps only the newest eventRetention events', () =>
      withStore(
        make,
        async (store) => {
          await appendNumbered(store, 1, 5);
          assert.deepEqual(await messages(store, { limit: 100 }), ['e5', 'e4', 'e3']);
          await appendNumbered(store, 6, 7);
          assert.deepEqual(await messages(store, { limit: 100 }), ['e7', 'e6', 'e5']);
          const oldest = (await store.listEvents({ limit: 100 })).at(-1)!;
          assert.deepEqual(await store.listEvents({ limit: 100, beforeId: oldest.id }), []);
        },
        { eventRetention: 3 },
      ));
  });

  void describe('history', () => {
    void it('addHistory returns the entry with an id and lists it back exactly', () =>
      withStore(make, async (store) => {
        const ok = historyFor({ avgBytesPerSec: 1234.5678 });
        const failed = historyFor({
          result: 'failed',
          etag: null,
          checksum: null,
          error: 'ERR_FILE_CHANGED: changed',
          finishedAt: ok.finishedAt + 1,
        });
        const a = await store.addHistory(ok);
        const b = await store.addHistory(failed);
        assert.ok(Number.isSafeInteger(a.id) && a.id !== b.id);
        assert.deepEqual(a, { ...ok, id: a.id });
        assert.deepEqual(b, { ...failed, id: b.id });
        assert.deepEqual(await store.listHistory({ limit: 10 }), [b, a]);
      }));

    void it('lists history newest first (by finishedAt) with limit and offset', () =>
      withStore(make, async (store) => {
        // Added out of finishing order, as a fleet or a slow verify may do.
        for (const [key, finishedAt] of [
          ['h1', 1000],
          ['h2', 3000],
          ['h3', 2000],
          ['h4', 4000],
        ] as const) {
          await store.addHistory(historyFor({ key, finishedAt, startedAt: 500 }));
        }
        const keys = async (q: { limit: number; offset?: number }) =>
          (await store.listHistory(q)).map((h) => h.key);
        assert.deepEqual(await keys({ limit: 10 }), ['h4', 'h2', 'h3', 'h1']);
        assert.deepEqual(await keys({ limit: 2 }), ['h4', 'h2']);
        assert.deepEqual(await keys({ limit: 2, offset: 1 }), ['h2', 'h3']);
        assert.deepEqual(await keys({ limit: 2, offset: 3 }), ['h1']);
        assert.deepEqual(await keys({ limit: 2, offset: 4 }), []);
      }));

    void it('findDoneByChecksum finds the newest successful upload of that content', () =>
      withStore(make, async (store) => {
        await store.addHistory(historyFor({ key: 'old', checksum: 'sha256:aa', finishedAt: 1000 }));
        await store.addHistory(historyFor({ key: 'new', checksum: 'sha256:aa', finishedAt: 2000 }));
        await store.addHistory(
          historyFor({
            key: 'failed',
            checksum: 'sha256:aa',
            finishedAt: 3000,
            result: 'failed',
            error: 'x',
          }),
        );
        await store.addHistory(
          historyFor({ key: 'other', checksum: 'sha256:bb', finishedAt: 4000 }),
        );
        assert.equal((await store.findDoneByChecksum('sha256:aa'))?.key, 'new');
        assert.equal(await store.findDoneByChecksum('sha256:cc'), undefined);
      }));

    void it('lists the history of one source file when sourcePath is given', () =>
      withStore(make, async (store) => {
        await store.addHistory(historyFor({ key: 'a1', sourcePath: '/src/a', finishedAt: 1000 }));
        await store.addHistory(historyFor({ key: 'b1', sourcePath: '/src/b', finishedAt: 2000 }));
        await store.addHistory(historyFor({ key: 'a2', sourcePath: '/src/a', finishedAt: 3000 }));
        const keys = (await store.listHistory({ limit: 10, sourcePath: '/src/a' })).map(
          (h) => h.key,
        );
        assert.deepEqual(keys, ['a2', 'a1']);
        assert.deepEqual(await store.listHistory({ limit: 10, sourcePath: '/src/none' }), []);
      }));
  });
}
