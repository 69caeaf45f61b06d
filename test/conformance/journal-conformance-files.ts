/**
 * Conformance: the file queue (enqueue with dedup, claim, state moves, listing, counts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FILE_STATES, type FileState, type JournalStore } from '../../src/journal/journal-store.js';
import {
  fileFor,
  rejectsWithCode,
  withStore,
  type MakeJournalStore,
} from './journal-conformance-support.js';

async function claimedId(
  store: JournalStore,
  now: number,
  jobs?: readonly string[],
): Promise<number | undefined> {
  return (await store.claimNextFile(now, jobs))?.id;
}

/** Registers the file-queue tests. */
export function describeFiles(make: MakeJournalStore): void {
  void describe('file queue: enqueue', () => {
    void it('enqueueFile queues a new file', () =>
      withStore(make, async (store) => {
        const file = fileFor({ path: '/srv/ü ñ/x.mp4', size: 5 * 2 ** 32, inode: 2 ** 40 + 1 });
        const rec = await store.enqueueFile(file, 100);
        const expected = {
          ...file,
          id: rec.id,
          state: 'queued',
          reason: null,
          notBefore: null,
          attempts: 0,
          updatedAt: 100,
        };
        assert.deepEqual(rec, expected);
        assert.deepEqual(await store.getFile(rec.id), expected);
        assert.equal(await store.getFile(rec.id + 1000), undefined);
        const sameNameOtherJob = await store.enqueueFile(fileFor({ job: 'other' }), 100);
        const otherFile = await store.enqueueFile(fileFor({ path: '/srv/rec/cam-1/b.mp4' }), 100);
        assert.equal(new Set([rec.id, sameNameOtherJob.id, otherFile.id]).size, 3);
      }));

    void it('enqueueFile with the same identity returns the same entry, its state unchanged', () =>
      withStore(make, async (store) => {
        const first = await store.enqueueFile(fileFor(), 100);
        assert.deepEqual(await store.enqueueFile(fileFor(), 200), first);
        await store.claimNextFile(300);
        assert.deepEqual(await pick(store.enqueueFile(fileFor(), 400)), [
          first.id,
          'uploading',
          300,
        ]);
        await store.setFileState(first.id, 'done', 500);
        assert.deepEqual(
          await pick(store.enqueueFile(fileFor(), 600)),
          [first.id, 'done', 500],
          'never uploaded twice',
        );
        await store.setFileState(first.id, 'parked', 700, {
          reason: 'ERR_FILE_UNREADABLE: EACCES',
        });
        const parked = await store.enqueueFile(fileFor(), 800);
        assert.deepEqual([parked.state, parked.reason], ['parked', 'ERR_FILE_UNREADABLE: EACCES']);
        assert.equal((await store.listFiles({ limit: 10 })).length, 1);
      }));

    void it('enqueueFile re-queues a file whose size, mtime or inode changed', () =>
      withStore(make, async (store) => {
        const { id } = await store.enqueueFile(fileFor(), 100);
        // Each step changes one field of the previous identity (a sub-ms mtime change included).
        const changes = [{ size: 1001 }, { mtimeMs: 5000.75 }, { inode: 78 }];
        let now = 200;
        let identity = fileFor();
        for (const change of changes) {
          identity = { ...identity, ...change };
          await store.claimNextFile(now++);
          await store.setFileState(id, 'done', now++);
          const again = await store.enqueueFile(identity, now);
          assert.deepEqual(
            { ...again, attempts: 0 },
            {
              ...identity,
              id,
              state: 'queued',
              reason: null,
              notBefore: null,
              attempts: 0,
              updatedAt: now,
            },
            JSON.stringify(change),
          );
          now++;
        }
        // Changed while uploading (the upload will be abandoned) or parked: queued again too.
        await store.claimNextFile(now++);
        assert.equal((await store.enqueueFile(fileFor({ size: 2000 }), now++)).state, 'queued');
        await store.setFileState(id, 'parked', now++, { reason: 'ERR_FILE_UNREADABLE: EACCES' });
        const requeued = await store.enqueueFile(fileFor({ size: 3000 }), now);
        assert.deepEqual([requeued.state, requeued.reason, requeued.size], ['queued', null, 3000]);
      }));

    void it('enqueueFile moves a discovered or settling file with the same identity to queued', () =>
      withStore(make, async (store) => {
        const { id } = await store.enqueueFile(fileFor(), 100);
        for (const state of ['discovered', 'settling'] as const) {
          await store.setFileState(id, state, 200);
          assert.deepEqual(await pick(store.enqueueFile(fileFor(), 300)), [id, 'queued', 300]);
        }
      }));
  });
  describeClaims(make);
  describeStates(make);
}

function describeClaims(make: MakeJournalStore): void {
  void describe('file queue: claims', () => {
    void it('claimNextFile takes the oldest queued file first, and never the same file twice', () =>
      withStore(make, async (store) => {
        const a = await store.enqueueFile(fileFor({ path: '/a' }), 100);
        const b = await store.enqueueFile(fileFor({ path: '/b' }), 200);
        const c = await store.enqueueFile(fileFor({ path: '/c' }), 300);
        const claimed = await store.claimNextFile(400);
        assert.deepEqual(claimed, { ...a, state: 'uploading', updatedAt: 400 });
        assert.deepEqual(await store.getFile(a.id), claimed);
        // a changed during its upload: re-queued at 500, it now waits behind b and c.
        await store.enqueueFile(fileFor({ path: '/a', size: 1 }), 500);
        assert.equal(await claimedId(store, 600), b.id);
        assert.equal(await claimedId(store, 600), c.id);
        assert.equal(await claimedId(store, 600), a.id);
        assert.equal(await store.claimNextFile(700), undefined);
      }));

    void it('a queued file is claimable whatever the time; a waiting one only from its notBefore', () =>
      withStore(make, async (store) => {
        const a = await store.enqueueFile(fileFor({ path: '/a' }), 100);
        assert.equal(await claimedId(store, 1), a.id, 'queued: claimable even if clocks disagree');
        await store.setFileState(a.id, 'waiting', 120, {
          reason: 'ERR_S3_THROTTLED: slow down',
          notBefore: 500,
          countAttempt: true,
        });
        const b = await store.enqueueFile(fileFor({ path: '/b' }), 130);
        assert.equal(await claimedId(store, 200), b.id, 'a is not due yet');
        assert.equal(await store.claimNextFile(499), undefined);
        const claimed = await store.claimNextFile(500);
        assert.equal(claimed?.id, a.id, 'due at exactly notBefore');
        assert.deepEqual([claimed.state, claimed.reason, claimed.attempts], ['uploading', null, 1]);
        assert.equal(await store.claimNextFile(10_000), undefined);
      }));

    void it('claimNextFile takes only files of the given jobs', () =>
      withStore(make, async (store) => {
        const a = await store.enqueueFile(fileFor({ job: 'j1' }), 100);
        const b = await store.enqueueFile(fileFor({ job: 'j2' }), 200);
        assert.equal(await store.claimNextFile(300, []), undefined, 'no jobs, no files');
        assert.equal(await claimedId(store, 300, ['j2']), b.id);
        assert.equal(await store.claimNextFile(300, ['j2']), undefined);
        assert.equal(await claimedId(store, 300, ['j3', 'j1']), a.id);
      }));

    void it('concurrent claims never return the same file', () =>
      withStore(make, async (store) => {
        for (let i = 0; i < 5; i++) await store.enqueueFile(fileFor({ path: `/f${i}` }), 100 + i);
        const claims = await Promise.all(Array.from({ length: 8 }, () => claimedId(store, 1000)));
        const ids = claims.filter((id) => id !== undefined);
        assert.equal(ids.length, 5);
        assert.equal(new Set(ids).size, 5);
      }));
  });
}

function describeStates(make: MakeJournalStore): void {
  void describe('file queue: states', () => {
    void it('setFileState records reason, notBefore and attempts; unset ones are cleared', () =>
      withStore(make, async (store) => {
        const { id } = await store.enqueueFile(fileFor(), 100);
        const facts = async () => {
          const f = await store.getFile(id);
          return [f?.state, f?.reason, f?.notBefore, f?.attempts, f?.updatedAt];
        };
        await store.setFileState(id, 'waiting', 200, {
          reason: 'r1',
          notBefore: 900,
          countAttempt: true,
        });
        assert.deepEqual(await facts(), ['waiting', 'r1', 900, 1, 200]);
        await store.setFileState(id, 'waiting', 300, { reason: 'r2', notBefore: 1000 });
        assert.deepEqual(await facts(), ['waiting', 'r2', 1000, 1, 300]);
        await store.setFileState(id, 'parked', 400, {
          reason: 'ERR_FILE_UNREADABLE: EACCES',
          countAttempt: true,
        });
        assert.deepEqual(await facts(), ['parked', 'ERR_FILE_UNREADABLE: EACCES', null, 2, 400]);
        await store.setFileState(id, 'queued', 500); // `retry` releases it
        assert.deepEqual(await facts(), ['queued', null, null, 2, 500]);
        await store.setFileState(id, 'verifying', 600, { countAttempt: false });
        assert.deepEqual(await facts(), ['verifying', null, null, 2, 600]);
      }));

    void it('setFileState rejects a file it does not know', () =>
      withStore(make, async (store) => {
        const { id } = await store.enqueueFile(fileFor(), 100);
        await rejectsWithCode(store.setFileState(id + 1000, 'done', 200), 'ERR_JOURNAL');
        assert.equal((await store.getFile(id))?.state, 'queued');
      }));

    void it('listFiles filters by state, oldest first, with limit and offset', () =>
      withStore(make, async (store) => {
        const [a, b, , d] = await Promise.all(
          ['/a', '/b', '/c', '/d'].map((path, i) =>
            store.enqueueFile(fileFor({ path }), 100 * (i + 1)),
          ),
        );
        await store.setFileState(b!.id, 'parked', 500, { reason: 'x' });
        await store.setFileState(d!.id, 'parked', 450, { reason: 'y' });
        const paths = async (q: {
          states?: readonly FileState[];
          limit: number;
          offset?: number;
        }) => (await store.listFiles(q)).map((f) => f.path);
        assert.deepEqual(await paths({ states: ['parked'], limit: 10 }), ['/d', '/b']);
        assert.deepEqual(await paths({ states: ['queued'], limit: 10 }), ['/a', '/c']);
        assert.deepEqual(await paths({ states: ['queued', 'parked'], limit: 10 }), [
          '/a',
          '/c',
          '/d',
          '/b',
        ]);
        assert.deepEqual(await paths({ states: ['queued', 'parked'], limit: 2, offset: 1 }), [
          '/c',
          '/d',
        ]);
        assert.deepEqual(await paths({ limit: 10 }), ['/a', '/c', '/d', '/b']);
        assert.deepEqual(await paths({ states: [], limit: 10 }), []);
        assert.deepEqual(await paths({ states: ['done'], limit: 10 }), []);
        assert.deepEqual(
          (await store.listFiles({ states: ['queued'], limit: 1 }))[0],
          await store.getFile(a!.id),
        );
      }));

    void it('countFiles counts every state, zeros included', () =>
      withStore(make, async (store) => {
        const zero = Object.fromEntries(Object.values(FILE_STATES).map((s) => [s, 0]));
        assert.deepEqual(await store.countFiles(), zero);
        for (const path of ['/a', '/b', '/c', '/d'])
          await store.enqueueFile(fileFor({ path }), 100);
        const first = await store.claimNextFile(200);
        await store.setFileState(first!.id, 'done', 300);
        await store.claimNextFile(400);
        const [queued] = await store.listFiles({ states: ['queued'], limit: 1 });
        await store.setFileState(queued!.id, 'parked', 500, { reason: 'x' });
        assert.deepEqual(await store.countFiles(), {
          ...zero,
          queued: 1,
          uploading: 1,
          done: 1,
          parked: 1,
        });
      }));
  });
}

async function pick(
  p: Promise<{ id: number; state: string; updatedAt: number }>,
): Promise<unknown[]> {
  const f = await p;
  return [f.id, f.state, f.updatedAt];
}
