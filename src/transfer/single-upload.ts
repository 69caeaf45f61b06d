/**
 * Files below the multipart threshold: one PutObject with Content-MD5. The file is read once into
 * a pooled buffer, checked unchanged, sent, and verified. An interrupted single upload restarts
 * from byte 0.
 */
import { md5HexToBase64 } from '../domain/etag.js';
import { isAppError } from '../errors/app-error.js';
import type { PutObjectInput } from '../object-store/object-target.js';
import { sameFile, type FileStat } from './file-system.js';
import { INTENT_METADATA_KEY, type UploadResult } from './transfer-types.js';
import type { UploadRun } from './upload-run.js';
import { verifyObject } from './verify.js';

export async function singleUpload(
  run: UploadRun,
  st: FileStat,
  startedAt: number,
  attempts: number,
): Promise<UploadResult> {
  const { deps, req } = run;
  const record = await deps.journal.beginUpload({
    destination: run.destination,
    source: run.source(st),
    mode: 'single',
    partSize: st.size,
    partCount: 1,
    startedAt: deps.clock.now(),
    owner: deps.owner,
  });
  await run.emit(
    'upload.started',
    'info',
    `uploading ${req.path} to s3://${deps.target.bucket}/${req.key}`,
    { size: st.size, mode: 'single' },
  );
  let md5 = '';
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
        const metadata = { ...req.write.metadata, [INTENT_METADATA_KEY]: String(record.id) };
        const { etag } = await putWithRetry(
          run,
          {
            ...req.write,
            metadata,
            key: req.key,
            body,
            contentMd5: md5HexToBase64(md5),
            ifNoneMatch: run.settings.ifNoneMatch,
          },
          record.id,
        );
        await deps.journal.recordPart(record.id, { partNumber: 1, size: st.size, etag, md5 });
        await deps.journal.markCompleted(record.id, etag);
      } finally {
        deps.buffers.give(body);
      }
    });
  } catch (err) {
    await deps.journal.finishUpload(record.id, {
      state: 'failed',
      finishedAt: deps.clock.now(),
      error: String(err),
    });
    throw err;
  }
  run.partsSent += 1;
  run.progress(st.size, st.size);
  const etag = await run.retry('HeadObject', () =>
    verifyObject(
      deps.target,
      req.key,
      { size: st.size, etag: md5, intentId: record.id },
      req.write,
      run.signal,
    ),
  );
  const finishedAt = deps.clock.now();
  await deps.journal.finishUpload(record.id, { state: 'verified', finishedAt, etag });
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
  };
}

/**
 * PutObject with the retry policy. A conditional PUT (If-None-Match: *) retried after an attempt
 * whose answer was lost (reset, timeout) meets the object that very attempt stored, and gets 412.
 * That object carries this upload's intent id in its metadata: it is ours, not another writer's,
 * so it is taken (verification follows) instead of reported as "exists".
 */
async function putWithRetry(
  run: UploadRun,
  input: PutObjectInput,
  intentId: number,
): Promise<{ etag: string }> {
  const { target } = run.deps;
  let attempts = 0;
  return run.retry('PutObject', async () => {
    attempts += 1;
    try {
      return await target.putObject(input, run.signal);
    } catch (err) {
      if (attempts === 1 || input.ifNoneMatch !== true) throw err;
      if (!isAppError(err, 'ERR_S3_PRECONDITION_FAILED')) throw err;
      const head = await target.headObject(input.key, run.signal);
      if (head?.metadata[INTENT_METADATA_KEY] !== String(intentId)) throw err;
      return { etag: head.etag };
    }
  });
}
