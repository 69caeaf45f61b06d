/**
 * Files below the multipart threshold: one PutObject with Content-MD5. The file is read once into
 * a buffer, checked unchanged, sent, and verified by the PUT's answer (verify.ts): one request per
 * object. An interrupted single upload restarts from byte 0.
 *
 * Nothing is journaled before the PUT: the object carries the token of its source version
 * (ownership.ts sourceToken), by which a retry, a restart or another agent recognises it as this
 * file's, and its ETag says whether it holds these bytes. Once verified, the upload is recorded in
 * one write (UploadLedger.recordUpload), or handed to the caller, which records it with the file's
 * own outcome in one journal transaction (UploadRequest.recordedByCaller).
 */
import { md5HexToBase64 } from '../domain/etag.js';
import { AppError, isAppError } from '../errors/app-error.js';
import type { UploadIntent, VerifiedUpload } from '../journal/journal-store.js';
import type { ObjectHead, PutObjectInput, WriteAnswer } from '../object-store/object-target.js';
import { sameFile, type FileStat } from './file-system.js';
import { objectSource, sourceToken, writtenFromSource } from './ownership.js';
import { SOURCE_METADATA_KEY, type UploadResult } from './transfer-types.js';
import type { UploadRun } from './upload-run.js';

export async function singleUpload(
  run: UploadRun,
  st: FileStat,
  startedAt: number,
  attempts: number,
): Promise<UploadResult> {
  const { deps, req } = run;
  const began = deps.clock.now();
  if (req.recordedByCaller !== true)
    await run.emit('upload.started', 'info', `uploading ${req.path} to ${run.where}`, {
      size: st.size,
      mode: 'single',
    });
  const token = sourceToken(run.source(st));
  const { md5, answer } = await readAndPut(run, st, token);
  run.partsSent += 1;
  const verified = await deps.verifier.verify(
    { where: run.where, size: st.size, expected: md5, answered: answer.etag, source: token },
    run.write,
    () => run.head(),
  );
  const versionId = answer.versionId ?? verified.versionId;
  const record: VerifiedUpload = {
    intent: singleIntent(run, st, began),
    part: { partNumber: 1, size: st.size, etag: answer.etag || verified.etag, md5 },
    etag: verified.etag,
    finishedAt: deps.clock.now(),
    ...(versionId === undefined ? {} : { versionId }),
  };
  if (req.recordedByCaller !== true) await run.ledger.recordUpload(record);
  return singleResult(run, record, { startedAt, attempts, by: verified.by });
}

/** The result of a single-part upload recorded as `record`. */
function singleResult(
  run: UploadRun,
  record: VerifiedUpload,
  r: { startedAt: number; attempts: number; by: UploadResult['verifiedBy'] },
): UploadResult {
  return {
    path: run.req.path,
    key: run.req.key,
    size: record.part.size,
    etag: record.etag,
    mode: 'single',
    partCount: 1,
    partsSent: run.partsSent,
    partsReused: 0,
    bytesSent: run.bytesSent,
    resumed: false,
    attempts: r.attempts,
    startedAt: r.startedAt,
    finishedAt: record.finishedAt,
    checksum: `md5:${record.part.md5}`,
    verifiedBy: r.by,
    record,
    ...(record.versionId === undefined ? {} : { versionId: record.versionId }),
  };
}

/**
 * Reads the file into a pooled buffer, checks it unchanged and PUTs it with its source token.
 * Resolves the body's MD5 and the store's answer (or the object found holding these bytes).
 */
async function readAndPut(
  run: UploadRun,
  st: FileStat,
  token: string,
): Promise<{ md5: string; answer: WriteAnswer }> {
  const { deps, req } = run;
  return run.withSlots(st.size, async () => {
    const body = deps.buffers.take(st.size);
    try {
      await readWhole(run, st, body);
      const md5 = await run.md5(body);
      const earlier = req.lookFirst === true ? await sentBefore(run, st, token, md5) : undefined;
      if (earlier !== undefined) return { md5, answer: earlier };
      await deps.limiter?.take(st.size, run.signal);
      const metadata = { ...run.write.metadata, [SOURCE_METADATA_KEY]: token };
      const input = { ...run.write, metadata, key: req.key, body, contentMd5: md5HexToBase64(md5) };
      return { md5, answer: await guardedPut(run, input, token, st, md5) };
    } finally {
      deps.buffers.give(body);
    }
  });
}

/**
 * The ETag (and version) of the object at the key when an earlier holder of the file sent it from
 * this same source version with these bytes (its token, size and MD5 ETag): nothing is sent again.
 */
async function sentBefore(
  run: UploadRun,
  st: FileStat,
  token: string,
  md5: string,
): Promise<WriteAnswer | undefined> {
  const head = await run.head();
  const ours = head !== undefined && objectSource(head) === token && head.size === st.size;
  return ours && head.etag === md5 ? found(head) : undefined;
}

/** An object found at the key, taken as the upload's answer: its ETag and version. */
function found(head: ObjectHead): WriteAnswer {
  return head.versionId === undefined
    ? { etag: head.etag }
    : { etag: head.etag, versionId: head.versionId };
}

/** The journal intent of a single-part upload begun at `began`. */
function singleIntent(run: UploadRun, st: FileStat, began: number): UploadIntent {
  return {
    destination: run.destination,
    source: run.source(st),
    mode: 'single',
    partSize: st.size,
    partCount: 1,
    startedAt: began,
    owner: run.deps.owner,
  };
}

/** Reads the whole file into `body` and checks it is still the file `st` describes. */
async function readWhole(run: UploadRun, st: FileStat, body: Buffer): Promise<void> {
  const file = await run.deps.fs.open(run.req.path);
  try {
    const n = await file.read(body, 0, st.size);
    const after = await file.stat();
    if (n !== st.size || !sameFile(after, st))
      throw run.changed(n !== st.size ? `read ${n} of ${st.size} bytes` : 'size or mtime differ');
  } finally {
    await file.close();
  }
}

/**
 * PutObject under the request's overwrite rule. Without `ifNoneMatch`, a plain PUT. With it, the
 * PUT is conditional (If-None-Match: *) where the store keeps the condition (its probed
 * capabilities, domain/capabilities.ts), and a key found taken is looked at (HeadObject): an
 * object an earlier upload of this same unchanged file wrote is not another writer's, so it is
 * taken as this upload when it holds these bytes, else replaced. Where the store does not keep
 * the condition (Swift's s3api refuses it; Ceph RGW ignores it on a versioned bucket, where it
 * would store a second version over another writer's object), the key is looked at first and the
 * PUT is plain. A store that refuses a write it was found to accept is probed again
 * (UploadRun.refit), and the write sent again without what it lacks.
 */
async function guardedPut(
  run: UploadRun,
  input: PutObjectInput,
  token: string,
  st: FileStat,
  md5: string,
): Promise<WriteAnswer> {
  let plain = input;
  if (run.req.ifNoneMatch !== true) return putFitting(run, plain, token);
  if (run.conditionalPut) {
    try {
      return await putFitting(run, { ...input, ifNoneMatch: true }, token);
    } catch (err) {
      if (!(err instanceof ConditionDropped) && !isAppError(err, 'ERR_S3_PRECONDITION_FAILED'))
        throw err;
      if (err instanceof ConditionDropped) plain = err.write;
    }
  }
  const head = await run.head();
  if (head === undefined) return putFitting(run, plain, token);
  if (!(await writtenFromSource(head, run.ledger, run.req.path, st))) {
    throw new AppError(
      'ERR_S3_PRECONDITION_FAILED',
      `${run.where} already exists and the overwrite policy forbids replacing it`,
      { hint: 'choose another key or overwrite policy' },
    );
  }
  if (head.size === st.size && head.etag === md5) {
    run.progress(st.size, st.size); // its bytes are there already: nothing more to send
    return found(head);
  }
  return putFitting(run, plain, token);
}

/** A conditional PUT the store refused, whose condition it turned out not to keep. */
class ConditionDropped extends Error {
  constructor(readonly write: PutObjectInput) {
    super('the store does not keep If-None-Match');
  }
}

/**
 * {@link put}, sent once more without what the store turns out to lack when it refuses it
 * (UploadRun.refit); a dropped condition is the caller's (ConditionDropped): it looks first.
 */
async function putFitting(
  run: UploadRun,
  input: PutObjectInput,
  token: string,
): Promise<WriteAnswer> {
  try {
    return await put(run, input, token);
  } catch (err) {
    const refit = await run.refit(err, input);
    if (refit === undefined) throw err;
    if (input.ifNoneMatch === true && refit.ifNoneMatch !== true)
      throw new ConditionDropped({ ...refit, ifNoneMatch: false });
    return put(run, refit, token);
  }
}

/**
 * PutObject with the retry policy, each attempt right after `beforePublish`. A conditional PUT
 * retried after an attempt whose answer was lost (reset, timeout) meets the object that very
 * attempt stored, and gets 412. That object carries this file version's source token: it is ours
 * (these bytes), so its ETag is taken as the answer, and verified as any answer is.
 */
async function put(run: UploadRun, input: PutObjectInput, token: string): Promise<WriteAnswer> {
  const { target } = run.deps;
  const size = input.body.byteLength;
  let attempts = 0;
  return run.sendBody('PutObject', size, size, async (onWritten) => {
    attempts += 1;
    run.req.beforePublish?.();
    try {
      return await target.putObject({ ...input, onWritten }, run.signal);
    } catch (err) {
      if (attempts === 1 || input.ifNoneMatch !== true) throw err;
      if (!isAppError(err, 'ERR_S3_PRECONDITION_FAILED')) throw err;
      const head = await target.headObject(input.key, run.signal);
      if (head === undefined || objectSource(head) !== token) throw err;
      return found(head);
    }
  });
}
