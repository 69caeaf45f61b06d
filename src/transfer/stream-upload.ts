/**
 * Uploads a stream of unknown size (`s3ferry upload -`, standard input) in bounded memory: it is
 * read into part buffers of the configured part size, at most partBuffers of them at once, each
 * sent as soon as it is full. A stream that ends within its first part goes in one PutObject.
 * The largest stream is part size x 10,000 (stream-chunker.ts).
 *
 * A stream cannot be read again, so nothing here resumes: a failed or interrupted stream upload is
 * aborted. The journal holds its intent and UploadId until then, so that `s3ferry cleanup` finds
 * it if the process is killed.
 */
import { formatBytes } from '../domain/duration.js';
import { md5HexToBase64 } from '../domain/etag.js';
import { MAX_PARTS } from '../domain/part-size.js';
import { AppError, isAppError, toAppError } from '../errors/app-error.js';
import type { UploadRecord } from '../journal/journal-store.js';
import type { WriteAnswer } from '../object-store/object-target.js';
import { isOurObject } from './multipart-upload.js';
import { maxStreamSize, streamTooLarge, type StreamChunker } from './stream-chunker.js';
import { begin, close, verified } from './stream-journal.js';
import { INTENT_METADATA_KEY, type UploadResult } from './transfer-types.js';
import type { UploadRun } from './upload-run.js';

/**
 * How long a CreateMultipartUpload, or the abort of a failed stream upload, may take: they do not
 * listen to the run's signal, which an interrupt aborts.
 */
const ABORT_TIMEOUT_MS = 30_000;

/**
 * Uploads the stream to the run's key and verifies it. Rejects like a file upload, plus
 * ERR_FILE_TOO_LARGE past {@link maxStreamSize}.
 */
export async function streamUpload(
  run: UploadRun,
  chunker: StreamChunker,
  partSize: number,
): Promise<UploadResult> {
  const startedAt = run.deps.clock.now();
  const first = await readPart(run, chunker, partSize);
  if (first.length < partSize) {
    try {
      return await singleStream(run, first.body.subarray(0, first.length), startedAt);
    } finally {
      release(run, first.body);
    }
  }
  return multipartStream(run, chunker, first.body, partSize, startedAt);
}

/** A buffer slot, a part buffer, and the next bytes of the stream in it. */
async function readPart(
  run: UploadRun,
  chunker: StreamChunker,
  partSize: number,
): Promise<{ body: Buffer; length: number }> {
  await run.deps.bufferSlots.acquire(run.signal);
  const body = run.deps.buffers.take(partSize);
  try {
    const length = await chunker.fill(body, run.req.path);
    // a stream cut short by an interrupt must never be published as if it had ended
    run.signal?.throwIfAborted();
    return { body, length };
  } catch (err) {
    release(run, body);
    run.signal?.throwIfAborted(); // the interrupt ends the read: it, not the read, is the cause
    throw err;
  }
}

/** Gives a part buffer back with its slot. */
function release(run: UploadRun, body: Buffer): void {
  run.deps.buffers.give(body);
  run.deps.bufferSlots.release();
}

/** The stream ended within its first part: one PutObject with Content-MD5. */
async function singleStream(
  run: UploadRun,
  body: Buffer,
  startedAt: number,
): Promise<UploadResult> {
  const { deps, req } = run;
  const record = await begin(run, 'single', body.byteLength);
  try {
    const md5 = await run.md5(body);
    await deps.limiter?.take(body.byteLength, run.signal);
    const input = {
      ...run.write,
      metadata: { ...run.write.metadata, [INTENT_METADATA_KEY]: String(record.id) },
      key: req.key,
      body,
      contentMd5: md5HexToBase64(md5),
      ...(req.ifNoneMatch === true ? { ifNoneMatch: true } : {}),
    };
    const answer = await deps.slots.with(
      () =>
        run.sendBody('PutObject', body.byteLength, body.byteLength, (onWritten) =>
          deps.target.putObject({ ...input, onWritten }, run.signal),
        ),
      run.signal,
    );
    run.partsSent = 1;
    await run.ledger.markCompleted(record.id, answer.etag);
    return await verified(run, record, { size: body.byteLength, md5s: [md5], answer }, startedAt);
  } catch (err) {
    await close(run, record, 'failed', err);
    throw err;
  }
}

/** One part sent: its ETag and MD5, by part number. */
type Sent = { etag: string; md5: string }[];

/**
 * Creates the upload, then reads and sends parts until the stream ends: reading waits for a free
 * part buffer, so memory stays at partBuffers x part size; a failed part stops the reading.
 */
async function multipartStream(
  run: UploadRun,
  chunker: StreamChunker,
  firstBody: Buffer,
  partSize: number,
  startedAt: number,
): Promise<UploadResult> {
  const { req } = run;
  let record: UploadRecord | undefined;
  let uploadId: string | undefined;
  let pending: Buffer | undefined = firstBody;
  try {
    await guardKey(run);
    record = await begin(run, 'multipart', 0);
    const parts = `in parts of ${formatBytes(partSize)}, at most ${formatBytes(maxStreamSize(partSize))}`;
    await run.emit('upload.started', 'info', `uploading ${req.path} to ${run.where} ${parts}`, {
      mode: 'multipart',
      partSize,
    });
    uploadId = await create(run, record);
    run.signal?.throwIfAborted();
    const body = pending;
    pending = undefined; // sendAll owns it now
    const { sent, size } = await sendAll(run, chunker, uploadId, body, partSize);
    const answer = await complete(run, record, uploadId, sent);
    await run.ledger.markCompleted(record.id, answer.etag || null);
    const md5s = sent.map((p) => p.md5);
    return await verified(run, record, { size, md5s, answer }, startedAt);
  } catch (err) {
    if (pending !== undefined) release(run, pending);
    if (uploadId !== undefined) await abort(run, uploadId);
    // Without an UploadId the intent stays open: a Create whose answer was lost left an upload
    // that `s3ferry cleanup` and the next upload to this key find by it (ownership.ts).
    if (record !== undefined && uploadId !== undefined) await close(run, record, 'aborted', err);
    else if (record !== undefined && !isAppError(err, 'ERR_S3_PRECONDITION_FAILED'))
      await close(run, record, 'failed', err);
    throw err;
  }
}

/** Under --if-none-match, a stream in parts looks at its key first (Complete is not conditional). */
async function guardKey(run: UploadRun): Promise<void> {
  if (run.req.ifNoneMatch !== true || (await run.head()) === undefined) return;
  throw new AppError(
    'ERR_S3_PRECONDITION_FAILED',
    `${run.where} already exists and the overwrite policy forbids replacing it`,
    { hint: 'choose another key or overwrite policy' },
  );
}

/**
 * CreateMultipartUpload with the intent in the metadata, then the UploadId into the journal. An
 * interrupt does not cut a Create short (its upload would be left unknown on the server): it
 * ends the waits between attempts, and the upload created is aborted with the rest.
 */
async function create(run: UploadRun, record: UploadRecord): Promise<string> {
  const write = {
    ...run.write,
    metadata: { ...run.write.metadata, [INTENT_METADATA_KEY]: String(record.id) },
  };
  const uploadId = await run.retry('CreateMultipartUpload', () =>
    run.deps.target.createMultipartUpload(
      run.req.key,
      write,
      AbortSignal.timeout(ABORT_TIMEOUT_MS),
    ),
  );
  await run.ledger.recordUploadId(record.id, uploadId);
  return uploadId;
}

/** Sends the full `first` part and every part after it; settles every request before failing. */
async function sendAll(
  run: UploadRun,
  chunker: StreamChunker,
  uploadId: string,
  first: Buffer,
  partSize: number,
): Promise<{ sent: Sent; size: number }> {
  const sent: Sent = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let size = 0;
  let part = { number: 1, body: first, length: partSize };
  try {
    for (;;) {
      size += part.length;
      const { number, body, length } = part;
      const sending = sendPart(run, uploadId, number, body.subarray(0, length))
        .then((p) => {
          sent[number - 1] = p;
        })
        .catch((err: unknown) => {
          failure ??= err;
        })
        .finally(() => {
          release(run, body);
          inFlight.delete(sending);
        });
      inFlight.add(sending);
      if (length < partSize || failure !== undefined) break;
      const next = await readPart(run, chunker, partSize);
      if (next.length === 0 || number === MAX_PARTS) {
        release(run, next.body);
        if (next.length > 0) throw streamTooLarge(run.req.path, partSize);
        break;
      }
      part = { number: number + 1, body: next.body, length: next.length };
    }
  } finally {
    // every request settles before the upload is completed or aborted
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  }
  if (failure !== undefined) throw toAppError(failure);
  return { sent, size };
}

/** One part, holding a request slot (its buffer slot is held since it was read). */
async function sendPart(
  run: UploadRun,
  uploadId: string,
  partNumber: number,
  body: Buffer,
): Promise<{ etag: string; md5: string }> {
  const { deps, req } = run;
  const md5 = await run.md5(body);
  await deps.limiter?.take(body.byteLength, run.signal);
  const { etag } = await deps.slots.with(
    () =>
      run.sendBody('UploadPart', body.byteLength, 0, (onWritten) =>
        deps.target.uploadPart(
          { key: req.key, uploadId, partNumber, body, contentMd5: md5HexToBase64(md5), onWritten },
          run.signal,
        ),
      ),
    run.signal,
  );
  run.partsSent += 1;
  return { etag, md5 };
}

/** CompleteMultipartUpload; an answer lost to an earlier attempt that went through is ours. */
async function complete(
  run: UploadRun,
  record: UploadRecord,
  uploadId: string,
  sent: Sent,
): Promise<WriteAnswer> {
  const parts = sent.map((p, i) => ({ partNumber: i + 1, etag: p.etag }));
  let answer: WriteAnswer;
  try {
    answer = await run.retry('CompleteMultipartUpload', () =>
      run.deps.target.completeMultipartUpload(run.req.key, uploadId, parts, run.signal),
    );
  } catch (err) {
    if (!isAppError(err, 'ERR_S3_UPLOAD_GONE') || !(await isOurObject(run, record))) throw err;
    answer = { etag: '' };
  }
  return answer;
}

/** Aborts a failed stream upload (it cannot resume); best effort, cleanup finds what is left. */
async function abort(run: UploadRun, uploadId: string): Promise<void> {
  await run.deps.target
    .abortMultipartUpload(run.req.key, uploadId, AbortSignal.timeout(ABORT_TIMEOUT_MS))
    .catch(() => undefined);
}
