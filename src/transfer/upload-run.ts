/** The state of one file's upload while it runs: its dependencies, counters and helpers. */
import { createHash } from 'node:crypto';
import { objectLockAt } from '../domain/retention.js';
import { AppError, isAppError } from '../errors/app-error.js';
import type { Destination, EventLevel, SourceIdentity } from '../journal/journal-store.js';
import type { ObjectHead, WriteOptions } from '../object-store/object-target.js';
import type { Throttle } from './bandwidth-limiter.js';
import type { BufferPool } from './buffer-pool.js';
import { fitWrite, type FittableWrite } from './capability-fit.js';
import type { FileStat } from './file-system.js';
import { withRetry } from './retry.js';
import type { Semaphore } from './semaphore.js';
import type {
  TransferServiceDeps,
  TransferSettings,
  UploadLedger,
  UploadRequest,
} from './transfer-types.js';
import type { Verifier } from './verify.js';

/** What a service lends each of its uploads. */
export interface RunDeps extends TransferServiceDeps {
  /** Bounds requests in flight over all files. */
  readonly slots: Semaphore;
  /**
   * Bounds the requests that hold a pooled part buffer (bodies of at least buffers.minPooled
   * bytes), and so buffer memory, apart from `slots`: many small files can then be in flight
   * while only a few big parts are in memory.
   */
  readonly bufferSlots: Semaphore;
  readonly buffers: BufferPool;
  /** The service's own limit (config.bwlimit) and the ones lent to it (deps.throttles), in turn. */
  readonly limiter: Throttle | undefined;
  readonly verifier: Verifier;
  /**
   * Without a capability probe (deps.capabilities): the store refused a conditional PUT (501), so
   * the key is checked with HeadObject instead.
   */
  conditionalPut: boolean;
}

export class UploadRun {
  partsSent = 0;
  partsReused = 0;
  bytesSent = 0;
  resumed = false;
  /**
   * Set when a multipart upload is interrupted and kept for a later run: how many of its parts
   * the server holds (those of earlier runs and this one's), and how many it has in all.
   */
  kept: { partsOnServer: number; partCount: number } | undefined;
  /** The journal of this upload: the request's own, else the service's. */
  readonly ledger: UploadLedger;
  /** This upload made the store be probed again already (once per upload is enough). */
  #reprobed = false;

  constructor(
    readonly deps: RunDeps,
    readonly settings: TransferSettings,
    readonly req: UploadRequest,
    /** The object's write options (the service's with this request's metadata and content type). */
    readonly write: WriteOptions,
    readonly signal: AbortSignal | undefined,
  ) {
    this.ledger = req.ledger ?? deps.ledger;
  }

  get destination(): Destination {
    return {
      endpoint: this.deps.target.endpoint,
      bucket: this.deps.target.bucket,
      key: this.req.key,
    };
  }

  /** `s3://bucket/key`, for messages. */
  get where(): string {
    return `s3://${this.deps.target.bucket}/${this.req.key}`;
  }

  source(st: FileStat): SourceIdentity {
    return { path: this.req.path, size: st.size, mtimeMs: st.mtimeMs, inode: st.inode };
  }

  /** Records an event and tells the observers. */
  async emit(
    type: string,
    level: EventLevel,
    message: string,
    data?: Record<string, unknown>,
  ): Promise<void> {
    const event = {
      at: this.deps.clock.now(),
      type,
      level,
      message,
      path: this.req.path,
      key: this.req.key,
      ...(data === undefined ? {} : { data }),
    };
    this.deps.observer?.onEvent?.(event);
    this.req.observer?.onEvent?.(event);
    await this.deps.publish(event);
  }

  /** One S3 request with the retry policy; each retry is an event. */
  retry<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(
      operation,
      fn,
      this.settings.retry,
      {
        clock: this.deps.clock,
        random: this.deps.random,
        onRetry: ({ attempt, delayMs, error }) => {
          void this.emit(
            'upload.retry',
            'warn',
            `${operation} failed (${error.message}); retry ${attempt} in ${delayMs} ms`,
            {
              operation,
              attempt,
              delayMs,
              code: error.code,
            },
          ).catch(() => undefined);
        },
      },
      this.signal,
    );
  }

  /** True when a PUT's `If-None-Match: *` keeps a taken key (the probe's answer, else S3's rule). */
  get conditionalPut(): boolean {
    return this.deps.capabilities?.current()?.conditionalPut ?? this.deps.conditionalPut;
  }

  /**
   * The store refused `sent` (400 or 501): when it lacks something the write asks for, the write
   * without it, to be sent again; undefined when the refusal stands. The answer the write was
   * sent under is not guessed at: where a newer probe already says what the store lacks, it is
   * followed; else the store is probed again (once per upload). Without a probe, only a refused
   * condition is dropped. Throws ERR_S3_NO_OBJECT_LOCK when the bucket has lost its Object Lock.
   */
  async refit<T extends FittableWrite>(err: unknown, sent: T): Promise<T | undefined> {
    if (!isAppError(err, 'ERR_S3_BAD_REQUEST')) return undefined;
    const source = this.deps.capabilities;
    const { bucket } = this.deps.target;
    if (source === undefined) {
      if (sent.ifNoneMatch !== true || err.details.s3Code !== 'NotImplemented') return undefined;
      this.deps.conditionalPut = false;
      return { ...sent, ifNoneMatch: false };
    }
    const known = fitWrite(sent, source.current(), bucket);
    if (known !== sent || this.#reprobed || !asksProbed(sent))
      return known === sent ? undefined : known;
    this.#reprobed = true;
    const fitted = fitWrite(sent, await source.reprobe(`${this.where}: ${err.message}`), bucket);
    return fitted === sent ? undefined : fitted;
  }

  /**
   * Sets the upload's retention and legal hold on the object it completed (`versionId`, else the
   * key's current version): stores may not keep them from CreateMultipartUpload's headers
   * (object-store/s3/s3-object-lock.ts). Nothing when the upload asks for neither.
   */
  async applyObjectLock(versionId: string | undefined): Promise<void> {
    const lock = objectLockAt(this.settings.objectLock, this.deps.clock.now());
    if (lock === undefined) return;
    await this.retry('PutObjectRetention', () =>
      this.deps.target.setObjectLock(this.req.key, versionId, lock, this.signal),
    );
  }

  /** HeadObject of this upload's key, with the retry policy. */
  head(): Promise<ObjectHead | undefined> {
    return this.retry('HeadObject', () => this.deps.target.headObject(this.req.key, this.signal));
  }

  /**
   * Runs `fn` holding a request slot, and first a buffer slot when the body of `bodyBytes` takes a
   * pooled buffer (always in this order: no two requests can wait on each other).
   */
  withSlots<T>(bodyBytes: number, fn: () => Promise<T>): Promise<T> {
    const { slots, bufferSlots, buffers } = this.deps;
    if (bodyBytes < buffers.minPooled) return slots.with(fn, this.signal);
    return bufferSlots.with(() => slots.with(fn, this.signal), this.signal);
  }

  /** Hex MD5 of a body, through the injected hasher when there is one. */
  md5(data: Uint8Array): Promise<string> {
    return this.deps.hasher?.md5Hex(data) ?? Promise.resolve(md5Hex(data));
  }

  /**
   * Tells the observers of `bytes` more of the file handed to the store; negative: bytes a failed
   * request had reported, taken back.
   */
  progress(bytes: number, totalBytes: number): void {
    if (bytes === 0) return;
    const p = { path: this.req.path, key: this.req.key, bytes, totalBytes };
    this.deps.observer?.onProgress?.(p);
    this.req.observer?.onProgress?.(p);
  }

  /**
   * Sends one body of `bodyBytes` with the retry policy. Its bytes are reported as the socket
   * takes them (where the target can tell), taken back when an attempt fails, and the rest
   * reported once the store has accepted it; then they count in `bytesSent`.
   */
  async sendBody<T>(
    operation: string,
    bodyBytes: number,
    totalBytes: number,
    send: (onWritten: (bytes: number) => void) => Promise<T>,
  ): Promise<T> {
    let reported = 0;
    const result = await this.retry(operation, async () => {
      let live = true; // a late report of a finished attempt is dropped
      const onWritten = (n: number): void => {
        if (!live) return;
        reported += n;
        this.progress(n, totalBytes);
      };
      try {
        return await send(onWritten);
      } catch (err) {
        this.progress(-reported, totalBytes);
        reported = 0;
        throw err;
      } finally {
        live = false;
      }
    });
    this.progress(bodyBytes - reported, totalBytes);
    this.bytesSent += bodyBytes;
    return result;
  }

  /** The error for a source that changed under us. */
  changed(what: string): AppError {
    return new AppError(
      'ERR_FILE_CHANGED',
      `${this.req.path} changed during its upload (${what}); nothing was published`,
      {
        hint: 'the file is still being written: s3ferry starts it afresh once it is stable',
      },
    );
  }
}

/** True when a write asks for something the capability probe answers for (tags, condition, lock). */
function asksProbed(write: FittableWrite): boolean {
  return (
    write.tagging !== undefined || write.ifNoneMatch === true || write.objectLock !== undefined
  );
}

/** Hex MD5 of a buffer. */
export function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}
