/**
 * Conformance: what the per-file pipeline asks of the journal to stay within three writes per
 * small file (docs/pipeline.md): the plan of a file version given with enqueue, a verified
 * single-part upload recorded at once (recordUpload) or with the file's transition (its ledger
 * record in the same transaction as 'done' or 'verifying'), and uploading -> done.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HOLD_EXPIRED_REASON,
  type FilePlan,
  type VerifiedUpload,
} from '../../src/journal/journal-store.js';
import {
  CLAIM,
  DEST,
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

const PLAN: FilePlan = {
  key: 'in/20260101-uuid-a.mp4',
  mode: 'single',
  partSize: 1000,
  checksum: null,
  decidedAt: 4000,
};

/** A verified single-part upload of `fileFor()`'s file. */
function verifiedFor(over: Partial<VerifiedUpload['intent']> = {}): VerifiedUpload {
  const md5 = 'c'.repeat(32);
  return {
    intent: intentFor({ mode: 'single', partSize: 1000, partCount: 1, ...over }),
    part: { partNumber: 1, size: 1000, etag: md5, md5 },
    etag: md5,
    finishedAt: 1_700_000_200_000,
  };
}

/** Registers the pipeline tests. */
export function describePipeline(make: MakeJournalStore): void {
  void describe('the pipeline’s writes', () => {
    void it('enqueue keeps the plan given with a new file, and the first plan of a version', () =>
      withStore(make, async (store) => {
        const { file } = await store.enqueue(fileFor({ plan: PLAN }), 100);
        assert.deepEqual(file.plan, PLAN);
        // The same version queued again (it settled again) keeps its first plan.
        const hold = { fileId: file.id, owner: OWNER };
        await store.claim(101, CLAIM);
        await store.resettle(hold, 102, { reason: { code: 'changed', message: 'm', hint: null } });
        const later = { ...PLAN, key: 'in/other', decidedAt: 9000 };
        const again = await store.enqueue(fileFor({ plan: later }), 103);
        assert.equal(again.queued, true);
        assert.deepEqual(again.file.plan, PLAN, 'the first plan of the version wins');
        // A new version gets the plan given with it.
        const changed = await store.enqueue(fileFor({ size: 2000, plan: later }), 104);
        assert.deepEqual(changed.file.plan, later);
        // A new version without one has none (it is planned when claimed).
        const bare = await store.enqueue(fileFor({ size: 3000 }), 105);
        assert.equal(bare.file.plan, null);
        // A version queued without a plan and queued again with one takes it.
        await store.claim(106, CLAIM);
        await store.resettle(hold, 107, { reason: { code: 'changed', message: 'm', hint: null } });
        const planned = await store.enqueue(fileFor({ size: 3000, plan: later }), 108);
        assert.deepEqual(planned.file.plan, later);
      }));

    void it('recordUpload records a verified single-part upload in one write', () =>
      withStore(make, async (store) => {
        const upload = verifiedFor();
        const rec = await store.recordUpload(upload);
        assert.equal(rec.state, 'verified');
        assert.equal(rec.etag, upload.etag);
        assert.equal(rec.finishedAt, upload.finishedAt);
        assert.equal(rec.mode, 'single');
        assert.deepEqual(await store.listParts(rec.id), [upload.part]);
        assert.deepEqual(await store.findLatestUpload(DEST), rec);
        assert.equal(await store.findOpenUpload(DEST), undefined, 'nothing open');
      }));

    void it('recordUpload under a lapsed hold rejects with ERR_LEASE_LOST and records nothing', () =>
      withStore(make, async (store) => {
        const { hold } = await reach(store, 'waiting', 100);
        await rejectsWithCode(store.recordUpload(verifiedFor(), hold), 'ERR_LEASE_LOST');
        assert.equal(await store.findLatestUpload(DEST), undefined);
      }));

    void it('complete from uploading records the upload, the history row and the event with it', () =>
      withStore(make, async (store) => {
        const { file, hold } = await reach(store, 'uploading', 100);
        const upload = verifiedFor({ source: { ...intentFor().source, path: file.path } });
        const history = historyFor({ sourcePath: file.path });
        const event = eventFor({ type: 'file.done', path: file.path });
        const done = await store.complete(hold, 200, { upload, history, event });
        assert.equal(done.file.state, 'done');
        assert.equal(done.file.owner, null);
        const rec = await store.findLatestUpload(DEST);
        assert.equal(rec?.state, 'verified');
        assert.equal(rec.fileId, file.id, 'the upload names its file (the hold’s)');
        assert.deepEqual(await store.listParts(rec.id), [upload.part]);
        assert.equal((await store.listHistory({ limit: 5 })).length, 1);
        assert.deepEqual((await store.listEvents({ limit: 1 }))[0], done.event);
      }));

    void it('markVerifying records the upload with it; a refused move records nothing', () =>
      withStore(make, async (store) => {
        const { file, hold } = await reach(store, 'uploading', 100);
        const upload = verifiedFor();
        await rejectsWithCode(
          store.markVerifying({ ...hold, owner: 'someone-else' }, 150, { upload }),
          'ERR_LEASE_LOST',
        );
        assert.equal(await store.findLatestUpload(DEST), undefined, 'refused: no record');
        const moved = await store.markVerifying(hold, 200, { upload });
        assert.equal(moved.file.state, 'verifying');
        assert.equal((await store.findLatestUpload(DEST))?.fileId, file.id);
      }));

    void it('a claim of a file taken over from an expired holder says so; other claims clear it', () =>
      withStore(make, async (store) => {
        const { file } = await reach(store, 'uploading', 100); // held by OWNER, lease 1,000,000
        const other = { owner: 'host-b:2:b', leaseMs: 1000 };
        const taken = await store.claim(2_000_000, other, [file.job]);
        assert.equal(taken?.id, file.id);
        assert.deepEqual(taken.reason, HOLD_EXPIRED_REASON, 'its holder may have sent it');
        assert.deepEqual((await store.getFile(file.id))?.reason, HOLD_EXPIRED_REASON);
        const { file: fresh } = await reach(store, 'queued', 3_000_000);
        const claimed = await store.claim(3_000_001, CLAIM, [fresh.job]);
        assert.equal(claimed?.reason, null, 'a queued file claimed has no reason');
      }));
  });
}
