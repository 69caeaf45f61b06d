/**
 * Conformance: the file queue (enqueue with dedup, claim, leases, listing, counts). The named
 * transitions, table-driven: journal-conformance-transitions.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FILE_STATES,
  HOLD_EXPIRED_REASON,
  type ClaimOptions,
  type FileRecord,
  type FileState,
  type JournalStore,
} from '../../src/journal/journal-store.js';
import {
  CLAIM,
  OWNER,
  eventFor,
  fileFor,
  reach,
  withStore,
  type MakeJournalStore,
} from './journal-conformance-support.js';

async function claimedId(
  store: JournalStore,
  now: number,
  jobs?: readonly string[],
  claim: ClaimOptions = CLAIM,
): Promise<number | undefined> {
  return (await store.claim(now, claim, jobs))?.id;
}

const EACCES = { code: 'ERR_FILE_UNREADABLE', message: 'EACCES', hint: 'chmod it' };

/** Registers the file-queue tests. */
export function describeFiles(make: MakeJournalStore): void {
  void describe('file queue: enqueue', () => {
    void it('enqueue queues a new file', () =>
      withStore(make, async (store) => {
        const file = fileFor({ path: '/srv/ü ñ/x.mp4', size: 5 * 2 ** 32, inode: 2 ** 40 + 1 });
        const { file: rec, queued } = await store.enqueue(file, 100);
        const expected = {
          ...file,
          id: rec.id,
          ctimeMs: null,
          state: 'queued',
          reason: null,
          notBefore: null,
          attempts: 0,
          updatedAt: 100,
          owner: null,
          leaseUntil: null,
          plan: null,
        };
        assert.equal(queued, true);
        assert.deepEqual(rec, expected);
        assert.deepEqual(await store.getFile(rec.id), expected);
        assert.equal(await store.getFile(rec.id + 1000), undefined);
        const sameNameOtherJob = await store.enqueue(fileFor({ job: 'other' }), 100);
        const otherFile = await store.enqueue(fileFor({ path: '/srv/rec/cam-1/b.mp4' }), 100);
        assert.equal(new Set([rec.id, sameNameOtherJob.file.id, otherFile.file.id]).size, 3);
      }));

    void it('enqueue with the same identity returns the same entry, its state unchanged', () =>
      withStore(make, async (store) => {
        const { file: first } = await store.enqueue(fileFor(), 100);
        const again = await store.enqueue(fileFor(), 200);
        assert.deepEqual([again.file, again.queued], [first, false]);
        await store.claim(300, CLAIM);
        assert.deepEqual(await pick(store.enqueue(fileFor(), 400)), [first.id, 'uploading', 300]);
        const hold = { fileId: first.id, owner: OWNER };
        await store.markVerifying(hold, 450);
        await store.complete(hold, 500);
        assert.deepEqual(
          await pick(store.enqueue(fileFor(), 600)),
          [first.id, 'done', 500],
          'never uploaded twice',
        );
        const p = await reach(store, 'parked', 700, { path: '/p' });
        const parked = await store.enqueue(fileFor({ path: '/p', job: p.file.job }), 800);
        assert.deepEqual([parked.file.state, parked.file.reason], ['parked', EACCES]);
        assert.equal((await store.listFiles({ limit: 10 })).length, 2);
      }));

    void it('enqueue re-queues a file whose size, mtime or inode changed', () =>
      withStore(make, async (store) => {
        const { file: first } = await store.enqueue(fileFor(), 100);
        const id = first.id;
        const hold = { fileId: id, owner: OWNER };
        // Each step changes one field of the previous identity (a sub-ms mtime change included).
        const changes = [{ size: 1001 }, { mtimeMs: 5000.75 }, { inode: 78 }];
        let now = 200;
        let identity = fileFor();
        for (const change of changes) {
          identity = { ...identity, ...change };
          await store.claim(now++, CLAIM);
          await store.markVerifying(hold, now++);
          await store.complete(hold, now++);
          const again = await store.enqueue(identity, now);
          assert.equal(again.queued, true);
          assert.deepEqual(
            { ...again.file, attempts: 0 },
            {
              ...identity,
              id,
              ctimeMs: null,
              state: 'queued',
              reason: null,
              notBefore: null,
              attempts: 0,
              updatedAt: now,
              owner: null,
              leaseUntil: null,
              plan: null,
            },
            JSON.stringify(change),
          );
          now++;
        }
        // Changed while uploading: left to its holder, whose upload notices the change and requeues
        // it; queuing it again now would let a second worker claim it meanwhile.
        await store.claim(now++, CLAIM);
        const held = await store.enqueue(fileFor({ size: 2000 }), now++);
        assert.deepEqual(
          [held.file.state, held.file.size, held.queued],
          ['uploading', identity.size, false],
        );
        assert.equal(await store.claim(now++, CLAIM), undefined, 'not claimable twice');
        // Changed while parked: queued again.
        await store.park(hold, now++, { reason: EACCES });
        const requeued = await store.enqueue(fileFor({ size: 3000 }), now);
        assert.deepEqual(
          [requeued.file.state, requeued.file.reason, requeued.file.size],
          ['queued', null, 3000],
        );
      }));

    void it('enqueue moves a settling file with the same identity to queued', () =>
      withStore(make, async (store) => {
        const s = await reach(store, 'settling', 100, { path: '/s' });
        const again = await store.enqueue(fileFor({ path: '/s', job: s.file.job }), 300);
        assert.deepEqual(
          [again.file.id, again.file.state, again.file.updatedAt, again.queued],
          [s.file.id, 'queued', 300, true],
        );
      }));

    void it('enqueue records its event only when the file was queued', () =>
      withStore(make, async (store) => {
        const event = eventFor({ type: 'file.queued', message: 'queued' });
        const first = await store.enqueue(fileFor(), 100, event);
        assert.deepEqual(first.event, { ...event, id: first.event?.id });
        const again = await store.enqueue(fileFor(), 200, event);
        assert.equal(again.event, undefined);
        assert.equal(await store.countEvents({ type: 'file.queued' }), 1);
      }));
  });
  describeClaims(make);
  describeLeases(make);
  describeStates(make);
}

function describeClaims(make: MakeJournalStore): void {
  void describe('file queue: claims', () => {
    void it('claim takes the oldest queued file first, and never the same file twice', () =>
      withStore(make, async (store) => {
        const a = await queue(store, fileFor({ path: '/a' }), 100);
        const b = await queue(store, fileFor({ path: '/b' }), 200);
        const c = await queue(store, fileFor({ path: '/c' }), 300);
        const claimed = await store.claim(400, CLAIM);
        assert.deepEqual(claimed, {
          ...a,
          state: 'uploading',
          updatedAt: 400,
          owner: OWNER,
          leaseUntil: 400 + CLAIM.leaseMs,
        });
        assert.deepEqual(await store.getFile(a.id), claimed);
        // a's upload gave it back at 500 (the agent stopped): it now waits behind b and c.
        const released = { code: 'released', message: 'stopping', hint: null };
        await store.release({ fileId: a.id, owner: OWNER }, 500, { reason: released });
        assert.equal(await claimedId(store, 600), b.id);
        assert.equal(await claimedId(store, 600), c.id);
        assert.equal(await claimedId(store, 600), a.id);
        assert.equal(await store.claim(700, CLAIM), undefined);
      }));

    void it('a queued file is claimable whatever the time; a waiting one only from its notBefore', () =>
      withStore(make, async (store) => {
        const a = await queue(store, fileFor({ path: '/a' }), 100);
        assert.equal(await claimedId(store, 1), a.id, 'queued: claimable even if clocks disagree');
        await store.defer({ fileId: a.id, owner: OWNER }, 120, {
          reason: { code: 'ERR_S3_THROTTLED', message: 'slow down', hint: null },
          notBefore: 500,
        });
        const { file: b } = await store.enqueue(fileFor({ path: '/b' }), 130);
        assert.equal(await claimedId(store, 200), b.id, 'a is not due yet');
        assert.equal(await store.claim(499, CLAIM), undefined);
        const claimed = await store.claim(500, CLAIM);
        assert.equal(claimed?.id, a.id, 'due at exactly notBefore');
        assert.deepEqual([claimed.state, claimed.reason, claimed.attempts], ['uploading', null, 1]);
        assert.equal(await store.claim(10_000, CLAIM), undefined);
      }));

    void it('claim takes only files of the given jobs', () =>
      withStore(make, async (store) => {
        const a = await queue(store, fileFor({ job: 'j1' }), 100);
        const b = await queue(store, fileFor({ job: 'j2' }), 200);
        assert.equal(await store.claim(300, CLAIM, []), undefined, 'no jobs, no files');
        assert.equal(await claimedId(store, 300, ['j2']), b.id);
        assert.equal(await store.claim(300, CLAIM, ['j2']), undefined);
        assert.equal(await claimedId(store, 300, ['j3', 'j1']), a.id);
      }));

    void it('concurrent claims never return the same file', () =>
      withStore(make, async (store) => {
        for (let i = 0; i < 5; i++) await queue(store, fileFor({ path: `/f${i}` }), 100 + i);
        const claims = await Promise.all(Array.from({ length: 8 }, () => claimedId(store, 1000)));
        const ids = claims.filter((id) => id !== undefined);
        assert.equal(ids.length, 5);
        assert.equal(new Set(ids).size, 5);
      }));
  });
}

/** Queues a file; resolves its entry. */
async function queue(
  store: JournalStore,
  file: Parameters<JournalStore['enqueue']>[0],
  now: number,
): Promise<FileRecord> {
  return (await store.enqueue(file, now)).file;
}

const A3 = 'host-c:33:z';
const A1 = { id: 'host-a:11:x', hostname: 'host-a', pid: 11, startedAt: 50, version: '0.1.0' };
const A2 = { id: 'host-b:22:y', hostname: 'host-b', pid: 22, startedAt: 60, version: '0.1.0' };

function describeLeases(make: MakeJournalStore): void {
  void describe('file queue: claims held under a lease (fleet)', () => {
    void it('a claim records its owner and lease; an expired lease lets another agent take over', () =>
      withStore(make, async (store) => {
        const a = await queue(store, fileFor({ path: '/a' }), 100);
        const claimed = await store.claim(200, { owner: A1.id, leaseMs: 1000 });
        assert.deepEqual([claimed?.id, claimed?.owner, claimed?.leaseUntil], [a.id, A1.id, 1200]);
        const b2 = { owner: A2.id, leaseMs: 1000 };
        assert.equal(await store.claim(1199, b2), undefined, 'lease holds');
        const taken = await store.claim(1200, b2);
        assert.deepEqual(
          [taken?.id, taken?.state, taken?.owner, taken?.leaseUntil],
          [a.id, 'uploading', A2.id, 2200],
        );
        assert.equal(await store.claim(1300, b2), undefined);
      }));

    void it('an expired lease is taken before queued files, and only for the given jobs', () =>
      withStore(make, async (store) => {
        const a = await queue(store, fileFor({ path: '/a', job: 'j1' }), 100);
        await store.claim(150, { owner: A1.id, leaseMs: 100 }, ['j1']);
        const q = await queue(store, fileFor({ path: '/q', job: 'j1' }), 160);
        const v = await queue(store, fileFor({ path: '/v', job: 'j2' }), 170);
        await store.claim(180, { owner: A1.id, leaseMs: 100 }, ['j2']);
        await store.markVerifying({ fileId: v.id, owner: A1.id }, 190);
        const b2 = { owner: A2.id, leaseMs: 1000 };
        assert.equal(await claimedId(store, 400, [], b2), undefined);
        const verifying = await store.claim(400, b2, ['j2']);
        assert.deepEqual(
          [verifying?.id, verifying?.state, verifying?.owner],
          [v.id, 'verifying', A2.id],
          'an expired verifying file is taken over, still verifying (its object was verified)',
        );
        assert.equal((await store.claim(400, b2, ['j1']))?.id, a.id, 'before the queue');
        assert.equal((await store.claim(400, b2, ['j1']))?.id, q.id);
      }));

    void it('a heartbeat renews only its own leases and names the files it still holds', () =>
      withStore(make, async (store) => {
        const a = await queue(store, fileFor({ path: '/a' }), 100);
        const b = await queue(store, fileFor({ path: '/b' }), 110);
        await store.claim(200, { owner: A1.id, leaseMs: 1000 });
        await store.claim(200, { owner: A2.id, leaseMs: 1000 });
        assert.deepEqual(await store.heartbeat(A1, 900, 1000), [a.id]);
        assert.equal((await store.getFile(a.id))?.leaseUntil, 1900);
        assert.equal((await store.getFile(b.id))?.leaseUntil, 1200, 'A2 did not beat');
        // A2 is silent past its lease: A1 takes b over; A2's next heartbeat no longer holds it.
        const taken = await store.claim(1300, { owner: A1.id, leaseMs: 1000 });
        assert.equal(taken?.id, b.id);
        assert.deepEqual(await store.heartbeat(A2, 1400, 1000), []);
        assert.deepEqual((await store.heartbeat(A1, 1500, 1000)).sort(), [a.id, b.id].sort());
      }));

    void it('listAgents shows each agent, its last heartbeat and what it holds; leave releases', () =>
      withStore(make, async (store) => {
        assert.deepEqual(await store.listAgents(), []);
        const a = await queue(store, fileFor({ path: '/a' }), 100);
        await queue(store, fileFor({ path: '/b' }), 110);
        await store.claim(200, { owner: A1.id, leaseMs: 1000 });
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
        assert.equal(released?.reason?.code, 'released');
        assert.match(released.reason.message, /released by agent host-a:11:x/);
        assert.deepEqual(
          (await store.listAgents()).map((x) => x.id),
          [A2.id],
        );
        assert.equal(await store.leave('nobody', 600), 0);
      }));

    void it('announceApi records where the API of an agent listens; heartbeats keep it; null clears it', () =>
      withStore(make, async (store) => {
        await store.announceApi(A1.id, 'http://127.0.0.1:1'); // no such agent yet: nothing
        await store.heartbeat(A1, 300, 1000);
        await store.heartbeat(A2, 300, 1000);
        assert.equal((await store.listAgents()).find((x) => x.id === A1.id)?.apiUrl, undefined);
        await store.announceApi(A1.id, 'http://127.0.0.1:7400');
        await store.heartbeat(A1, 400, 1000);
        const agents = await store.listAgents();
        assert.deepEqual(agents[0], {
          ...A1,
          lastHeartbeat: 400,
          holding: 0,
          apiUrl: 'http://127.0.0.1:7400',
        });
        assert.equal(agents.find((x) => x.id === A2.id)?.apiUrl, undefined, 'only its own');
        await store.announceApi(A1.id, null);
        assert.equal((await store.listAgents())[0]?.apiUrl, undefined);
      }));

    void it('leave keeps a verifying file verifying, claimable at once by another agent', () =>
      withStore(make, async (store) => {
        const v = await queue(store, fileFor({ path: '/v' }), 100);
        await store.claim(200, { owner: A1.id, leaseMs: 10_000 });
        await store.markVerifying({ fileId: v.id, owner: A1.id }, 300);
        assert.equal(await store.leave(A1.id, 400), 1);
        const left = await store.getFile(v.id);
        assert.deepEqual([left?.state, left?.owner], ['verifying', null]);
        const taken = await store.claim(400, { owner: A2.id, leaseMs: 1000 });
        assert.deepEqual(
          [taken?.id, taken?.state, taken?.owner],
          [v.id, 'verifying', A2.id],
          'its object was verified: the next holder finishes it, it is not queued for upload',
        );
      }));

    void it('expireHolds makes every held file claimable now, states kept, others untouched', () =>
      withStore(make, async (store) => {
        const u = await queue(store, fileFor({ path: '/u' }), 100);
        const v = await queue(store, fileFor({ path: '/v' }), 110);
        const q = await queue(store, fileFor({ path: '/q' }), 120);
        await store.claim(200, { owner: A1.id, leaseMs: 60_000 });
        await store.claim(200, { owner: A3, leaseMs: 10_000_000 }); // a long lease
        await store.markVerifying({ fileId: v.id, owner: A3 }, 210);
        const b2 = { owner: A2.id, leaseMs: 1000 };
        assert.equal((await store.claim(300, b2))?.id, q.id, 'holds hold');
        await store.markVerifying({ fileId: q.id, owner: A2.id }, 305);
        await store.complete({ fileId: q.id, owner: A2.id }, 310);
        const p = await queue(store, fileFor({ path: '/p' }), 320);

        assert.equal(await store.expireHolds(400), 2);
        const expired = await store.getFile(u.id);
        assert.deepEqual(
          [expired?.state, expired?.owner, expired?.leaseUntil, expired?.reason],
          ['uploading', null, 400, HOLD_EXPIRED_REASON],
        );
        assert.equal((await store.getFile(q.id))?.state, 'done', 'a finished file is untouched');
        const order: [number, FileState][] = [];
        for (let f = await store.claim(400, b2); f !== undefined;) {
          order.push([f.id, f.state]);
          f = await store.claim(400, b2);
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
        for (let i = 0; i < 30; i++) await queue(store, fileFor({ path: `/f${i}` }), 100 + i);
        const claims = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            store.claim(1000, { owner: i % 2 ? A1.id : A2.id, leaseMs: 1000 }),
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
    void it('transitions record reason, notBefore and attempts; retry clears them', () =>
      withStore(make, async (store) => {
        const { file } = await store.enqueue(fileFor(), 100);
        const hold = { fileId: file.id, owner: OWNER };
        const facts = async () => {
          const f = await store.getFile(file.id);
          return [f?.state, f?.reason, f?.notBefore, f?.attempts, f?.updatedAt];
        };
        const r1 = { code: 'ERR_S3_THROTTLED', message: 'slow down', hint: null };
        await store.claim(150, CLAIM);
        await store.defer(hold, 200, { reason: r1, notBefore: 900 });
        assert.deepEqual(await facts(), ['waiting', r1, 900, 1, 200]);
        await store.claim(900, CLAIM);
        await store.park(hold, 1000, { reason: EACCES });
        assert.deepEqual(await facts(), ['parked', EACCES, null, 2, 1000]);
        assert.equal(await store.releaseForRetry({}, 1100), 1); // `retry` releases it
        assert.deepEqual(await facts(), ['queued', null, null, 2, 1100]);
        await store.claim(1200, CLAIM);
        await store.markVerifying(hold, 1300);
        assert.deepEqual(await facts(), ['verifying', null, null, 2, 1300]);
      }));

    void it('listFiles filters by state, oldest first, with limit and offset', () =>
      withStore(make, async (store) => {
        const [a, b, , d] = await Promise.all(
          ['/a', '/b', '/c', '/d'].map((path, i) =>
            queue(store, fileFor({ path, job: `j${path}` }), 100 * (i + 1)),
          ),
        );
        for (const [f, at] of [
          [b!, 500],
          [d!, 450],
        ] as const) {
          await store.claim(at - 1, CLAIM, [f.job]);
          await store.park({ fileId: f.id, owner: OWNER }, at, { reason: EACCES });
        }
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
        for (const path of ['/a', '/b', '/c', '/d']) await queue(store, fileFor({ path }), 100);
        const first = await store.claim(200, CLAIM);
        await store.markVerifying({ fileId: first!.id, owner: OWNER }, 250);
        await store.complete({ fileId: first!.id, owner: OWNER }, 300);
        await store.claim(400, CLAIM);
        const third = await store.claim(450, CLAIM);
        await store.park({ fileId: third!.id, owner: OWNER }, 500, { reason: EACCES });
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
  p: Promise<{ file: { id: number; state: string; updatedAt: number } }>,
): Promise<unknown[]> {
  const { file: f } = await p;
  return [f.id, f.state, f.updatedAt];
}
