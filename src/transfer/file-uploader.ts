/**
 * Uploads one file to one key and never publishes it torn: the resume protocol of DESIGN.md
 * item 6. Before anything is sent, the journal is asked whether an earlier run left an upload of
 * this key open; it is then resumed (same source, unchanged), verified (S3 already accepted it),
 * or abandoned (aborted in S3: the source changed, or resume is off). Only uploads this journal
 * started are ever aborted.
 */
import { choosePartSize, MAX_SINGLE_PUT, partCount } from '../domain/part-size.js';
import { AppError, isAppError, toAppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';
import type { UploadRecord } from '../journal/journal-store.js';
import { abortScope } from './abort-scope.js';
import { sameFile, type FileStat, type OpenFile } from './file-system.js';
import {
  completeAndVerify,
  multipartResult,
  reconcileParts,
  sendParts,
  verifyCompleted,
  type ActiveUpload,
} from './multipart-upload.js';
import { singleUpload } from './single-upload.js';
import {
  INTENT_METADATA_KEY,
  type TransferDeps,
  type TransferSettings,
  type UploadRequest,
  type UploadResult,
} from './transfer-types.js';
import { UploadRun } from './upload-run.js';

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

interface Plan {
  readonly mode: 'single' | 'multipart';
  readonly partSize: number;
  readonly partCount: number;
}

/** What to do with an upload an earlier run left open. */
type Decision =
  | { kind: 'fresh' }
  | { kind: 'resume'; upload: ActiveUpload }
  | { kind: 'done'; result: UploadResult };

export class FileUploader {
  constructor(
    private readonly deps: TransferDeps,
    private readonly settings: TransferSettings,
  ) {}

  /**
   * Uploads and verifies. Rejects with an AppError: ERR_FILE_* for the file, destination errors
   * (kind 'fatal'), transient errors once the retry budget is spent, ERR_CANCELLED.
   * An upload interrupted by a fatal, transient or cancel error stays open in S3 and the journal,
   * to be resumed by the next call for the same key (unless resume is off).
   */
  async upload(req: UploadRequest, signal?: AbortSignal): Promise<UploadResult> {
    // Every part worker holds at most one abort listener at a time; twice that leaves room for a
    // request whose listener goes only when its socket closes, after its answer was taken.
    const scope = abortScope(signal, 2 * this.settings.partConcurrency + 2);
    try {
      return await this.#upload(req, scope.signal);
    } finally {
      scope.close();
    }
  }

  async #upload(req: UploadRequest, signal: AbortSignal | undefined): Promise<UploadResult> {
    const startedAt = this.deps.clock.now();
    for (let attempt = 1; ; attempt += 1) {
      const run = new UploadRun(this.deps, this.settings, req, signal);
      try {
        const result = await this.#attempt(run, startedAt, attempt);
        await this.#history(run, result, undefined);
        await run.emit(
          'upload.finished',
          'info',
          `uploaded ${req.path} to s3://${this.deps.target.bucket}/${req.key}`,
          {
            ...(req.job === undefined ? {} : { job: req.job }),
            size: result.size,
            bytesSent: result.bytesSent,
            durationMs: result.finishedAt - result.startedAt,
            etag: result.etag,
            partsSent: result.partsSent,
            partsReused: result.partsReused,
            resumed: result.resumed,
          },
        );
        return result;
      } catch (raw) {
        const err = toAppError(raw);
        if (RESTART_CODES.has(err.code) && attempt <= this.settings.maxChangedRestarts) {
          await run.emit('upload.restarted', 'warn', `${err.message}; starting it afresh`, {
            code: err.code,
            attempt,
          });
          continue;
        }
        await this.#history(run, undefined, err, startedAt, attempt);
        await run.emit('upload.failed', err.kind === 'cancelled' ? 'warn' : 'error', err.message, {
          ...(req.job === undefined ? {} : { job: req.job }),
          code: err.code,
          hint: err.hint ?? null,
        });
        throw err;
      }
    }
  }

  async #attempt(run: UploadRun, startedAt: number, attempt: number): Promise<UploadResult> {
    const st = await this.deps.fs.stat(run.req.path);
    if (!st.isFile) {
      throw new AppError('ERR_FILE_UNREADABLE', `${run.req.path} is not a regular file`, {
        hint: 'only regular files are uploaded',
      });
    }
    const plan = this.#plan(st);
    const open = await this.deps.journal.findOpenUpload(run.destination);
    const decision: Decision =
      open === undefined
        ? { kind: 'fresh' }
        : await this.#decide(run, open, st, plan, startedAt, attempt);
    if (decision.kind === 'done') return decision.result;
    if (decision.kind === 'resume')
      return this.#multipart(run, st, decision.upload, startedAt, attempt);
    if (plan.mode === 'single') return singleUpload(run, st, startedAt, attempt);
    return this.#multipart(run, st, await this.#create(run, st, plan), startedAt, attempt);
  }

  #plan(st: FileStat): Plan {
    const threshold = Math.min(this.settings.multipartThreshold, MAX_SINGLE_PUT);
    if (st.size < threshold) return { mode: 'single', partSize: st.size, partCount: 1 };
    const partSize = choosePartSize(st.size, this.settings.partSize);
    return { mode: 'multipart', partSize, partCount: partCount(st.size, partSize) };
  }

  /** Journal the intent, then CreateMultipartUpload, then journal the UploadId. */
  async #create(run: UploadRun, st: FileStat, plan: Plan): Promise<ActiveUpload> {
    const { deps } = run;
    const intent = await deps.journal.beginUpload({
      destination: run.destination,
      source: run.source(st),
      mode: 'multipart',
      partSize: plan.partSize,
      partCount: plan.partCount,
      startedAt: deps.clock.now(),
      owner: deps.owner,
    });
    await run.emit(
      'upload.started',
      'info',
      `uploading ${run.req.path} to s3://${deps.target.bucket}/${run.req.key} in ${plan.partCount} parts`,
      {
        size: st.size,
        mode: 'multipart',
        partSize: plan.partSize,
        parts: plan.partCount,
      },
    );
    let calls = 0;
    const write = {
      ...run.req.write,
      metadata: { ...run.req.write.metadata, [INTENT_METADATA_KEY]: String(intent.id) },
    };
    const uploadId = await run.retry('CreateMultipartUpload', () => {
      calls += 1;
      return deps.target.createMultipartUpload(run.req.key, write, run.signal);
    });
    await deps.journal.recordUploadId(intent.id, uploadId);
    // A retried Create may have created an upload whose answer was lost: abort such orphans now.
    if (calls > 1) await this.#abortUnjournaled(run, intent, uploadId);
    return { ...intent, uploadId, state: 'active' };
  }

  async #multipart(
    run: UploadRun,
    st: FileStat,
    upload: ActiveUpload,
    startedAt: number,
    attempt: number,
  ): Promise<UploadResult> {
    const { deps } = run;
    // Opened inside the try: a file that vanished or became unreadable after the upload was
    // created is the file's fault, so the upload is abandoned (aborted in S3 and the journal),
    // not left open for a resume that would never come.
    let file: OpenFile | undefined;
    try {
      file = await deps.fs.open(run.req.path);
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
          {
            partsOnServer: done.size,
            partsToSend: missing.length,
          },
        );
      }
      await sendParts(run, file, st, upload, missing);
      const etag = await completeAndVerify(run, st, upload);
      return multipartResult(run, st, upload, etag, startedAt, attempt);
    } catch (raw) {
      const err = toAppError(raw);
      if (err.code === 'ERR_S3_UPLOAD_GONE') {
        await this.#finish(
          upload,
          'aborted',
          'the multipart upload no longer exists on the server',
        );
        throw err;
      }
      // Keep the upload for a later resume only when the failure is not the file's fault.
      const keep =
        this.settings.resume &&
        (err.kind === 'transient' || err.kind === 'fatal' || err.kind === 'cancelled') &&
        err.code !== 'ERR_INTERNAL';
      if (!keep) await this.#abandon(run, upload, err.message);
      throw err;
    } finally {
      await file?.close();
    }
  }

  async #decide(
    run: UploadRun,
    open: UploadRecord,
    st: FileStat,
    plan: Plan,
    startedAt: number,
    attempt: number,
  ): Promise<Decision> {
    const same = open.source.path === run.req.path && sameFile(open.source, st);
    if (open.state === 'completed') {
      if (!same) {
        await this.#finish(
          open,
          'failed',
          'the file changed after its upload was completed; uploading the new content',
        );
        return { kind: 'fresh' };
      }
      // S3 accepted it but we stopped before verifying: verify now.
      run.resumed = true;
      try {
        const etag = await verifyCompleted(run, st, open);
        return { kind: 'done', result: multipartResult(run, st, open, etag, startedAt, attempt) };
      } catch (err) {
        if (!isAppError(err, 'ERR_VERIFY_FAILED')) throw err;
        await this.#finish(open, 'failed', err.message);
        return { kind: 'fresh' };
      }
    }
    const reason = !this.settings.resume
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
      await this.#abandon(run, open, reason);
      return { kind: 'fresh' };
    }
    run.resumed = true;
    if (open.uploadId !== null)
      return { kind: 'resume', upload: { ...open, uploadId: open.uploadId } };
    return this.#adoptUnjournaled(run, open);
  }

  /**
   * The journal has an intent but no UploadId: we crashed between CreateMultipartUpload and the
   * journal write. S3 lists no metadata for uploads in progress, so ours is recognised by key and
   * time. No part can have been sent (parts wait for the journaled UploadId): adopt a single
   * candidate, abort several.
   */
  async #adoptUnjournaled(run: UploadRun, open: UploadRecord): Promise<Decision> {
    const candidates = await this.#unjournaled(run, open);
    const [only] = candidates;
    if (candidates.length === 1 && only !== undefined) {
      await this.deps.journal.recordUploadId(open.id, only.uploadId);
      await run.emit(
        'upload.adopted',
        'info',
        `adopted multipart upload ${only.uploadId} that an interrupted run created`,
        { uploadId: only.uploadId },
      );
      return { kind: 'resume', upload: { ...open, uploadId: only.uploadId, state: 'active' } };
    }
    await this.#abandon(run, open, 'interrupted before its UploadId was journaled');
    return { kind: 'fresh' };
  }

  async #unjournaled(
    run: UploadRun,
    intent: UploadRecord,
    except?: string,
  ): Promise<{ uploadId: string }[]> {
    const window = this.settings.unjournaledWindowMs;
    const listed = await run.retry('ListMultipartUploads', () =>
      this.deps.target.listMultipartUploads(run.req.key, run.signal),
    );
    const mine: { uploadId: string }[] = [];
    for (const u of listed) {
      if (u.key !== run.req.key || u.uploadId === except) continue;
      if (u.initiated < intent.startedAt - window || u.initiated > intent.startedAt + window)
        continue;
      if (await this.deps.journal.knowsUploadId(u.uploadId)) continue;
      mine.push(u);
    }
    return mine;
  }

  async #abortUnjournaled(run: UploadRun, intent: UploadRecord, except?: string): Promise<void> {
    for (const u of await this.#unjournaled(run, intent, except)) {
      await run.retry('AbortMultipartUpload', () =>
        this.deps.target.abortMultipartUpload(run.req.key, u.uploadId, run.signal),
      );
    }
  }

  /** Aborts an open upload in S3 (ours only) and closes it in the journal. */
  async #abandon(run: UploadRun, upload: UploadRecord, reason: string): Promise<void> {
    if (upload.mode === 'multipart') {
      if (upload.uploadId !== null) {
        const id = upload.uploadId;
        await run.retry('AbortMultipartUpload', () =>
          this.deps.target.abortMultipartUpload(run.req.key, id, run.signal),
        );
      } else {
        await this.#abortUnjournaled(run, upload);
      }
    }
    await this.#finish(upload, 'aborted', reason);
  }

  async #finish(upload: UploadRecord, state: 'aborted' | 'failed', error: string): Promise<void> {
    await this.deps.journal.finishUpload(upload.id, {
      state,
      finishedAt: this.deps.clock.now(),
      error,
    });
  }

  async #history(
    run: UploadRun,
    result: UploadResult | undefined,
    err: AppError | undefined,
    startedAt = 0,
    attempts = 1,
  ): Promise<void> {
    const { deps, req } = run;
    const finishedAt = result?.finishedAt ?? deps.clock.now();
    const start = result?.startedAt ?? startedAt;
    const size = result?.size ?? 0;
    const seconds = Math.max(0.001, (finishedAt - start) / 1000);
    await deps.journal.addHistory({
      sourcePath: req.path,
      endpoint: deps.target.endpoint,
      bucket: deps.target.bucket,
      key: req.key,
      size,
      startedAt: start,
      finishedAt,
      avgBytesPerSec: size / seconds,
      attempts: result?.attempts ?? attempts,
      etag: result?.etag ?? null,
      checksum: req.checksum ?? result?.checksum ?? null,
      result: result !== undefined ? 'done' : err?.kind === 'cancelled' ? 'cancelled' : 'failed',
      error: err === undefined ? null : `${err.code}: ${err.message}`,
      ...(req.job === undefined ? {} : { job: req.job }),
    });
  }
}
