/**
 * What becomes of an upload an earlier run left open at a key (DESIGN.md item 6): resumed (same
 * source, unchanged), verified (S3 already accepted it), or abandoned (aborted in S3: the source
 * changed, or resume is off). Only uploads that are ours by the one rule (ownership.ts) are ever
 * aborted.
 */
import { isAppError, type AppError } from '../errors/app-error.js';
import type { UploadRecord } from '../journal/journal-store.js';
import { sameFile, type FileStat } from './file-system.js';
import { multipartResult, verifyCompleted, type ActiveUpload } from './multipart-upload.js';
import { uploadOwner } from './ownership.js';
import type { UploadPlan, UploadResult } from './transfer-types.js';
import type { UploadRun } from './upload-run.js';

/** What to do with an upload an earlier run left open. */
export type Decision =
  | { kind: 'fresh' }
  | { kind: 'resume'; upload: ActiveUpload }
  | { kind: 'done'; result: UploadResult };

export async function decide(
  run: UploadRun,
  open: UploadRecord,
  st: FileStat,
  plan: UploadPlan,
  startedAt: number,
  attempt: number,
): Promise<Decision> {
  const same = open.source.path === run.req.path && sameFile(open.source, st);
  if (open.state === 'completed') {
    if (!same) {
      await finish(
        run,
        open,
        'failed',
        'the file changed after its upload was completed; uploading the new content',
      );
      return { kind: 'fresh' };
    }
    // S3 accepted it but we stopped before verifying: verify now.
    run.resumed = true;
    try {
      const verified = await verifyCompleted(run, st, open);
      const result = multipartResult(run, st, open, verified, startedAt, attempt);
      return { kind: 'done', result };
    } catch (err) {
      if (!isAppError(err, 'ERR_VERIFY_FAILED')) throw err;
      await finish(run, open, 'failed', err.message);
      return { kind: 'fresh' };
    }
  }
  const reason = !run.settings.resume
    ? 'resume is disabled: aborting the earlier upload and starting over'
    : !same
      ? 'the file changed since the interrupted upload: aborting it and starting over'
      : open.mode === 'single' || plan.mode === 'single' || open.partSize !== plan.partSize
        ? 'single-part uploads restart from byte 0'
        : undefined;
  if (reason !== undefined) {
    await run.emit('upload.abandoned', 'warn', `${run.req.path}: ${reason}`, {
      uploadId: open.uploadId,
    });
    await abandon(run, open, reason);
    return { kind: 'fresh' };
  }
  run.resumed = true;
  if (open.uploadId !== null)
    return { kind: 'resume', upload: { ...open, uploadId: open.uploadId } };
  return adoptUnjournaled(run, open);
}

/**
 * The journal has an intent but no UploadId: we crashed between CreateMultipartUpload and the
 * journal write. No part can have been sent (parts wait for the journaled UploadId): adopt a
 * single upload the intent created, abort several.
 */
async function adoptUnjournaled(run: UploadRun, open: UploadRecord): Promise<Decision> {
  const candidates = await unjournaled(run, open);
  const [only] = candidates;
  if (candidates.length === 1 && only !== undefined) {
    await run.ledger.recordUploadId(open.id, only);
    await run.emit(
      'upload.adopted',
      'info',
      `adopted multipart upload ${only} that an interrupted run created`,
      { uploadId: only },
    );
    return { kind: 'resume', upload: { ...open, uploadId: only, state: 'active' } };
  }
  await abandon(run, open, 'interrupted before its UploadId was journaled');
  return { kind: 'fresh' };
}

/** UploadIds at our key that `intent` created but the journal never recorded. */
async function unjournaled(run: UploadRun, intent: UploadRecord): Promise<string[]> {
  const listed = await run.retry('ListMultipartUploads', () =>
    run.deps.target.listMultipartUploads(run.req.key, run.signal),
  );
  const mine: string[] = [];
  for (const u of listed) {
    const owner = await uploadOwner(u, [intent], run.ledger);
    if (owner.kind === 'intent') mine.push(u.uploadId);
  }
  return mine;
}

/** Aborts the uploads at our key that `intent` created and the journal never recorded. */
export async function abortUnjournaled(run: UploadRun, intent: UploadRecord): Promise<void> {
  for (const uploadId of await unjournaled(run, intent)) {
    await run.retry('AbortMultipartUpload', () =>
      run.deps.target.abortMultipartUpload(run.req.key, uploadId, run.signal),
    );
  }
}

/** Aborts an open upload in S3 (ours only) and closes it in the journal. */
export async function abandon(run: UploadRun, upload: UploadRecord, reason: string): Promise<void> {
  if (upload.mode === 'multipart') {
    if (upload.uploadId !== null) {
      const id = upload.uploadId;
      await run.retry('AbortMultipartUpload', () =>
        run.deps.target.abortMultipartUpload(run.req.key, id, run.signal),
      );
    } else {
      await abortUnjournaled(run, upload);
    }
  }
  await finish(run, upload, 'aborted', reason);
}

/**
 * The file vanished or became unreadable (`cause`): a multipart upload an earlier attempt at it
 * left open, kept for a resume that will not come, is aborted. A completed upload is left alone
 * (the object is whole, not torn). Best effort, one request: when the abort fails the upload stays
 * journaled as open, and `s3ferry cleanup` or the next upload to this key aborts it.
 */
export async function abandonLeftover(run: UploadRun, cause: AppError): Promise<void> {
  try {
    const open = await run.ledger.findOpenUpload(run.destination);
    if (open?.source.path !== run.req.path || open.mode !== 'multipart') return;
    if (open.state !== 'active' || open.uploadId === null) return;
    const uploadId = open.uploadId;
    await run.deps.target.abortMultipartUpload(run.req.key, uploadId, run.signal);
    await finish(run, open, 'aborted', `${cause.code}: ${cause.message}`);
    await run.emit(
      'upload.abandoned',
      'warn',
      `${cause.message}; its multipart upload was aborted`,
      { uploadId, code: cause.code },
    );
  } catch {
    // the failure that brought us here is the one to report
  }
}

export async function finish(
  run: UploadRun,
  upload: UploadRecord,
  state: 'aborted' | 'failed',
  error: string,
): Promise<void> {
  await run.ledger.finishUpload(upload.id, {
    state,
    finishedAt: run.deps.clock.now(),
    error,
  });
}
