/** Settings, dependencies and results of the transfer engine. */
import type { BackoffPolicy } from '../domain/backoff.js';
import type { JournalStore, NewEvent, UploadMode } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { ObjectTarget, WriteOptions } from '../object-store/object-target.js';
import type { BandwidthLimiter } from './bandwidth-limiter.js';
import type { BufferPool } from './buffer-pool.js';
import type { FileSystem } from './file-system.js';
import type { RetryPolicy } from './retry.js';
import type { Semaphore } from './semaphore.js';

/** Object metadata key that ties an object (and its upload) to its journal intent. */
export const INTENT_METADATA_KEY = 's3ferry-intent';

export interface TransferSettings {
  /** Preferred part size, bytes (raised for huge files so no upload exceeds 10,000 parts). */
  readonly partSize: number;
  /** Files of at least this size go multipart; smaller ones in one PutObject. */
  readonly multipartThreshold: number;
  /** Parts of one file in flight at once. */
  readonly partConcurrency: number;
  /** Resume interrupted uploads (true) or abort them and start over (false). */
  readonly resume: boolean;
  readonly retry: RetryPolicy;
  /** How many times a file that changes during its upload is started afresh before giving up. */
  readonly maxChangedRestarts: number;
  /**
   * An upload on our key that S3 lists but the journal never recorded is ours when it was
   * initiated within this window around our recorded intent, ms.
   */
  readonly unjournaledWindowMs: number;
  /** If-None-Match: * on single PUTs (overwrite policy `never`). */
  readonly ifNoneMatch: boolean;
}

export const DEFAULT_BACKOFF_POLICY: BackoffPolicy = { baseMs: 250, capMs: 30_000 };

/** MD5 of request bodies (their Content-MD5 and the journal's part MD5). */
export interface Md5Hasher {
  /** Hex MD5 of `data`, which must stay unchanged until the promise settles. Never rejects. */
  md5Hex(data: Uint8Array): Promise<string>;
}

/** What the engine reports while it works (progress bars, logs, the dashboard). */
export interface TransferObserver {
  onEvent?(event: NewEvent): void;
  /** `bytes` more of `path` were accepted by the store. */
  onProgress?(progress: { path: string; key: string; bytes: number; totalBytes: number }): void;
}

export interface TransferDeps {
  readonly target: ObjectTarget;
  readonly journal: JournalStore;
  readonly fs: FileSystem;
  readonly clock: Clock;
  /** Uniform in [0, 1): jitter. */
  readonly random: () => number;
  /** Bounds requests in flight over all files (and with it buffer memory, without bufferSlots). */
  readonly slots: Semaphore;
  /**
   * Bounds the requests that hold a pooled part buffer (bodies of at least buffers.minPooled
   * bytes), and so buffer memory, apart from `slots`: many small files can then be in flight
   * while only a few big parts are in memory. Without it, `slots` bounds both.
   */
  readonly bufferSlots?: Semaphore;
  readonly buffers: BufferPool;
  /**
   * Hashes part bodies, e.g. on worker threads (platform/md5-worker-pool.ts). Without it, MD5 is
   * computed on the calling thread.
   */
  readonly hasher?: Md5Hasher;
  readonly limiter?: BandwidthLimiter;
  /** Who we are in the journal (hostname:pid). */
  readonly owner: string;
  readonly observer?: TransferObserver;
  /**
   * Where events go when the caller owns event recording (the agent's event sink). Without it,
   * events are appended to the journal and shown to the observer.
   */
  readonly publish?: (event: NewEvent) => Promise<void>;
}

/** One file to one key. */
export interface UploadRequest {
  readonly path: string;
  readonly key: string;
  readonly write: WriteOptions;
  /** Content checksum the caller computed (e.g. 'sha256:…'), kept in the history for dedupe. */
  readonly checksum?: string;
  /** The agent job the file belongs to: kept in the history and named in the events. */
  readonly job?: string;
}

export interface UploadResult {
  readonly path: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly mode: UploadMode;
  readonly partCount: number;
  /** Parts (or single PUTs) sent by this call. */
  readonly partsSent: number;
  /** Parts already on the server from an earlier, interrupted run, and not sent again. */
  readonly partsReused: number;
  readonly bytesSent: number;
  readonly resumed: boolean;
  /** Upload attempts including restarts after the file changed. */
  readonly attempts: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** `md5:<hex>` of the whole content for single uploads, else the multipart ETag. */
  readonly checksum: string;
}
