/**
 * One destination's transfer service, used alike by the agent, `s3ferry upload`, `s3ferry cleanup`
 * and the tests (DESIGN.md "Architecture", transfer/). It owns what every upload to the destination
 * shares: the request slots, the part-buffer slots and their buffer pool (memory stays near
 * partBuffers x part size however many files are in flight), the bandwidth limiter, the write
 * options, the retry policy, resume on or off, what verification has learned of the store
 * (verify.ts), and the one rule for what in the store is ours (ownership.ts). The MD5 worker pool
 * is the process's, lent by the composition root. The service writes no history and no file
 * state: `upload` returns the verified result or throws, and the caller records it.
 */
import mime from 'mime-types';
import { choosePartSize, MAX_SINGLE_PUT } from '../domain/part-size.js';
import { objectLockAt, type ObjectLockRule } from '../domain/retention.js';
import { AppError, toAppError } from '../errors/app-error.js';
import type {
  MultipartUploadInfo,
  ObjectTarget,
  WriteOptions,
} from '../object-store/object-target.js';
import { abortScope, type AbortScope } from './abort-scope.js';
import { BandwidthLimiter, chainThrottles } from './bandwidth-limiter.js';
import { BufferPool } from './buffer-pool.js';
import { fitWrite, noObjectLock } from './capability-fit.js';
import { uploadFile } from './file-uploader.js';
import { uploadOwner, type UploadOwner } from './ownership.js';
import { Semaphore } from './semaphore.js';
import { StreamChunker } from './stream-chunker.js';
import { streamUpload } from './stream-upload.js';
import type {
  TransferConfig,
  TransferServiceDeps,
  TransferSettings,
  UploadLedger,
  UploadPlan,
  UploadRequest,
  StreamUploadRequest,
  UploadResult,
} from './transfer-types.js';
import { UploadRun, type RunDeps } from './upload-run.js';
import { Verifier } from './verify.js';

/** How many times a file that changes during its upload is started afresh before giving up. */
const MAX_CHANGED_RESTARTS = 3;

/** An in-progress multipart upload the store lists, and whose it is by the one rule. */
export interface ListedUpload {
  readonly upload: MultipartUploadInfo;
  readonly owner: UploadOwner;
}

export class TransferService {
  readonly #deps: RunDeps;
  readonly #config: TransferConfig;
  readonly #inFlight = new Set<Promise<unknown>>();
  #state: 'new' | 'running' | 'closed' = 'new';
  /** The store was found to refuse tags: said once. */
  #tagsDropped = false;

  constructor(deps: TransferServiceDeps, config: TransferConfig) {
    choosePartSize(0, config.partSize); // refuses a part size S3 cannot take before any work
    this.#config = config;
    const where = `s3://${deps.target.bucket}`;
    this.#deps = {
      ...deps,
      slots: new Semaphore(config.concurrency),
      bufferSlots: new Semaphore(config.partBuffers),
      buffers: new BufferPool(config.partBuffers),
      limiter: chainThrottles([
        ...(config.bwlimit === undefined
          ? []
          : [new BandwidthLimiter({ clock: deps.clock, bytesPerSec: config.bwlimit })]),
        ...(deps.throttles ?? []),
      ]),
      verifier: new Verifier(
        config.verify,
        (etag) => {
          this.#warn(
            'destination.verify-head',
            `${where} answers ETags that are not MD5s of the content (e.g. "${etag}"): every object is verified with HeadObject from now on`,
            { etag },
          );
          // the probe had found MD5 ETags: ask it again rather than guess
          if (deps.capabilities?.current()?.md5Etags === true)
            void deps.capabilities
              .reprobe(`${where} answered the ETag "${etag}"`)
              .catch(() => undefined);
        },
        () => deps.capabilities?.current(),
      ),
      conditionalPut: true,
    };
  }

  /** Records a warning about the destination and tells the observer. */
  #warn(type: string, message: string, data: Record<string, unknown>): void {
    const event = {
      at: this.#deps.clock.now(),
      type,
      level: 'warn' as const,
      message,
      data: { bucket: this.#deps.target.bucket, ...data },
    };
    this.#deps.observer?.onEvent?.(event);
    void this.#deps.publish(event).catch(() => undefined);
  }

  get target(): ObjectTarget {
    return this.#deps.target;
  }

  get config(): TransferConfig {
    return this.#config;
  }

  /** Opens the service for uploads. */
  start(): void {
    if (this.#state === 'new') this.#state = 'running';
  }

  /** Refuses new uploads and waits for those in flight to settle (their callers cancel them). */
  async close(): Promise<void> {
    this.#state = 'closed';
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * How a file of `size` bytes is sent: one PUT below the multipart threshold (and never above
   * 5 GiB), else parts of the configured size, raised so no upload exceeds 10,000 parts. Throws
   * ERR_FILE_TOO_LARGE above 5 TiB.
   */
  plan(size: number): UploadPlan {
    const threshold = Math.min(this.#config.multipartThreshold, MAX_SINGLE_PUT);
    if (size < threshold) return { mode: 'single', partSize: size };
    return { mode: 'multipart', partSize: choosePartSize(size, this.#config.partSize) };
  }

  /** Uploads and verifies one file (file-uploader.ts says how, and what it rejects with). */
  async upload(req: UploadRequest, signal?: AbortSignal): Promise<UploadResult> {
    this.#checkOpen();
    const settings = this.#settings(req);
    // Every part worker holds at most one abort listener at a time; twice that leaves room for a
    // request whose listener goes only when its socket closes, after its answer was taken.
    const scope = abortScope(signal, 2 * settings.partConcurrency + 2);
    const write = this.#write(req.path, req.metadata, settings.objectLock);
    const running = uploadFile(
      () => new UploadRun(this.#deps, settings, req, write, scope.signal),
      (size) => this.plan(size),
    );
    return this.#track(running, scope);
  }

  /**
   * Uploads a stream of unknown size (standard input) to `req.key` and verifies it: parts of the
   * configured part size (it cannot grow without the size: see stream-upload.ts for the largest
   * stream), never resumed. Rejects like upload(); a failed stream upload is aborted.
   */
  async uploadStream(req: StreamUploadRequest, signal?: AbortSignal): Promise<UploadResult> {
    this.#checkOpen();
    const settings = this.#settings(req);
    const scope = abortScope(signal, 2 * settings.partConcurrency + 2);
    const run = new UploadRun(
      this.#deps,
      settings,
      { ...req, path: req.name },
      this.#write(req.key, req.metadata, settings.objectLock),
      scope.signal,
    );
    const running = streamUpload(run, new StreamChunker(req.source), this.#config.partSize).catch(
      async (raw: unknown) => {
        const err = toAppError(raw);
        await run
          .emit('upload.failed', err.kind === 'cancelled' ? 'warn' : 'error', err.message, {
            code: err.code,
            hint: err.hint ?? null,
          })
          .catch(() => undefined);
        throw err;
      },
    );
    return this.#track(running, scope);
  }

  /** Refuses uploads on a service closed or not yet started. */
  #checkOpen(): void {
    if (this.#state === 'closed') {
      throw new AppError(
        'ERR_CANCELLED',
        `the transfer service of s3://${this.#deps.target.bucket} is closed`,
        { hint: 'the destination was closed (stop or reload): the file is tried again' },
      );
    }
    if (this.#state === 'new') {
      throw new AppError('ERR_INTERNAL', 'a transfer service was used before start()', {
        hint: 'this is a bug in s3ferry: please report it',
      });
    }
  }

  /**
   * The write options of an object named `name` (its type from the extension), its retention
   * from now, as the store's probed capabilities allow them (capability-fit.ts: tags left out
   * where refused, said once; ERR_S3_NO_OBJECT_LOCK where retention cannot be kept).
   */
  #write(
    name: string,
    metadata: UploadRequest['metadata'],
    lockRule: ObjectLockRule | undefined,
  ): WriteOptions {
    const objectLock = objectLockAt(lockRule, this.#deps.clock.now());
    const write: WriteOptions = {
      ...this.#config.write,
      contentType: this.#config.contentType ?? (mime.lookup(name) || 'application/octet-stream'),
      metadata: { ...this.#config.write.metadata, ...metadata },
      ...(objectLock === undefined ? {} : { objectLock }),
    };
    const { bucket } = this.#deps.target;
    const caps = this.#deps.capabilities?.current();
    if (objectLock !== undefined && caps?.objectLock === false)
      throw noObjectLock(bucket, lockRule);
    const fitted = fitWrite(write, caps, bucket);
    if (fitted.tagging === undefined && write.tagging !== undefined && !this.#tagsDropped) {
      this.#tagsDropped = true;
      this.#warn(
        'destination.tags-dropped',
        `s3://${bucket} does not accept object tags: objects go without the configured tags`,
        { tagging: write.tagging },
      );
    }
    return fitted;
  }

  /** Awaits an upload, known to close() while it runs. */
  async #track(running: Promise<UploadResult>, scope: AbortScope): Promise<UploadResult> {
    this.#inFlight.add(running);
    try {
      return await running;
    } finally {
      this.#inFlight.delete(running);
      scope.close();
    }
  }

  #settings(req: Pick<UploadRequest, 'retryTimeout' | 'resume' | 'objectLock'>): TransferSettings {
    const { retry } = this.#config;
    const objectLock = req.objectLock ?? this.#config.objectLock;
    return {
      partConcurrency: this.#config.concurrency,
      resume: req.resume ?? this.#config.resume,
      retry:
        req.retryTimeout === undefined
          ? retry
          : { ...retry, maxElapsedMs: Math.min(retry.maxElapsedMs, req.retryTimeout) },
      maxChangedRestarts: MAX_CHANGED_RESTARTS,
      ...(objectLock === undefined ? {} : { objectLock }),
    };
  }

  /** The store's in-progress multipart uploads under `prefix`, each with its owner. */
  async listUploads(
    prefix: string,
    signal?: AbortSignal,
    ledger: UploadLedger = this.#deps.ledger,
  ): Promise<ListedUpload[]> {
    const { target } = this.#deps;
    const open = await ledger.listOpenUploads({ endpoint: target.endpoint, bucket: target.bucket });
    const listed = await target.listMultipartUploads(prefix, signal);
    const out: ListedUpload[] = [];
    for (const upload of listed)
      out.push({ upload, owner: await uploadOwner(upload, open, ledger) });
    return out;
  }

  /**
   * Aborts a listed upload that is ours and closes its journal record with `reason`. Refuses
   * (ERR_INTERNAL) another client's: nothing of theirs is ever aborted.
   */
  async abortUpload(
    listed: ListedUpload,
    reason: string,
    signal?: AbortSignal,
    ledger: UploadLedger = this.#deps.ledger,
  ): Promise<void> {
    const { upload, owner } = listed;
    if (owner.kind === 'foreign')
      throw new AppError('ERR_INTERNAL', `upload ${upload.uploadId} is not s3ferry's`, {
        hint: 'this is a bug in s3ferry: please report it',
      });
    await this.#deps.target.abortMultipartUpload(upload.key, upload.uploadId, signal);
    if (owner.kind === 'closed') return;
    await ledger.finishUpload(owner.record.id, {
      state: 'aborted',
      finishedAt: this.#deps.clock.now(),
      error: reason,
    });
  }
}
