/**
 * Conformance: the named file transitions, driven by the table of domain/file-state.ts (every
 * legal move applies with its event and history row, every illegal one is refused and changes
 * nothing), the hold (a lapsed one refuses every transition and every ledger write), retry racing
 * claims, the plan of a file version, the pause switches, and the ctime rule for parked files.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALL_FILE_STATES,
  HELD_STATES,
  HELD_TRANSITIONS,
  canTransition,
  isHeld,
  targetState,
  type FileState,
  type Hold,
  type HeldTransitionName,
} from '../../src/domain/file-state.js';
import {
  heldLedger,
  type FinalOptions,
  type JournalStore,
  type Transitioned,
} from '../../src/journal/journal-store.js';
import {
  CLAIM,
  OWNER,
  eventFor,
  fileFor,
  historyFor,
  intentFor,
  reach,
  rejectsWithCode,
  withStore,
  type MakeJournalStore,
} from './journal-conformance-support.js';

const REASON = { code: 'ERR_FILE_UNREADABLE', message: 'EACCES', hint: 'chmod it' };
const FINAL: ReadonlySet<HeldTransitionName> = new Set(['complete', 'skip', 'park', 'cancel']);
/** The states in which no agent holds a file. */
const NOT_HELD: readonly FileState[] = ALL_FILE_STATES.filter((s) => !isHeld(s));

/** Runs the held transition `name` with the inputs it needs, an event, and a history row. */
export function apply(
  store: JournalStore,
  name: HeldTransitionName,
  hold: Hold,
  now: number,
  extra: FinalOptions = {},
): Promise<Transitioned> {
  const input = { reason: REASON, ...extra };
  switch (name) {
    case 'markVerifying':
      return store.markVerifying(hold, now, extra);
    case 'complete':
      return store.complete(hold, now, extra);
    case 'skip':
      return store.skip(hold, now, input);
    case 'park':
      return store.park(hold, now, input);
    case 'defer':
      return store.defer(hold, now, { ...input, notBefore: now + 500 });
    case 'release':
      return store.release(hold, now, input);
    case 'resettle':
      return store.resettle(hold, now, input);
    case 'cancel':
      return store.cancel(hold, now, input);
  }
}

/** Every held ledger write, with the given hold. */
function ledgerWrites(store: JournalStore, uploadId: number, hold: Hold) {
  return {
    beginUpload: () => store.beginUpload(intentFor(), hold),
    recordUploadId: () => store.recordUploadId(uploadId, 'u-1', hold),
    recordPart: () =>
      store.recordPart(uploadId, { partNumber: 1, size: 1, etag: 'e', md5: 'a'.repeat(32) }, hold),
    markCompleted: () => store.markCompleted(uploadId, 'etag', hold),
    finishUpload: () =>
      store.finishUpload(uploadId, { state: 'verified', finishedAt: 9, etag: 'etag' }, hold),
  };
}

/** Registers the transition tests. */
export function describeTransitions(make: MakeJournalStore): void {
  void describe('file transitions (table-driven from domain/file-state.ts)', () => {
    for (const name of HELD_TRANSITIONS) {
      for (const from of HELD_STATES) {
        const legal = canTransition(name, from);
        void it(`${name} from ${from}: ${legal ? `-> ${targetState(name, from) ?? ''}` : 'ERR_ILLEGAL_TRANSITION'}`, () =>
          withStore(make, async (store) => {
            const { file, hold } = await reach(store, from, 100);
            const event = eventFor({ type: `file.${name}`, path: file.path });
            const history = FINAL.has(name) ? historyFor({ sourcePath: file.path }) : undefined;
            const extra = { event, ...(history === undefined ? {} : { history }) };
            if (!legal) {
              await rejectsWithCode(apply(store, name, hold, 200, extra), 'ERR_ILLEGAL_TRANSITION');
              assert.deepEqual(await store.getFile(file.id), file, 'nothing changed');
              assert.equal(await store.countEvents({ type: `file.${name}` }), 0);
              return;
            }
            const done = await apply(store, name, hold, 200, extra);
            const to = targetState(name, from);
            assert.equal(done.file.state, to);
            assert.deepEqual(await store.getFile(file.id), done.file);
            assert.equal(done.file.updatedAt, 200);
            const keepsHold = to === 'verifying' && name === 'markVerifying';
            assert.equal(done.file.owner, keepsHold ? OWNER : null, 'the hold ends, or stays');
            assert.deepEqual(done.event, { ...event, id: done.event?.id });
            assert.deepEqual((await store.listEvents({ limit: 1 }))[0], done.event);
            if (history !== undefined) {
              assert.deepEqual(done.history, { ...history, id: done.history?.id });
              assert.equal((await store.listHistory({ limit: 5 })).length, 1);
            }
            if (name !== 'markVerifying' && name !== 'complete')
              assert.deepEqual(done.file.reason, REASON);
          }));
      }
      void it(`${name} from a state no agent holds: ERR_LEASE_LOST, nothing changed`, () =>
        withStore(make, async (store) => {
          for (const [i, from] of NOT_HELD.entries()) {
            const { file, hold } = await reach(store, from, 1000 * (i + 1));
            await rejectsWithCode(apply(store, name, hold, 99_000), 'ERR_LEASE_LOST');
            assert.deepEqual(await store.getFile(file.id), file, from);
          }
        }));
    }

    void it('a transition of a file the journal does not know rejects with ERR_JOURNAL', () =>
      withStore(make, async (store) => {
        await rejectsWithCode(
          store.complete({ fileId: 987_654, owner: OWNER }, 100),
          'ERR_JOURNAL',
        );
      }));
  });
  describeLapsedHold(make);
  describeRetry(make);
  describePlans(make);
}

const A = { owner: 'agent-a', leaseMs: 100 };
const B = { owner: 'agent-b', leaseMs: 100_000 };

function describeLapsedHold(make: MakeJournalStore): void {
  void describe('a lapsed hold (another agent claimed after the lease expired)', () => {
    void it('rejects every held transition with ERR_LEASE_LOST, naming the file', () =>
      withStore(make, async (store) => {
        const { file: f } = await store.enqueue(fileFor(), 100);
        await store.claim(200, A);
        await store.claim(400, B); // A's lease ended at 300
        const lapsed = { fileId: f.id, owner: A.owner };
        const before = await store.getFile(f.id);
        for (const name of HELD_TRANSITIONS) {
          await assert.rejects(apply(store, name, lapsed, 500, { event: eventFor() }), (err) => {
            assert.equal((err as { code?: string }).code, 'ERR_LEASE_LOST', name);
            assert.match((err as Error).message, /a\.mp4: another agent took this file over/);
            return true;
          });
        }
        assert.deepEqual(await store.getFile(f.id), before, 'nothing changed');
        assert.equal(await store.countEvents(), 0, 'no event recorded');
        assert.equal(
          (await store.markVerifying({ fileId: f.id, owner: B.owner }, 600)).file.owner,
          B.owner,
        );
      }));

    void it('rejects every held ledger write with ERR_LEASE_LOST; the holder writes', () =>
      withStore(make, async (store) => {
        const { file: f } = await store.enqueue(fileFor(), 100);
        await store.claim(200, A);
        const a = { fileId: f.id, owner: A.owner };
        const upload = await heldLedger(store, a).beginUpload(intentFor());
        assert.equal(upload.fileId, f.id, 'heldLedger records the file of the upload');
        await store.claim(400, B);
        for (const [what, write] of Object.entries(ledgerWrites(store, upload.id, a)))
          await assert.rejects(write(), (err) => {
            assert.equal((err as { code?: string }).code, 'ERR_LEASE_LOST', what);
            return true;
          });
        const held = heldLedger(store, a);
        await rejectsWithCode(held.recordUploadId(upload.id, 'u-1'), 'ERR_LEASE_LOST');
        assert.deepEqual(await store.getUpload(upload.id), upload, 'the upload is untouched');
        assert.deepEqual(await store.listParts(upload.id), []);
        const b = { fileId: f.id, owner: B.owner };
        for (const write of Object.values(ledgerWrites(store, upload.id, b))) await write();
        assert.equal((await store.getUpload(upload.id))?.state, 'verified');
        await rejectsWithCode(
          store.beginUpload(intentFor(), { fileId: f.id + 999, owner: 'x' }),
          'ERR_JOURNAL',
        );
      }));
  });
}

function describeRetry(make: MakeJournalStore): void {
  void describe('releaseForRetry', () => {
    void it('releases parked and waiting files, by id or job, and nothing else', () =>
      withStore(make, async (store) => {
        const p = await reach(store, 'parked', 100, { path: '/p', job: 'j1' });
        const w = await reach(store, 'waiting', 200, { path: '/w', job: 'j2' });
        const u = await reach(store, 'uploading', 300, { path: '/u', job: 'j1' });
        const d = await reach(store, 'done', 400, { path: '/d', job: 'j1' });
        assert.equal(await store.releaseForRetry({ fileIds: [] }, 500), 0);
        assert.equal(await store.releaseForRetry({ job: 'j2', fileIds: [p.file.id] }, 500), 0);
        assert.equal(await store.releaseForRetry({ fileIds: [p.file.id, u.file.id] }, 500), 1);
        const released = await store.getFile(p.file.id);
        assert.deepEqual(
          [released?.state, released?.reason, released?.updatedAt],
          ['queued', null, 500],
        );
        assert.equal(await store.releaseForRetry({ job: 'j2' }, 600), 1);
        assert.equal(await store.releaseForRetry({}, 700), 0);
        assert.deepEqual(await store.getFile(u.file.id), u.file, 'a held file is never touched');
        assert.deepEqual(await store.getFile(d.file.id), d.file);
        assert.equal((await store.getFile(w.file.id))?.state, 'queued');
      }));

    void it('a retry racing a claim never puts a held file back to queued', () =>
      withStore(make, async (store) => {
        for (let round = 0; round < 25; round++) {
          // A waiting file that is due: both the claim and the retry may take it.
          const w = await reach(store, 'waiting', 10 * round, { path: `/race/${round}` });
          const due = 10 * round + 2_000_000;
          const [claimed] = await Promise.all([
            store.claim(due, CLAIM, [w.file.job]),
            store.releaseForRetry({ fileIds: [w.file.id] }, due),
          ]);
          const after = await store.getFile(w.file.id);
          // Either the claim took it (and the retry left the held file alone), or the claim
          // skipped the row the retry had locked (PostgreSQL's SKIP LOCKED) and it is queued.
          const expected = claimed === undefined ? ['queued', null] : ['uploading', OWNER];
          if (claimed !== undefined) assert.equal(claimed.id, w.file.id);
          assert.deepEqual([after?.state, after?.owner], expected, `round ${round}`);
        }
      }));
  });
}

function describePlans(make: MakeJournalStore): void {
  const plan = {
    key: 'k/1',
    mode: 'multipart',
    partSize: 8,
    checksum: null,
    decidedAt: 5,
  } as const;
  void describe('the plan of a file version', () => {
    void it('the first plan wins; retries and takeovers get it back; a new version clears it', () =>
      withStore(make, async (store) => {
        const u = await reach(store, 'uploading', 100, { path: '/f', job: 'j' });
        assert.deepEqual(await store.savePlan(u.hold, plan, 200), plan);
        const other = { ...plan, key: 'k/2', decidedAt: 9 };
        assert.deepEqual(await store.savePlan(u.hold, other, 300), plan, 'the first one is kept');
        assert.deepEqual((await store.getFile(u.file.id))?.plan, plan);
        // Given back and claimed again (a restart): the plan is still there.
        await store.release(u.hold, 400, { reason: REASON });
        const again = await store.claim(500, CLAIM, ['j']);
        assert.deepEqual(again?.plan, plan);
        await rejectsWithCode(
          store.savePlan({ ...u.hold, owner: 'x' }, other, 600),
          'ERR_LEASE_LOST',
        );
        // The same version queued again (settled) keeps it; a changed one (new size) clears it.
        await store.resettle(u.hold, 700, { reason: REASON });
        const same = await store.enqueue(fileFor({ path: '/f', job: 'j' }), 800);
        assert.deepEqual([same.file.state, same.file.plan], ['queued', plan]);
        const changed = await store.enqueue(fileFor({ path: '/f', job: 'j', size: 7 }), 900);
        assert.deepEqual([changed.file.state, changed.file.plan], ['queued', null]);
      }));
  });
}
