/**
 * Conformance: uploads (intent, UploadId, parts, completion, end; open-upload queries).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PartRecord, UploadRecord } from '../../src/journal/journal-store.js';
import {
  DEST,
  intentFor,
  rejectsWithCode,
  withStore,
  type MakeJournalStore,
} from './journal-conformance-support.js';

const part = (partNumber: number, tag = 'a'): PartRecord => ({
  partNumber,
  size: 8 * 1024 * 1024,
  etag: `etag-${tag}-${partNumber}`,
  md5: `${tag}${partNumber}`.padEnd(32, '0'),
});

/** Registers the upload tests. */
export function describeUploads(make: MakeJournalStore): void {
  void describe('uploads', () => {
    void it('beginUpload records the intent exactly, with nothing else known yet', () =>
      withStore(make, async (store) => {
        // Sizes above 2^32, fractional mtimes and large inodes must round-trip unchanged.
        const source = {
          path: '/srv/rec/ü ñ/ä b.mp4',
          size: 5 * 2 ** 32 + 7,
          mtimeMs: 1_700_000_000_123.456,
          inode: 2 ** 40 + 3,
        };
        const intent = intentFor({ source });
        const rec = await store.beginUpload(intent);
        assert.ok(Number.isSafeInteger(rec.id) && rec.id > 0);
        const expected = {
          ...intent,
          id: rec.id,
          fileId: null,
          uploadId: null,
          state: 'intent',
          etag: null,
          finishedAt: null,
          error: null,
          versionId: null,
        };
        assert.deepEqual(rec, expected);
        assert.deepEqual(await store.getUpload(rec.id), expected);
        const other = await store.beginUpload(intentFor({ mode: 'single', partCount: 1 }));
        assert.notEqual(other.id, rec.id);
        assert.equal((await store.getUpload(other.id))?.mode, 'single');
        assert.equal(await store.getUpload(other.id + rec.id + 1000), undefined);
      }));

    void it('follows intent -> active -> completed -> verified, each step visible', () =>
      withStore(make, async (store) => {
        const { id } = await store.beginUpload(intentFor());
        await store.recordUploadId(id, 'upload-1');
        assert.deepEqual(await pick(store.getUpload(id)), {
          state: 'active',
          uploadId: 'upload-1',
          etag: null,
          finishedAt: null,
        });
        await store.recordPart(id, part(1));
        await store.recordPart(id, part(2));
        await store.recordPart(id, part(3));
        assert.deepEqual(await store.listParts(id), [part(1), part(2), part(3)]);
        await store.markCompleted(id, 'final-3');
        assert.deepEqual(await pick(store.getUpload(id)), {
          state: 'completed',
          uploadId: 'upload-1',
          etag: 'final-3',
          finishedAt: null,
        });
        await store.finishUpload(id, { state: 'verified', finishedAt: 1_700_000_200_000 });
        const done = await store.getUpload(id);
        assert.deepEqual(pickOf(done), {
          state: 'verified',
          uploadId: 'upload-1',
          etag: 'final-3',
          finishedAt: 1_700_000_200_000,
        });
        assert.equal(done?.error, null);
        assert.deepEqual(
          await store.listParts(id),
          [part(1), part(2), part(3)],
          'parts are kept after the end',
        );
      }));

    void it('a single upload goes from intent to completed without an UploadId', () =>
      withStore(make, async (store) => {
        const { id } = await store.beginUpload(intentFor({ mode: 'single', partCount: 1 }));
        await store.markCompleted(id, 'single-etag');
        assert.deepEqual(await pick(store.getUpload(id)), {
          state: 'completed',
          uploadId: null,
          etag: 'single-etag',
          finishedAt: null,
        });
        await store.markCompleted(id, null);
        assert.equal(
          (await store.getUpload(id))?.etag,
          'single-etag',
          'a null ETag keeps the known one',
        );
        await store.finishUpload(id, { state: 'verified', finishedAt: 5, etag: 'checked' });
        assert.deepEqual(await pick(store.getUpload(id)), {
          state: 'verified',
          uploadId: null,
          etag: 'checked',
          finishedAt: 5,
        });
      }));

    void it('recordPart keeps parts by number ascending, replaces a number, and per upload', () =>
      withStore(make, async (store) => {
        const a = await store.beginUpload(intentFor());
        const b = await store.beginUpload(intentFor());
        await store.recordUploadId(a.id, 'upload-a');
        await store.recordUploadId(b.id, 'upload-b');
        await store.recordPart(a.id, part(3));
        await store.recordPart(a.id, part(1));
        await store.recordPart(b.id, part(1, 'b'));
        await store.recordPart(a.id, part(2));
        await store.recordPart(a.id, { ...part(1, 'retried'), size: 1234 });
        assert.deepEqual(await store.listParts(a.id), [
          { ...part(1, 'retried'), size: 1234 },
          part(2),
          part(3),
        ]);
        assert.deepEqual(await store.listParts(b.id), [part(1, 'b')]);
        assert.deepEqual(await store.listParts(b.id + a.id + 1000), []);
      }));

    void it('ends failed and aborted uploads with their error', () =>
      withStore(make, async (store) => {
        const failed = await store.beginUpload(intentFor());
        const aborted = await store.beginUpload(intentFor());
        await store.recordUploadId(aborted.id, 'upload-x');
        await store.finishUpload(failed.id, {
          state: 'failed',
          finishedAt: 10,
          error: 'ERR_FILE_CHANGED: size changed',
        });
        await store.finishUpload(aborted.id, {
          state: 'aborted',
          finishedAt: 11,
          error: 'ERR_CANCELLED: stopped',
        });
        const f = await store.getUpload(failed.id);
        const x = await store.getUpload(aborted.id);
        assert.deepEqual(
          [f?.state, f?.finishedAt, f?.error],
          ['failed', 10, 'ERR_FILE_CHANGED: size changed'],
        );
        assert.deepEqual(
          [x?.state, x?.finishedAt, x?.error, x?.uploadId],
          ['aborted', 11, 'ERR_CANCELLED: stopped', 'upload-x'],
        );
      }));

    void it('never rewrites a finished upload; ending it again the same way is a no-op', () =>
      withStore(make, async (store) => {
        const { id } = await store.beginUpload(intentFor());
        await store.recordUploadId(id, 'upload-1');
        await store.markCompleted(id, 'final');
        await store.finishUpload(id, { state: 'verified', finishedAt: 100 });
        const before = await store.getUpload(id);
        await store.finishUpload(id, { state: 'verified', finishedAt: 150, etag: 'again' });
        assert.deepEqual(await store.getUpload(id), before, 'the first end stands');
        await rejectsWithCode(
          store.finishUpload(id, { state: 'aborted', finishedAt: 200, error: 'late' }),
          'ERR_JOURNAL',
        );
        await rejectsWithCode(store.markCompleted(id, 'other'), 'ERR_JOURNAL');
        await rejectsWithCode(store.recordUploadId(id, 'upload-1'), 'ERR_JOURNAL');
        assert.deepEqual(await store.getUpload(id), before);
      }));

    void it('never replaces a recorded UploadId with another', () =>
      withStore(make, async (store) => {
        const { id } = await store.beginUpload(intentFor());
        await store.recordUploadId(id, 'upload-1');
        await store.recordUploadId(id, 'upload-1'); // the same again is harmless (a retried write)
        await rejectsWithCode(store.recordUploadId(id, 'upload-2'), 'ERR_JOURNAL');
        assert.equal((await store.getUpload(id))?.uploadId, 'upload-1');
        assert.equal(await store.knowsUploadId('upload-2'), false);
      }));

    void it('rejects writes to an upload it does not know', () =>
      withStore(make, async (store) => {
        const { id } = await store.beginUpload(intentFor());
        const unknown = id + 1000;
        await rejectsWithCode(store.recordUploadId(unknown, 'u'), 'ERR_JOURNAL');
        await rejectsWithCode(store.recordPart(unknown, part(1)), 'ERR_JOURNAL');
        await rejectsWithCode(store.markCompleted(unknown, 'e'), 'ERR_JOURNAL');
        await rejectsWithCode(
          store.finishUpload(unknown, { state: 'failed', finishedAt: 1 }),
          'ERR_JOURNAL',
        );
        assert.equal(await store.knowsUploadId('u'), false);
        assert.deepEqual(await store.listParts(unknown), []);
      }));
  });
  describeOpenUploads(make);
}

function describeOpenUploads(make: MakeJournalStore): void {
  void describe('open uploads', () => {
    void it('findOpenUpload returns the newest open upload for exactly that destination', () =>
      withStore(make, async (store) => {
        const older = await store.beginUpload(intentFor());
        const newer = await store.beginUpload(intentFor());
        // Other destinations, begun later: a store that ignored any field would return one of these.
        const variants = [
          { ...DEST, key: 'recordings/cam-1/b.mp4' },
          { ...DEST, key: DEST.key.toUpperCase() },
          { ...DEST, bucket: 'media-2' },
          { ...DEST, endpoint: 'http://127.0.0.1:7480' },
        ];
        const others = await Promise.all(
          variants.map((destination) => store.beginUpload(intentFor({ destination }))),
        );
        assert.equal((await store.findOpenUpload(DEST))?.id, newer.id);
        for (const [i, destination] of variants.entries()) {
          assert.equal(
            (await store.findOpenUpload(destination))?.id,
            others[i]?.id,
            destination.key,
          );
        }
        assert.equal(
          await store.findOpenUpload({ ...DEST, key: 'recordings/none.mp4' }),
          undefined,
        );

        await store.recordUploadId(newer.id, 'upload-n');
        await store.markCompleted(newer.id, 'e');
        assert.equal((await store.findOpenUpload(DEST))?.id, newer.id, 'completed is still open');
        await store.finishUpload(newer.id, { state: 'verified', finishedAt: 1 });
        assert.equal((await store.findOpenUpload(DEST))?.id, older.id);
        await store.finishUpload(older.id, { state: 'aborted', finishedAt: 2 });
        assert.equal(await store.findOpenUpload(DEST), undefined);
      }));

    void it('findLatestUpload returns the newest upload of exactly that destination in any state', () =>
      withStore(make, async (store) => {
        assert.equal(await store.findLatestUpload(DEST), undefined);
        const first = await store.beginUpload(intentFor());
        await store.finishUpload(first.id, { state: 'verified', finishedAt: 5, etag: 'abc' });
        await store.beginUpload(intentFor({ destination: { ...DEST, key: 'other/key' } }));
        await store.beginUpload(intentFor({ destination: { ...DEST, bucket: 'elsewhere' } }));
        const latest = await store.findLatestUpload(DEST);
        assert.equal(latest?.id, first.id);
        assert.equal(latest.state, 'verified', 'finished uploads are found too');
        const second = await store.beginUpload(intentFor());
        assert.equal((await store.findLatestUpload(DEST))?.id, second.id);
      }));

    void it('listOpenUploads lists open uploads oldest first, optionally for one endpoint and bucket', () =>
      withStore(make, async (store) => {
        const at = (endpoint: string, bucket: string) =>
          store.beginUpload(intentFor({ destination: { ...DEST, endpoint, bucket } }));
        const u1 = await at('', 'b1');
        const u2 = await at('', 'b2');
        const u3 = await at('http://127.0.0.1:7480', 'b1');
        const u4 = await at('', 'b1');
        const u5 = await at('', 'b1');
        await store.finishUpload(u4.id, { state: 'failed', finishedAt: 1, error: 'x' });
        await store.markCompleted(u5.id, 'e');
        const ids = async (filter?: { endpoint: string; bucket: string }) =>
          (await store.listOpenUploads(filter)).map((u) => u.id);
        assert.deepEqual(await ids(), [u1.id, u2.id, u3.id, u5.id]);
        assert.deepEqual(await ids({ endpoint: '', bucket: 'b1' }), [u1.id, u5.id]);
        assert.deepEqual(await ids({ endpoint: 'http://127.0.0.1:7480', bucket: 'b1' }), [u3.id]);
        assert.deepEqual(await ids({ endpoint: '', bucket: 'b3' }), []);
        assert.deepEqual(
          (await store.listOpenUploads({ endpoint: '', bucket: 'b2' }))[0],
          await store.getUpload(u2.id),
        );
      }));

    void it('knowsUploadId knows every UploadId recorded, in any state, and no other', () =>
      withStore(make, async (store) => {
        const a = await store.beginUpload(intentFor());
        const b = await store.beginUpload(intentFor());
        await store.recordUploadId(a.id, 'upload-a-1');
        await store.recordUploadId(b.id, 'upload-b-1');
        await store.finishUpload(b.id, { state: 'aborted', finishedAt: 1 });
        assert.equal(await store.knowsUploadId('upload-a-1'), true);
        assert.equal(await store.knowsUploadId('upload-b-1'), true);
        assert.equal(await store.knowsUploadId('upload-a'), false);
        assert.equal(await store.knowsUploadId('UPLOAD-A-1'), false);
      }));
  });
}

type Upload = UploadRecord | undefined;

function pickOf(u: Upload): Record<string, unknown> {
  assert.ok(u !== undefined, 'upload not found');
  return { state: u.state, uploadId: u.uploadId, etag: u.etag, finishedAt: u.finishedAt };
}

async function pick(u: Promise<Upload>): Promise<Record<string, unknown>> {
  return pickOf(await u);
}
