/**
 * Multipart uploads: send the parts the server lacks, with bounded concurrency and memory, then
 * Complete, then verify (verify.ts: by Complete's ETag, or with HeadObject where the store answers
 * none, as Ceph RGW does). Every accepted part is journaled before it counts, so a crash at any
 * point leaves a journal from which only the missing parts are sent again.
 */
import { md5HexToBase64 } from '../domain/etag.js';
import { partRange } from '../domain/part-size.js';
import { AppError, isAppError, toAppError } from '../errors/app-error.js';
import type { PartRecord, UploadRecord } from '../journal/journal-store.js';
import type { WriteAnswer } from '../object-store/object-target.js';
import { sameFile, type FileStat, type OpenFile } from './file-system.js';
import { objectIntent } from './ownership.js';
import type { UploadResult } from './transfer-types.js';
import type { UploadRun } from './upload-run.js';
import { expectedEtag, type Verification } from './verify.js';

/** An active multipart upload (UploadId known). */
export type ActiveUpload = UploadRecord & { readonly uploadId: string };

/** The size of part `partNumber`, bytes. */
function partBytes(upload: UploadRecord, partNumber: number, st: FileStat): number {
  const { start, end } = partRange(partNumber, upload.partSize, st.size);
  return end - start;
}

/** Reads part `n` into a pooled buffer, checks the file is unchanged, returns its MD5; calls `use`. */
async function withPart<T>(
  run: UploadRun,
  file: OpenFile,
  st: FileStat,
  upload: UploadRecord,
  partNumber: number,
  use: (body: Buffer, md5: string) => Promise<T>,
): Promise<T> {
  const { start, end } = partRange(partNumber, upload.partSize, st.size);
  const body = run.deps.buffers.take(end - start);
  try {
    const n = await file.read(body, start, end - start);
    if (n !== end - start)
      throw run.changed(`part ${partNumber}: read ${n} of ${end - start} bytes`);
    if (!sameFile(await file.stat(), st)) throw run.changed('size or mtime differ');
    return await use(body, await run.md5(body));
  } finally {
    run.deps.buffers.give(body);
  }
}

/** Sends the given parts, at most `partConcurrency` at once and never more than the shared slots. */
export async function sendParts(
  run: UploadRun,
  file: OpenFile,
  st: FileStat,
  upload: ActiveUpload,
  parts: number[],
): Promise<void> {
  const { deps } = run;
  const queue = [...parts];
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (failure === undefined && queue.length > 0) {
      const partNumber = queue.shift();
      if (partNumber === undefined) break;
      try {
        await run.withSlots(partBytes(upload, partNumber, st), () =>
          withPart(run, file, st, upload, partNumber, async (body, md5) => {
            await deps.limiter?.take(body.byteLength, run.signal);
            const { etag } = await run.sendBody(
              'UploadPart',
              body.byteLength,
              st.size,
              (onWritten) =>
                deps.target.uploadPart(
                  {
                    key: run.req.key,
                    uploadId: upload.uploadId,
                    partNumber,
                    body,
                    contentMd5: md5HexToBase64(md5),
                    onWritten,
                  },
                  run.signal,
                ),
            );
            await run.ledger.recordPart(upload.id, {
              partNumber,
              size: body.byteLength,
              etag,
              md5,
            });
            run.partsSent += 1;
          }),
        );
      } catch (err) {
        failure ??= err;
      }
    }
  };
  // Let every in-flight part settle before reporting the failure: an abort issued while parts
  // are still uploading can strand them.
  await Promise.allSettled(
    Array.from({ length: Math.min(run.settings.partConcurrency, queue.length) }, worker),
  );
  if (failure !== undefined) throw toAppError(failure);
}

/**
 * Matches the server's parts with the journal's. Returns the part numbers that need not be sent.
 * A part the server has but the journal lacks (accepted just before a crash) is adopted when the
 * local bytes hash to its ETag. When the upload no longer exists because our own Complete went
 * through before the interruption (the object at our key carries our intent id), every journaled
 * part counts as done: Complete then meets the same situation and verification follows, and no
 * part is sent again. Rejects ERR_S3_UPLOAD_GONE when the upload is gone otherwise.
 */
export async function reconcileParts(
  run: UploadRun,
  file: OpenFile,
  st: FileStat,
  upload: ActiveUpload,
): Promise<Set<number>> {
  const { deps } = run;
  const journaled = new Map((await run.ledger.listParts(upload.id)).map((p) => [p.partNumber, p]));
  let remote;
  try {
    remote = await run.retry('ListParts', () =>
      deps.target.listParts(run.req.key, upload.uploadId, run.signal),
    );
  } catch (err) {
    if (!isAppError(err, 'ERR_S3_UPLOAD_GONE') || !(await isOurObject(run, upload))) throw err;
    return new Set(journaled.keys());
  }
  const done = new Set<number>();
  for (const part of remote) {
    if (part.partNumber > upload.partCount) continue;
    const { start, end } = partRange(part.partNumber, upload.partSize, st.size);
    if (part.size !== end - start) continue;
    const mine = journaled.get(part.partNumber);
    if (mine !== undefined && mine.etag === part.etag && mine.size === part.size) {
      done.add(part.partNumber);
      continue;
    }
    const adopted = await run.withSlots(end - start, () =>
      withPart(run, file, st, upload, part.partNumber, (_body, md5) =>
        Promise.resolve(md5 === part.etag ? md5 : undefined),
      ),
    );
    if (adopted !== undefined) {
      await run.ledger.recordPart(upload.id, {
        partNumber: part.partNumber,
        size: part.size,
        etag: part.etag,
        md5: adopted,
      });
      done.add(part.partNumber);
    }
  }
  return done;
}

/** The journal's parts 1..N, checked complete and adding up to the file's size. */
async function completeParts(
  run: UploadRun,
  upload: UploadRecord,
  size: number,
): Promise<PartRecord[]> {
  const parts = (await run.ledger.listParts(upload.id)).filter(
    (p) => p.partNumber <= upload.partCount,
  );
  const total = parts.reduce((sum, p) => sum + p.size, 0);
  if (parts.length !== upload.partCount || total !== size) {
    // Never Complete an upload whose parts do not add up: that would publish a truncated object.
    throw new AppError(
      'ERR_INTERNAL',
      `parts of ${run.req.path} do not add up: ${parts.length}/${upload.partCount} parts, ${total}/${size} bytes`,
      {
        hint: 'this is a bug in s3ferry: please report it; the upload was not completed',
      },
    );
  }
  return parts;
}

/**
 * Complete (tolerating a lost answer to an earlier Complete), then verify by Complete's ETag, or
 * with HeadObject where it gave none (Ceph RGW answers an empty ETag) or was lost.
 */
export async function completeAndVerify(
  run: UploadRun,
  st: FileStat,
  upload: ActiveUpload,
): Promise<Verification> {
  const { deps, req } = run;
  const parts = await completeParts(run, upload, st.size);
  const after = await deps.fs.stat(req.path);
  if (!sameFile(after, st)) throw run.changed('replaced or modified before Complete');
  let answer: WriteAnswer | undefined;
  try {
    answer = await run.retry('CompleteMultipartUpload', () => {
      req.beforePublish?.();
      return deps.target.completeMultipartUpload(
        req.key,
        upload.uploadId,
        parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
        run.signal,
      );
    });
  } catch (err) {
    // The upload is gone: maybe our own earlier Complete went through and its answer was lost.
    if (!isAppError(err, 'ERR_S3_UPLOAD_GONE') || !(await isOurObject(run, upload))) throw err;
  }
  await run.ledger.markCompleted(upload.id, answer?.etag || null);
  return verifyCompleted(run, st, upload, parts, answer);
}

/** True when the object at our key was written by this journal intent. */
export async function isOurObject(run: UploadRun, upload: UploadRecord): Promise<boolean> {
  const head = await run.head();
  return head !== undefined && objectIntent(head) === upload.id;
}

/**
 * Verifies a completed upload against the journal's parts and records the outcome. `answer` is
 * Complete's when this run sent it; without it (found completed after a restart) HeadObject
 * decides. The version id is the answer's, else the HeadObject's. Once verified (never on another
 * writer's object), the upload's retention and legal hold are set on that version (the key's
 * current one where the store gives none): Ceph RGW does not keep those of
 * CreateMultipartUpload's headers; the upload is recorded verified only once they hold.
 */
export async function verifyCompleted(
  run: UploadRun,
  st: FileStat,
  upload: UploadRecord,
  parts?: readonly PartRecord[],
  answer?: WriteAnswer,
): Promise<Verification> {
  const { deps } = run;
  const list = parts ?? (await run.ledger.listParts(upload.id));
  const verified = await deps.verifier.verify(
    {
      where: run.where,
      size: st.size,
      expected: expectedEtag(upload.mode, list),
      answered: answer?.etag,
      intentId: upload.id,
    },
    run.write,
    () => run.head(),
  );
  const versionId = answer?.versionId ?? verified.versionId;
  const version = versionId === undefined ? {} : { versionId };
  await run.applyObjectLock(versionId);
  await run.ledger.finishUpload(upload.id, {
    state: 'verified',
    finishedAt: deps.clock.now(),
    etag: verified.etag,
    ...version,
  });
  return { ...verified, ...version };
}

/** The result record of a finished multipart upload. */
export function multipartResult(
  run: UploadRun,
  st: FileStat,
  upload: UploadRecord,
  verified: Verification,
  startedAt: number,
  attempts: number,
): UploadResult {
  return {
    path: run.req.path,
    key: run.req.key,
    size: st.size,
    etag: verified.etag,
    mode: upload.mode,
    partCount: upload.partCount,
    partsSent: run.partsSent,
    partsReused: run.partsReused,
    bytesSent: run.bytesSent,
    resumed: run.resumed,
    attempts,
    startedAt,
    finishedAt: run.deps.clock.now(),
    checksum: upload.mode === 'single' ? `md5:${verified.etag}` : `etag:${verified.etag}`,
    verifiedBy: verified.by,
    ...(verified.versionId === undefined ? {} : { versionId: verified.versionId }),
  };
}
