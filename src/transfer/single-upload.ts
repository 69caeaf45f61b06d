/**
 * Files below the multipart threshold: one PutObject with Content-MD5. The file is read once into
 * a buffer, checked unchanged, sent, and verified by the PUT's answer (verify.ts): one request per
 * object. An interrupted single upload restarts from byte 0.
 */
import { md5HexToBase64 } from '../domain/etag.js';
import { AppError, isAppError } from '../errors/app-error.js';
import type { UploadRecord } from '../journal/journal-store.js';
import type { PutObjectInput } from '../object-store/object-target.js';
import { sameFile, type FileStat } from './file-system.js';
import { objectIntent, writtenFromSource } from './ownership.js';
import { INTENT_METADATA_KEY, type UploadResult } from './transfer-types.js';
import type { UploadRun } from './upload-run.js';

export async function singleUpload(
  run: UploadRun,
  st: FileStat,
  startedAt: number,
  attempts: number,
): Promise<UploadResult> {
  const { deps, req, ledger } = run;
  const record = await ledger.beginUpload({
    destination: run.destination,
    source: run.source(st),
    mode: 'single',
    partSize: st.size,
    partCount: 1,
    startedAt: deps.clock.now(),
    owner: deps.owner,
  });
  await run.emit('upload.started', 'info', `uploading ${req.path} to ${run.where}`, {
    size: st.size,
    mode: 'single',
  });
  let md5 = '';
  let answered = '';
  try {
    await run.withSlots(st.size, async () => {
      const body = deps.buffers.take(st.size);
      try {
        const file = await deps.fs.open(req.path);
        try {
          const n = await file.read(body, 0, st.size);
          const after = await file.stat();
          if (n !== st.size || !sameFile(after, st))
            throw run.changed(
              n !== st.size ? `read ${n} of ${st.size} bytes` : 'size or mtime differ',
            );
        } finally {
          await file.close();
        }
        md5 = await run.md5(body);
        await deps.limiter?.take(st.size, run.signal);
        const metadata = { ...run.write.metadata, [INTENT_METADATA_KEY]: String(record.id) };
        const input = {
          ...run.write,
          metadata,
          key: req.key,
          body,
          contentMd5: md5HexToBase64(md5),
        };
        ({ etag: answered } = await guardedPut(run, input, record, st, md5));
        await ledger.recordPart(record.id, { partNumber: 1, size: st.size, etag: answered, md5 });
        await ledger.markCompleted(record.id, answered);
      } finally {
        deps.buffers.give(body);
      }
    });
  } catch (err) {
    await ledger.finishUpload(record.id, {
      state: 'failed',
      finishedAt: deps.clock.now(),
      error: String(err),
    });
    throw err;
  }
  run.partsSent += 1;
  const { etag, by } = await deps.verifier.verify(
    { where: run.where, size: st.size, expected: md5, answered, intentId: record.id },
    run.write,
    () => run.head(),
  );
  const finishedAt = deps.clock.now();
  await ledger.finishUpload(record.id, { state: 'verified', finishedAt, etag });
  return {
    path: req.path,
    key: req.key,
    size: st.size,
    etag,
    mode: 'single',
    partCount: 1,
    partsSent: run.partsSent,
    partsReused: 0,
    bytesSent: run.bytesSent,
    resumed: false,
    attempts,
    startedAt,
    finishedAt,
    checksum: `md5:${md5}`,
    verifiedBy: by,
  };
}

/**
 * PutObject under the request's overwrite rule. Without `ifNoneMatch`, a plain PUT. With it, the
 * PUT is conditional (If-None-Match: *), and a key found taken is looked at (HeadObject): an
 * object an earlier upload of this same unchanged file wrote is not another writer's, so it is
 * taken as this upload when it holds these bytes, else replaced. A store that refuses the
 * condition (501 NotImplemented) gets a HeadObject and a plain PUT instead, from then on.
 */
async function guardedPut(
  run: UploadRun,
  input: PutObjectInput,
  record: UploadRecord,
  st: FileStat,
  md5: string,
): Promise<{ etag: string }> {
  if (run.req.ifNoneMatch !== true) return put(run, input, record);
  if (run.deps.conditionalPut) {
    try {
      return await put(run, { ...input, ifNoneMatch: true }, record);
    } catch (err) {
      const refused =
        isAppError(err, 'ERR_S3_BAD_REQUEST') && err.details.s3Code === 'NotImplemented';
      if (!refused && !isAppError(err, 'ERR_S3_PRECONDITION_FAILED')) throw err;
      if (refused) run.deps.conditionalPut = false;
    }
  }
  const head = await run.head();
  if (head === undefined) return put(run, input, record);
  if (!(await writtenFromSource(head, run.ledger, run.req.path, st))) {
    throw new AppError(
      'ERR_S3_PRECONDITION_FAILED',
      `${run.where} already exists and the overwrite policy forbids replacing it`,
      { hint: 'choose another key or overwrite policy' },
    );
  }
  if (head.size === st.size && head.etag === md5) {
    run.progress(st.size, st.size); // its bytes are there already: nothing more to send
    return { etag: head.etag };
  }
  return put(run, input, record);
}

/**
 * PutObject with the retry policy. A conditional PUT retried after an attempt whose answer was lost
 * (reset, timeout) meets the object that very attempt stored, and gets 412. That object carries
 * this upload's intent id in its metadata: it is ours, so its ETag is taken as the answer.
 */
async function put(
  run: UploadRun,
  input: PutObjectInput,
  record: UploadRecord,
): Promise<{ etag: string }> {
  const { target } = run.deps;
  const size = input.body.byteLength;
  let attempts = 0;
  return run.sendBody('PutObject', size, size, async (onWritten) => {
    attempts += 1;
    try {
      return await target.putObject({ ...input, onWritten }, run.signal);
    } catch (err) {
      if (attempts === 1 || input.ifNoneMatch !== true) throw err;
      if (!isAppError(err, 'ERR_S3_PRECONDITION_FAILED')) throw err;
      const head = await target.headObject(input.key, run.signal);
      if (head === undefined || objectIntent(head) !== record.id) throw err;
      return { etag: head.etag };
    }
  });
}
