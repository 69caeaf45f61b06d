/**
 * Conformance: the queue's statistics (files and bytes per job in some states; the parked and
 * waiting files grouped by the code of their reason, with the newest of each group) and a retry
 * of one such group.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FileReason, JournalStore } from '../../src/journal/journal-store.js';
import { fileFor, reach, withStore, type MakeJournalStore } from './journal-conformance-support.js';

const OWNER = 'stats-agent';

/** Brings a new file of `job` to parked or waiting at `now` with `reason`. */
async function fail(
  store: JournalStore,
  state: 'parked' | 'waiting',
  now: number,
  job: string,
  path: string,
  reason: FileReason,
): Promise<number> {
  const { file } = await store.enqueue(fileFor({ job, path }), now);
  const claimed = await store.claim(now + 1, { owner: OWNER, leaseMs: 1_000_000 }, [job]);
  assert.equal(claimed?.id, file.id);
  const hold = { fileId: file.id, owner: OWNER };
  if (state === 'parked') await store.park(hold, now + 2, { reason });
  else await store.defer(hold, now + 2, { reason, notBefore: now + 1_000_000 });
  return file.id;
}

const KEY: FileReason = { code: 'ERR_KEY_INVALID', message: 'key too long', hint: 'rename it' };
const AUTH: FileReason = { code: 'ERR_S3_ACCESS_DENIED', message: 'denied', hint: 'grant it' };

export function describeQueueStats(make: MakeJournalStore): void {
  void describe('queue statistics', () => {
    void it('sumFilesByJob counts the files and bytes of each job in the given states', () =>
      withStore(make, async (store) => {
        await store.enqueue(fileFor({ job: 'a', path: '/1', size: 100 }), 1);
        await store.enqueue(fileFor({ job: 'a', path: '/2', size: 250 }), 1);
        await store.enqueue(fileFor({ job: 'b', path: '/3', size: 7 }), 1);
        await reach(store, 'done', 5, { job: 'c', path: '/4', size: 1_000_000 });
        assert.deepEqual(await store.sumFilesByJob(['queued', 'waiting', 'uploading']), {
          a: { files: 2, bytes: 350 },
          b: { files: 1, bytes: 7 },
        });
        assert.deepEqual(await store.sumFilesByJob(['done']), {
          c: { files: 1, bytes: 1_000_000 },
        });
        assert.deepEqual(await store.sumFilesByJob([]), {});
      }));

    void it('failureGroups groups parked and waiting files by code, largest first, with the newest', () =>
      withStore(make, async (store) => {
        await fail(store, 'parked', 10, 'a', '/k1', KEY);
        const newest = await fail(store, 'parked', 30, 'b', '/k2', { ...KEY, message: 'newer' });
        await fail(store, 'waiting', 20, 'a', '/k3', KEY);
        await fail(store, 'waiting', 40, 'a', '/d1', AUTH);
        await reach(store, 'queued', 50, { job: 'a', path: '/q' });
        const groups = await store.failureGroups();
        assert.deepEqual(
          groups.map((g) => [g.code, g.files, g.parked, g.newest.path]),
          [
            ['ERR_KEY_INVALID', 3, 2, '/k2'],
            ['ERR_S3_ACCESS_DENIED', 1, 0, '/d1'],
          ],
        );
        const first = groups[0]!;
        assert.equal(first.newest.id, newest);
        assert.deepEqual(first.newest.reason, { ...KEY, message: 'newer' });
        assert.equal(first.newest.state, 'parked');
        assert.deepEqual(
          (await store.failureGroups({ job: 'b' })).map((g) => [g.code, g.files]),
          [['ERR_KEY_INVALID', 1]],
        );
        assert.deepEqual(await store.failureGroups({ job: 'none' }), []);
      }));

    void it('releaseForRetry by code releases that group only (of one job when given)', () =>
      withStore(make, async (store) => {
        await fail(store, 'parked', 10, 'a', '/k1', KEY);
        const k2 = await fail(store, 'waiting', 20, 'b', '/k2', KEY);
        const d1 = await fail(store, 'waiting', 30, 'a', '/d1', AUTH);
        assert.equal(await store.releaseForRetry({ code: 'ERR_NOTHING' }, 100), 0);
        assert.equal(await store.releaseForRetry({ code: 'ERR_KEY_INVALID', job: 'a' }, 100), 1);
        assert.equal((await store.getFile(k2))?.state, 'waiting');
        assert.equal(await store.releaseForRetry({ code: 'ERR_KEY_INVALID' }, 100), 1);
        assert.equal((await store.getFile(k2))?.state, 'queued');
        assert.equal((await store.getFile(d1))?.state, 'waiting', 'another code stays');
        assert.deepEqual(
          (await store.failureGroups()).map((g) => g.code),
          ['ERR_S3_ACCESS_DENIED'],
        );
      }));
  });
}
