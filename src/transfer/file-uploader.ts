/**
 * Uploads one file to one key and never publishes it torn: the resume protocol of DESIGN.md
 * item 6. Before anything is sent, the journal is asked whether an earlier run left an upload of
 * this key open (open-uploads.ts decides what becomes of it). Returns the verified result or
 * throws; what the caller records of it (history, file state) is the caller's.
 */
import { MAX_PART_SIZE, MAX_PARTS, MAX_SINGLE_PUT, partCount } from '../domain/part-size.js';
import { AppError, isAppError, toAppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';
import { sameFile, type FileStat, type OpenFile } from './file-system.js';
import {
  completeAndVerify,
  multipartResult,
  reconcileParts,
  sendParts,
  type ActiveUpload,
} from './multipart-upload.js';
import { abandon, abandonLeftover, abortUnjournaled, decide, finish } from './open-uploads.js';
import { writtenFromSource } from './ownership.js';
import { singleUpload } from './single-upload.js';
import { INTENT_METADATA_KEY, type UploadPlan, type UploadResult } from './transfer-types.js';
import type { UploadRun } from './upload-run.js';

/**
 * Failures after which the file is started afresh (a bounded number of times): the source changed,
 * or the server's copy of the upload no longer matches the journal.
 */
const RESTART_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_FILE_CHANGED',
  'ERR_S3_UPLOAD_GONE',
  'ERR_S3_INVALID_PART',
  'ERR_VERIFY_FAILED',
]);

/**
 * Uploads and verifies. Rejects with an AppError: ERR_FILE_* for the file, destination errors
 * (kind 'fatal'), transient errors once the retry budget is spent, ERR_CANCELLED; after restarts,
 * its details carry `attempts`. An upload interrupted by a fatal, transient or cancel error stays
 * open in S3 and the journal, to be resumed by the next call for the same key (unless resume is
 * off).
 */
export async function uploadFile(
  newRun: () => UploadRun,
  planFor: (size: number) => UploadPlan,
): Promise<UploadResult> {
  let startedAt: number | undefined;
  for (let attempt = 1; ; attempt += 1) {
    const run = newRun();
    const { req, deps } = run;
    startedAt ??= deps.clock.now();
    try {
      const result = await attemptUpload(run, planFor, startedAt, attempt);
      // A single part the caller records says so in its own event (transfer-types.ts).
      if (result.mode === 'single' && req.recordedByCaller === true) return result;
      await run.emit('upload.finished', 'info', `uploaded ${req.path} to ${run.where}`, {
        ...(req.job === undefined ? {} : { job: req.job }),
        size: result.size,
        bytesSent: result.bytesSent,
        durationMs: result.finishedAt - result.startedAt,
        etag: result.etag,
        ...(result.versionId === undefined ? {} : { versionId: result.versionId }),
        partsSent: result.partsSent,
        partsReused: result.partsReused,
        resumed: result.resumed,
        verifiedBy: result.verifiedBy,
      });
      return result;
    } catch (raw) {
      const err = toAppError(raw);
      if (RESTART_CODES.has(err.code) && attempt <= run.settings.maxChangedRestarts) {
        await run.emit('upload.restarted', 'warn', `${err.message}; starting it afresh`, {
          code: err.code,
          attempt,
        });
        continue;
      }
      if (isAppError(err, 'ERR_FILE_NOT_FOUND', 'ERR_FILE_UNREADABLE'))
        await abandonLeftover(run, err);
      // The caller's hold lapsed: the file is another's now, and so is what is said of it.
      if (err.code === 'ERR_LEASE_LOST') throw err;
      await run.emit('upload.failed', err.kind === 'cancelled' ? 'warn' : 'error', err.message, {
        ...(req.job === undefined ? {} : { job: req.job }),
        code: err.code,
        hint: err.hint ?? null,
      });
      throw withOutcome(err, run, attempt);
    }
  }
}

/**
 * The same error, with what the upload got done in its details: the attempts (for the history),
 * the bytes and parts this call sent, and for a multipart upload kept for a later run, how many
 * of its parts the server holds (`partsOnServer` of `partCount`: what an interrupted CLI says).
 */
function withOutcome(err: AppError, run: UploadRun, attempts: number): AppError {
  return new AppError(err.code, err.message, {
    kind: err.kind,
    cause: err,
    ...(err.hint === undefined ? {} : { hint: err.hint }),
    details: {
      ...err.details,
      ...(attempts === 1 ? {} : { attempts }),
      bytesSent: run.bytesSent,
      partsSent: run.partsSent,
      ...(run.kept === undefined ? {} : run.kept),
    },
  });
}

async function attemptUpload(
  run: UploadRun,
  planFor: (size: number) => UploadPlan,
  startedAt: number,
  attempt: number,
): Promise<UploadResult> {
  const { req, deps } = run;
  // The caller's stat serves the first attempt; a restart (the file changed) looks again.
  const st = attempt === 1 && req.stat !== undefined ? req.stat : await deps.fs.stat(req.path);
  if (!st.isFile) {
    throw new AppError('ERR_FILE_UNREADABLE', `${req.path} is not a regular file`, {
      hint: 'only regular files are uploaded',
    });
  }
  const plan = checkPlan(run, req.plan ?? planFor(st.size), st.size);
  if (req.ifNoneMatch === true && plan.mode === 'multipart') await guardKey(run, st);
  const open = await run.ledger.findOpenUpload(run.destination);
  const decision =
    open === undefined
      ? ({ kind: 'fresh' } as const)
      : await decide(run, open, st, plan, startedAt, attempt);
  if (decision.kind === 'done') return decision.result;
  if (decision.kind === 'resume') return multipart(run, st, decision.upload, startedAt, attempt);
  if (plan.mode === 'single') return singleUpload(run, st, startedAt, attempt);
  return multipart(run, st, await create(run, st, plan), startedAt, attempt);
}

/** The plan, checked to fit the file as it is now (a plan made for an earlier version may not). */
function checkPlan(run: UploadRun, plan: UploadPlan, size: number): UploadPlan {
  const fits =
    plan.mode === 'single'
      ? size <= MAX_SINGLE_PUT
      : plan.partSize > 0 &&
        plan.partSize <= MAX_PART_SIZE &&
        partCount(size, plan.partSize) <= MAX_PARTS;
  if (!fits)
    throw run.changed(
      `${size} bytes do not fit its plan (${plan.mode}, parts of ${plan.partSize})`,
    );
  return plan;
}

/**
 * CompleteMultipartUpload is not conditional here: under `ifNoneMatch` a multipart upload first
 * looks at the key, and goes on only when it is free or holds an object an earlier upload of this
 * same, unchanged file wrote.
 */
async function guardKey(run: UploadRun, st: FileStat): Promise<void> {
  const head = await run.head();
  if (head === undefined || (await writtenFromSource(head, run.ledger, run.req.path, st))) return;
  throw new AppError(
    'ERR_S3_PRECONDITION_FAILED',
    `${run.where} already exists and the overwrite policy forbids replacing it`,
    { hint: 'choose another key or overwrite policy' },
  );
}

/** Journal the intent, then CreateMultipartUpload, then journal the UploadId. */
async function create(run: UploadRun, st: FileStat, plan: UploadPlan): Promise<ActiveUpload> {
  const { deps } = run;
  const parts = partCount(st.size, plan.partSize);
  const intent = await run.ledger.beginUpload({
    destination: run.destination,
    source: run.source(st),
    mode: 'multipart',
    partSize: plan.partSize,
    partCount: parts,
    startedAt: deps.clock.now(),
    owner: deps.owner,
  });
  await run.emit(
    'upload.started',
    'info',
    `uploading ${run.req.path} to ${run.where} in ${parts} parts`,
    { size: st.size, mode: 'multipart', partSize: plan.partSize, parts },
  );
  let calls = 0;
  const write = {
    ...run.write,
    metadata: { ...run.write.metadata, [INTENT_METADATA_KEY]: String(intent.id) },
  };
  const send = (w: typeof write): Promise<string> =>
    run.retry('CreateMultipartUpload', () => {
      calls += 1;
      return deps.target.createMultipartUpload(run.req.key, w, run.signal);
    });
  let uploadId: string;
  try {
    uploadId = await send(write);
  } catch (err) {
    // refused for something the store turns out to lack (tags): sent again without it
    const refit = await run.refit(err, write);
    if (refit === undefined) throw err;
    uploadId = await send(refit);
  }
  await run.ledger.recordUploadId(intent.id, uploadId);
  // A retried Create may have created an upload whose answer was lost: abort such orphans now.
  if (calls > 1) await abortUnjournaled(run, intent);
  return { ...intent, uploadId, state: 'active' };
}

async function multipart(
  run: UploadRun,
  st: FileStat,
  upload: ActiveUpload,
  startedAt: number,
  attempt: number,
): Promise<UploadResult> {
  // Opened inside the try: a file that vanished or became unreadable after the upload was
  // created is the file's fault, so the upload is abandoned (aborted in S3 and the journal),
  // not left open for a resume that would never come.
  let file: OpenFile | undefined;
  try {
    file = await run.deps.fs.open(run.req.path);
    if (!sameFile(await file.stat(), st)) throw run.changed('replaced before reading');
    const done = run.resumed ? await reconcileParts(run, file, st, upload) : new Set<number>();
    run.partsReused = done.size;
    const missing = Array.from({ length: upload.partCount }, (_, i) => i + 1).filter(
      (n) => !done.has(n),
    );
    if (run.resumed) {
      await run.emit(
        'upload.resumed',
        'info',
        `resuming ${run.req.path}: ${done.size} of ${upload.partCount} parts already on the server`,
        { partsOnServer: done.size, partsToSend: missing.length },
      );
    }
    await sendParts(run, file, st, upload, missing);
    const verified = await completeAndVerify(run, st, upload);
    return multipartResult(run, st, upload, verified, startedAt, attempt);
  } catch (raw) {
    const err = toAppError(raw);
    if (err.code === 'ERR_S3_UPLOAD_GONE') {
      await finish(run, upload, 'aborted', 'the multipart upload no longer exists on the server');
      throw err;
    }
    // Keep the upload for a later resume only when the failure is not the file's fault.
    const keep =
      run.settings.resume &&
      (err.kind === 'transient' || err.kind === 'fatal' || err.kind === 'cancelled') &&
      err.code !== 'ERR_INTERNAL';
    if (!keep) await abandon(run, upload, err.message);
    else
      run.kept = { partsOnServer: await journaledParts(run, upload), partCount: upload.partCount };
    throw err;
  } finally {
    await file?.close();
  }
}

/** The parts of `upload` the journal holds (each accepted by the server), counted as best it can. */
async function journaledParts(run: UploadRun, upload: ActiveUpload): Promise<number> {
  try {
    const parts = await run.ledger.listParts(upload.id);
    return parts.filter((p) => p.partNumber <= upload.partCount).length;
  } catch {
    return run.partsReused + run.partsSent; // the journal failed: what this run knows
  }
}
