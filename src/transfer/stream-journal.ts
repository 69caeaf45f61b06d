/**
 * The journal records and the result of a stream upload (stream-upload.ts): its intent (a source
 * with no size, mtime or inode, never resumed), how it ended, and its verification.
 */
import { multipartEtag } from '../domain/etag.js';
import { toAppError } from '../errors/app-error.js';
import type { UploadRecord } from '../journal/journal-store.js';
import type { WriteAnswer } from '../object-store/object-target.js';
import type { UploadResult } from './transfer-types.js';
import type { UploadRun } from './upload-run.js';

/** Journals the intent: the source is a stream (no size, mtime or inode), never resumed. */
export function begin(
  run: UploadRun,
  mode: 'single' | 'multipart',
  size: number,
): Promise<UploadRecord> {
  return run.ledger.beginUpload({
    destination: run.destination,
    source: { path: run.req.path, size, mtimeMs: 0, inode: 0 },
    mode,
    partSize: size,
    // unknown until the stream ends; the record is never resumed, so nothing relies on it
    partCount: mode === 'single' ? 1 : 0,
    startedAt: run.deps.clock.now(),
    owner: run.deps.owner,
  });
}

/** Closes the journal's record of a failed stream upload (best effort: the failure is reported). */
export async function close(
  run: UploadRun,
  record: UploadRecord,
  state: 'failed' | 'aborted',
  err: unknown,
): Promise<void> {
  await run.ledger
    .finishUpload(record.id, {
      state,
      finishedAt: run.deps.clock.now(),
      error: toAppError(err).message,
    })
    .catch(() => undefined);
}

/** Verifies the object by the answer's ETag (HeadObject where it cannot) and closes the record. */
export async function verified(
  run: UploadRun,
  record: UploadRecord,
  what: { size: number; md5s: readonly string[]; answer: WriteAnswer },
  startedAt: number,
): Promise<UploadResult> {
  const { deps, req } = run;
  const multipart = record.mode === 'multipart';
  const expected = multipart ? multipartEtag(what.md5s) : (what.md5s[0] ?? '');
  const answered = what.answer.etag;
  const verification = await deps.verifier.verify(
    { where: run.where, size: what.size, expected, answered, intentId: record.id },
    run.write,
    () => run.head(),
  );
  const { etag, by } = verification;
  const versionId = what.answer.versionId ?? verification.versionId;
  const version = versionId === undefined ? {} : { versionId };
  // retention and legal hold as multipart-upload.ts verifyCompleted sets them
  if (multipart) await run.applyObjectLock(versionId);
  const finishedAt = deps.clock.now();
  await run.ledger.finishUpload(record.id, { state: 'verified', finishedAt, etag, ...version });
  await run.emit('upload.finished', 'info', `uploaded ${req.path} to ${run.where}`, {
    size: what.size,
    bytesSent: run.bytesSent,
    etag,
    partsSent: run.partsSent,
    verifiedBy: by,
  });
  return {
    path: req.path,
    key: req.key,
    size: what.size,
    etag,
    mode: record.mode,
    partCount: what.md5s.length,
    partsSent: run.partsSent,
    partsReused: 0,
    bytesSent: run.bytesSent,
    resumed: false,
    attempts: 1,
    startedAt,
    finishedAt,
    checksum: multipart ? `etag:${etag}` : `md5:${what.md5s[0] ?? ''}`,
    verifiedBy: by,
    ...version,
  };
}
