/**
 * Conformance: the file queue (enqueue with dedup, claim, state moves, listing, counts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FILE_STATES,
  HOLD_EXPIRED_REASON,
  type ClaimOptions,
  type FileState,
  type JournalStore,
} from '../../src/journal/journal-store.js';
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
  claim?: ClaimOptions,
): Promise<number | undefined> {
  return (await store.claimNextFile(now, jobs, claim))?.id;
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
          owner: null,
          leaseUntil: null,
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
              owner: null,
              leaseUntil: null,
            },
            JSON.stringify(change),
          );
          now++;
        }
        // Changed while uploading: left to its holder, whose upload notices the change and requeues
        // it; queuing it again now would let a second worker claim it meanwhile.
        await store.claimNextFile(now++);
        const held = await store.enqueueFile(fileFor({ size: 2000 }), now++);
        assert.deepEqual([held.state, held.size], ['uploading', identity.size]);
        assert.equal(await store.claimNextFile(now++), undefined, 'not claimable twice');
        // Changed while parked: queued again.
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
  describeLeases(make);
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
        // a's upload gave it back at 500 (it changed): it now waits behind b and c.
        await store.setFileState(a.id, 'queued', 500);
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

const A1 = { id: 'host-a:11:x', hostname: 'host-a', pid: 11, startedAt: 50, version: '0.1.0' };
const A2 = { id: 'host-b:22:y', hostname: 'host-b', pid: 22, startedAt: 60, version: '0.1.0' };

function describeLeases(make: MakeJournalStore): void {
  void describe('file queue: claims held under a lease (fleet)', () => {
    void it('a claim records its owner and lease; an expired lease lets another agent take over', () =>
      withStore(make, async (store) => {
        const a = await store.enqueueFile(fileFor({ path: '/a' }), 100);
        const claimed = await store.claimNextFile(200, undefined, { owner: A1.id, leaseMs: 1000 });
        assert.deepEqual([claimed?.id, claimed?.owner, claimed?.leaseUntil], [a.id, A1.id, 1200]);
        const b2 = { owner: A2.id, leaseMs: 1000 };
        assert.equal(await store.claimNextFile(1199, undefined, b2), undefined, 'lease holds');
        const taken = await store.claimNextFile(1200, undefined, b2);
        assert.deepEqual(
          [taken?.id, taken?.state, taken?.owner, taken?.leaseUntil],
          [a.id, 'uploading', A2.id, 2200],
        );
        assert.equal(await store.claimNextFile(1300, undefined, b2), undefined);
      }));

    void it('an expired lease is taken before queued files, and only for the given jobs', () =>
      withStore(make, async (store) => {
        const a = await store.enqueueFile(fileFor({ path: '/a', job: 'j1' }), 100);
        await store.claimNextFile(150, ['j1'], { owner: A1.id, leaseMs: 100 });
        const q = await store.enqueueFile(fileFor({ path: '/q', job: 'j1' }), 160);
        const v = await store.enqueueFile(fileFor({ path: '/v', job: 'j2' }), 170);
        await store.claimNextFile(180, ['j2'], { owner: A1.id, leaseMs: 100 });
        await store.setFileState(v.id, 'verifying', 190);
        const b2 = { owner: A2.id, leaseMs: 1000 };
        assert.equal(await claimedId(store, 400, [], b2), undefined);
        const verifying = await store.claimNextFile(400, ['j2'], b2);
        assert.deepEqual(
          [verifying?.id, verifying?.state, verifying?.owner],
          [v.id, 'verifying', A2.id],
          'an expired verifying file is taken over, still verifying (its object was verified)',
        );
        assert.equal((await store.claimNextFile(400, ['j1'], b2))?.id, a.id, 'before the queue');
        assert.equal((await store.claimNextFile(400, ['j1'], b2))?.id, q.id);
      }));

    void it('a heartbeat renews only its own leases and names the files it still holds', () =>
      withStore(make, async (store) => {
        const a = await store.enqueueFile(fileFor({ path: '/a' }), 100);
        const b = await store.enqueueFile(fileFor({ path: '/b' }), 110);
        await store.claimNextFile(200, undefined, { owner: A1.id, leaseMs: 1000 });
        await store.claimNextFile(200, undefined, { owner: A2.id, leaseMs: 1000 });
        assert.deepEqual(await store.heartbeat(A1, 900, 1000), [a.id]);
        assert.equal((await store.getFile(a.id))?.leaseUntil, 1900);
        assert.equal((await store.getFile(b.id))?.leaseUntil, 1200, 'A2 did not beat');
        // A2 is silent past its lease: A1 takes b over; A2's next heartbeat no longer holds it.
        const taken = await store.claimNextFile(1300, undefined, { owner: A1.id, leaseMs: 1000 });
        assert.equal(taken?.id, b.id);
        assert.deepEqual(await store.heartbeat(A2, 1400, 1000), []);
        assert.deepEqual((await store.heartbeat(A1, 1500, 1000)).sort(), [a.id, b.id].sort());
      }));

    void it('setFileState with an owner applies only while that owner holds the file', () =>
      withStore(make, async (store) => {
        const a = await store.enqueueFile(fileFor({ path: '/a' }), 100);
        await store.claimNextFile(200, undefined, { owner: A1.id, leaseMs: 100 });
        await store.claimNextFile(400, undefined, { owner: A2.id, leaseMs: 1000 });
        assert.equal(await store.setFileState(a.id, 'done', 500, { owner: A1.id }), false);
        assert.deepEqual(await pick(store.getFile(a.id).then((f) => f!)), [a.id, 'uploading', 400]);
        assert.equal(await store.setFileState(a.id, 'verifying', 600, { owner: A2.id }), true);
        assert.equal((await store.getFile(a.id))?.owner, A2.id, 'still held while verifying');
        assert.equal(await store.setFileState(a.id, 'done', 700, { owner: A2.id }), true);
        const done = await store.getFile(a.id);
        assert.deepEqual([done?.state, done?.owner, done?.leaseUntil], ['done', null, null]);
        await rejectsWithCode(
          store.setFileState(a.id + 1000, 'done', 800, { owner: A2.id }),
          'ERR_JOURNAL',
        );
      }));

    void it('listAgents shows each agent, its last heartbeat and what it holds; leave releases', () =>
      withStore(make, async (store) => {
        assert.deepEqual(await store.listAgents(), []);
        const a = await store.enqueueFile(fileFor({ path: '/a' }), 100);
        await store.enqueueFile(fileFor({ path: '/b' }), 110);
        await store.claimNextFile(200, undefined, { owner: A1.id, leaseMs: 1000 });
        await store.heartbeat(A1, 300, 1000);
        await store.heartbeat(A2, 400, 1000);
        assert.deepEqual(await store.listAgents(), [
          { ...A2, lastHeartbeat: 400, holding: 0 },
          { ...A1, lastHeartbeat: 300, holding: 1 },
        ]);
        assert.equal(await store.leave(A1.id, 500), 1);
        const released = await store.getFile(a.id);
        assert.deepEqual(
          [released?.state, released?.owner, released?.leaseUntil, released?.updatedAt],
          ['queued', null, null, 500],
        );
        assert.match(released?.reason ?? '', /released by agent host-a:11:x/);
        assert.deepEqual(
          (await store.listAgents()).map((x) => x.id),
          [A2.id],
        );
        assert.equal(await store.leave('nobody', 600), 0);
      }));

    void it('leave keeps a verifying file verifying, claimable at once by another agent', () =>
      withStore(make, async (store) => {
        const v = await store.enqueueFile(fileFor({ path: '/v' }), 100);
        await store.claimNextFile(200, undefined, { owner: A1.id, leaseMs: 10_000 });
        await store.setFileState(v.id, 'verifying', 300, { owner: A1.id });
        assert.equal(await store.leave(A1.id, 400), 1);
        const left = await store.getFile(v.id);
        assert.deepEqual([left?.state, left?.owner], ['verifying', null]);
        const taken = await store.claimNextFile(400, undefined, { owner: A2.id, leaseMs: 1000 });
        assert.deepEqual(
          [taken?.id, taken?.state, taken?.owner],
          [v.id, 'verifying', A2.id],
          'its object was verified: the next holder finishes it, it is not queued for upload',
        );
      }));

    void it('expireHolds makes every held file claimable now, states kept, others untouched', () =>
      withStore(make, async (store) => {
        const u = await store.enqueueFile(fileFor({ path: '/u' }), 100);
        const v = await store.enqueueFile(fileFor({ path: '/v' }), 110);
        const q = await store.enqueueFile(fileFor({ path: '/q' }), 120);
        await store.claimNextFile(200, undefined, { owner: A1.id, leaseMs: 60_000 });
        await store.claimNextFile(200, undefined); // held with no lease: never expires by itself
        await store.setFileState(v.id, 'verifying', 210);
        const b2 = { owner: A2.id, leaseMs: 1000 };
        assert.equal((await store.claimNextFile(300, undefined, b2))?.id, q.id, 'holds hold');
        await store.setFileState(q.id, 'done', 310, { owner: A2.id });
        const p = await store.enqueueFile(fileFor({ path: '/p' }), 320);

        assert.equal(await store.expireHolds(400), 2);
        const expired = await store.getFile(u.id);
        assert.deepEqual(
          [expired?.state, expired?.owner, expired?.leaseUntil, expired?.reason],
          ['uploading', null, 400, HOLD_EXPIRED_REASON],
        );
        assert.equal((await store.getFile(q.id))?.state, 'done', 'a finished file is untouched');
        const order: [number, FileState][] = [];
        for (let f = await store.claimNextFile(400, undefined, b2); f !== undefined;) {
          order.push([f.id, f.state]);
          f = await store.claimNextFile(400, undefined, b2);
        }
        assert.deepEqual(
          order,
          [
            [u.id, 'uploading'],
            [v.id, 'verifying'],
            [p.id, 'uploading'],
          ],
          'the expired holds first, in their states, then the queue',
        );
        assert.equal(await store.expireHolds(500), 3, 'the new holder can be expired in turn');
      }));

    void it('many concurrent claims of several agents take each file once', () =>
      withStore(make, async (store) => {
        for (let i = 0; i < 30; i++) await store.enqueueFile(fileFor({ path: `/f${i}` }), 100 + i);
        const claims = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            store.claimNextFile(1000, undefined, { owner: i % 2 ? A1.id : A2.id, leaseMs: 1000 }),
          ),
        );
        const ids = claims.filter((f) => f !== undefined).map((f) => f.id);
        assert.equal(ids.length, 30);
        assert.equal(new Set(ids).size, 30);
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
