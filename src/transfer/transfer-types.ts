/** Configuration, dependencies, requests and results of the transfer engine. */
import type { BackoffPolicy } from '../domain/backoff.js';
import type { EndpointCapabilities } from '../domain/capabilities.js';
import type { ObjectLockRule } from '../domain/retention.js';
import type {
  JournalStore,
  NewEvent,
  UploadMode,
  VerifiedUpload,
} from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { Metadata, ObjectTarget, WriteOptions } from '../object-store/object-target.js';
import type { FileStat, FileSystem } from './file-system.js';
import type { Throttle } from './bandwidth-limiter.js';
import type { RetryPolicy } from './retry.js';

/** Object metadata key that ties an object (and its upload) to its journal intent. */
export const INTENT_METADATA_KEY = 's3ferry-intent';

/**
 * Object metadata key of a single-part object: the token of the source version it was written
 * from (ownership.ts sourceToken), since nothing is journaled before its PUT.
 */
export const SOURCE_METADATA_KEY = 's3ferry-source';

export const DEFAULT_BACKOFF_POLICY: BackoffPolicy = { baseMs: 250, capMs: 30_000 };

/**
 * The journal as the transfer engine sees it: uploads, their parts and their outcome (DESIGN.md
 * item 6). The engine writes no file state, no history and no event through it.
 */
export type UploadLedger = Pick<
  JournalStore,
  | 'beginUpload'
  | 'recordUploadId'
  | 'recordPart'
  | 'listParts'
  | 'markCompleted'
  | 'finishUpload'
  | 'recordUpload'
  | 'getUpload'
  | 'findOpenUpload'
  | 'findLatestUpload'
  | 'listOpenUploads'
  | 'knowsUploadId'
>;

/** How an upload is proven to have stored the bytes read (DESIGN.md item 9). */
export type VerifyMode = 'etag' | 'head';

/** How one destination is written: the configuration of its {@link TransferService}. */
export interface TransferConfig {
  /** Preferred part size, bytes (raised for huge files so no upload exceeds 10,000 parts). */
  readonly partSize: number;
  /** Files of at least this size go multipart; smaller ones in one PutObject. */
  readonly multipartThreshold: number;
  /** Requests in flight over all files; also the parts of one file in flight at once. */
  readonly concurrency: number;
  /** Part buffers in memory at once (bodies of 1 MiB and more); small bodies need none. */
  readonly partBuffers: number;
  /** Bytes per second over all uploads; undefined for no limit. */
  readonly bwlimit?: number;
  /** Resume interrupted uploads (true) or abort them and start over (false). */
  readonly resume: boolean;
  readonly retry: RetryPolicy;
  /**
   * `etag`: the PUT's or Complete's answer proves the upload when its ETag equals the one computed
   * from the bytes read; HeadObject only where it cannot (see verify.ts). `head`: always HeadObject.
   */
  readonly verify: VerifyMode;
  /** What every object carries (storage class, SSE, metadata, tags). */
  readonly write: Omit<WriteOptions, 'contentType'>;
  /** Content type of every object; from the file extension when absent. */
  readonly contentType?: string;
  /** Retention and legal hold of every object (a request may have its own); none when absent. */
  readonly objectLock?: ObjectLockRule;
}

/** How one file is sent: decided by the caller (and kept with the file), or by the service. */
export interface UploadPlan {
  readonly mode: UploadMode;
  /** Bytes per part (the file size for a single PUT). */
  readonly partSize: number;
}

/** The engine's settings for one upload, derived from the service's configuration. */
export interface TransferSettings {
  /** Parts of one file in flight at once. */
  readonly partConcurrency: number;
  readonly resume: boolean;
  readonly retry: RetryPolicy;
  /** How many times a file that changes during its upload is started afresh before giving up. */
  readonly maxChangedRestarts: number;
  /** The retention and legal hold of the object (the request's, else the service's). */
  readonly objectLock?: ObjectLockRule;
}

/**
 * What a destination's store accepts, as its last probe found (agent/destination-capabilities.ts).
 * The engine follows it instead of guessing; a store that refuses something the answer says it
 * accepts is probed again.
 */
export interface CapabilitySource {
  /** The last answer; undefined before the first (the engine then assumes what S3 does). */
  current(): EndpointCapabilities | undefined;
  /**
   * Probes again (callers at the same time share one probe) and resolves the new answer; `why`
   * says what the store refused. Rejects as the probe does.
   */
  reprobe(why: string): Promise<EndpointCapabilities>;
}

/** MD5 of request bodies (their Content-MD5 and the journal's part MD5). */
export interface Md5Hasher {
  /** Hex MD5 of `data`, which must stay unchanged until the promise settles. Never rejects. */
  md5Hex(data: Uint8Array): Promise<string>;
}

/** What the engine reports while it works (progress bars, logs, the dashboard). */
export interface TransferObserver {
  onEvent?(event: NewEvent): void;
  /**
   * `bytes` more of `path` were handed to the store: reported as the socket takes a big body
   * (where the target can tell), else when the store accepts it; negative when a failed request's
   * bytes are taken back (the request is sent again).
   */
  onProgress?(progress: { path: string; key: string; bytes: number; totalBytes: number }): void;
}

/** What a {@link TransferService} is built from; nothing in it is built by the service itself. */
export interface TransferServiceDeps {
  readonly target: ObjectTarget;
  /** The ledger of uploads that carry none of their own. */
  readonly ledger: UploadLedger;
  readonly fs: FileSystem;
  readonly clock: Clock;
  /** Uniform in [0, 1): jitter. */
  readonly random: () => number;
  /**
   * Hashes part bodies, e.g. on worker threads (platform/md5-worker-pool.ts: one pool per process,
   * closed by whoever built it). Without it, MD5 is computed on the calling thread.
   */
  readonly hasher?: Md5Hasher;
  /** Who we are in the journal (hostname:pid). */
  readonly owner: string;
  /** Records an event (the journal's event log, the agent's event sink). */
  readonly publish: (event: NewEvent) => Promise<void>;
  /** Told of every upload's events and progress (a progress bar). */
  readonly observer?: TransferObserver;
  /**
   * Limits shared with others, taken by every request body after the service's own bwlimit (the
   * agent's: the destination's timetable, and the limit over all its destinations).
   */
  readonly throttles?: readonly Throttle[];
  /** What the store accepts, where it was probed (the agent); S3's rules when absent. */
  readonly capabilities?: CapabilitySource;
}

/** One file to one key. */
export interface UploadRequest {
  readonly path: string;
  readonly key: string;
  /** Metadata of this object on top of the service's (e.g. its sha256). */
  readonly metadata?: Metadata;
  /**
   * Never replace an object another writer put at the key (overwrite policy `never`): a single PUT
   * is conditional (If-None-Match: *), a multipart upload looks first. An object an earlier
   * upload of this same, unchanged file wrote is not another writer's. Rejects
   * ERR_S3_PRECONDITION_FAILED when the key is taken.
   */
  readonly ifNoneMatch?: boolean;
  /** The ledger of this upload (e.g. one bound to the caller's hold on the file). */
  readonly ledger?: UploadLedger;
  /** How to send it; the service plans from the file size when absent. */
  readonly plan?: UploadPlan;
  /** Caps the retry budget of each request, ms. */
  readonly retryTimeout?: number;
  /** The agent job the file belongs to: named in the events. */
  readonly job?: string;
  /** Told of this upload's events and progress. */
  readonly observer?: TransferObserver;
  /**
   * Called right before each request that publishes the object (PutObject,
   * CompleteMultipartUpload); what it throws stops the upload before that request, without
   * aborting it (the agent checks its hold on the file here: agent/hold-guard.ts).
   */
  readonly beforePublish?: () => void;
  /**
   * The file's stat as the caller just took it: the first attempt starts from it instead of a stat
   * of its own (the bytes are still checked against it through the open descriptor).
   */
  readonly stat?: FileStat;
  /**
   * An earlier holder of this file may have sent this very version (the agent took it over): a
   * single-part upload looks at the key first (HeadObject) and takes an object written from this
   * source version with these bytes (its token, size and ETag) instead of sending it again.
   */
  readonly lookFirst?: boolean;
  /** Resume an interrupted multipart upload of this file (the service's setting when absent). */
  readonly resume?: boolean;
  /** Retention and legal hold of this object (the job's), instead of the service's. */
  readonly objectLock?: ObjectLockRule;
  /**
   * The caller records a single-part upload with its own outcome (UploadResult.record, written in
   * the same journal transaction as the file's): the service then writes nothing to the journal for
   * it, and emits neither upload.started nor upload.finished (the caller's event says it all).
   */
  readonly recordedByCaller?: boolean;
}

/** A stream of unknown size (standard input) to one key: never resumed. */
export interface StreamUploadRequest {
  /** How the stream is named in messages, events and the journal (e.g. '-'). */
  readonly name: string;
  readonly source: AsyncIterable<Uint8Array>;
  readonly key: string;
  readonly metadata?: Metadata;
  /** Refuse to replace an object at the key (ERR_S3_PRECONDITION_FAILED). */
  readonly ifNoneMatch?: boolean;
  readonly retryTimeout?: number;
  readonly observer?: TransferObserver;
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
  /** `md5:<hex>` of the whole content for single uploads, else `etag:<multipart ETag>`. */
  readonly checksum: string;
  /**
   * The version of the object this upload stored, where the bucket keeps versions (the write's
   * answer, else the HeadObject that found or verified it); absent on an unversioned bucket.
   */
  readonly versionId?: string;
  /** How it was verified: by the answer's ETag alone, or with a HeadObject. */
  readonly verifiedBy: 'etag' | 'head';
  /** A single-part upload's journal record (written by the service unless recordedByCaller). */
  readonly record?: VerifiedUpload;
}
