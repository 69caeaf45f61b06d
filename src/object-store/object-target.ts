/**
 * The port through which the transfer engine talks to an object store. Only target/s3/ knows S3;
 * the engine sees these operations and AppErrors classified in one table (target/s3/classify.ts).
 * Every call takes an AbortSignal; an aborted call rejects with ERR_CANCELLED.
 */
import type { EndpointCapabilities } from '../domain/capabilities.js';
import type { CannedAcl } from '../domain/object-headers.js';
import type { ObjectLockSettings } from '../domain/retention.js';

/** Object metadata (x-amz-meta-*), lower-case keys. */
export type Metadata = Readonly<Record<string, string>>;

/** What every write carries besides the bytes. */
export interface WriteOptions {
  readonly contentType?: string;
  readonly metadata?: Metadata;
  readonly storageClass?: string;
  readonly sse?: { readonly mode: 'AES256' | 'aws:kms'; readonly kmsKeyId?: string };
  /** URL-encoded tag set (a=b&c=d). */
  readonly tagging?: string;
  /** Cache-Control, Content-Disposition, Content-Encoding: stored and served with the object. */
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  readonly contentEncoding?: string;
  /** Canned ACL (x-amz-acl). */
  readonly acl?: CannedAcl;
  /** Retention and legal hold (x-amz-object-lock-*): the bucket must have Object Lock. */
  readonly objectLock?: ObjectLockSettings;
}

/**
 * Told of a request body's bytes as they are handed to the network, in order (progress within
 * a big body). Optional for the adapter: it may report nothing, and reports nothing for small
 * bodies; a failed request may have reported bytes the store never got.
 */
export type BodyProgress = (bytes: number) => void;

export interface PutObjectInput extends WriteOptions {
  readonly key: string;
  readonly body: Uint8Array;
  /** Base64 MD5 of body; always sent. */
  readonly contentMd5: string;
  readonly onWritten?: BodyProgress;
  /** Refuse when the key exists (If-None-Match: *). */
  readonly ifNoneMatch?: boolean;
}

export interface UploadPartInput {
  readonly key: string;
  readonly uploadId: string;
  readonly partNumber: number;
  readonly body: Uint8Array;
  readonly contentMd5: string;
  readonly onWritten?: BodyProgress;
}

export interface RemotePart {
  readonly partNumber: number;
  readonly size: number;
  /** Quotes stripped. */
  readonly etag: string;
}

export interface MultipartUploadInfo {
  readonly key: string;
  readonly uploadId: string;
  /** ms since the epoch. */
  readonly initiated: number;
}

/**
 * What the store answered a write that stored an object (PutObject, CompleteMultipartUpload,
 * CopyObject).
 */
export interface WriteAnswer {
  /** Quotes stripped; '' where the store gives none. */
  readonly etag: string;
  /**
   * The version the write created, where the bucket keeps versions (x-amz-version-id); absent on
   * an unversioned bucket, and where versioning is suspended (the store's 'null' version).
   */
  readonly versionId?: string;
}

/** Which version of an object a read names: the current one when absent. */
export interface VersionOption {
  readonly versionId?: string;
}

export interface ObjectHead {
  readonly size: number;
  /** Quotes stripped; '' if the store gave none. */
  readonly etag: string;
  readonly metadata: Metadata;
  readonly lastModified: number | null;
  /** The version it is, where the bucket keeps versions (see {@link WriteAnswer.versionId}). */
  readonly versionId?: string;
  /** The headers it was written with, where it has them. */
  readonly contentType?: string;
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  readonly contentEncoding?: string;
}

/** An object store bucket. Keys are full object keys. */
export interface ObjectTarget {
  /** Human name of the destination, e.g. `s3://bucket` at `http://127.0.0.1:7480`. */
  readonly description: string;
  /** The endpoint URL, '' for AWS defaults (part of the journal's destination identity). */
  readonly endpoint: string;
  readonly bucket: string;

  putObject(input: PutObjectInput, signal?: AbortSignal): Promise<WriteAnswer>;
  createMultipartUpload(key: string, options: WriteOptions, signal?: AbortSignal): Promise<string>;
  uploadPart(input: UploadPartInput, signal?: AbortSignal): Promise<{ etag: string }>;
  /** All parts, following pagination. Rejects ERR_S3_UPLOAD_GONE when the upload no longer exists. */
  listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<RemotePart[]>;
  /**
   * Parts must be in ascending order. Returns the ETag S3 gave ('' where the store gives none) and
   * the version id of a versioned bucket.
   */
  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
    signal?: AbortSignal,
  ): Promise<WriteAnswer>;
  /**
   * Sets retention and legal hold on an object written already (PutObjectRetention,
   * PutObjectLegalHold): on `versionId` when given, else on the key's current version.
   */
  setObjectLock(
    key: string,
    versionId: string | undefined,
    lock: ObjectLockSettings,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Idempotent: an upload already gone is not an error. */
  abortMultipartUpload(key: string, uploadId: string, signal?: AbortSignal): Promise<void>;
  /** In-progress multipart uploads under `prefix`, following pagination. */
  listMultipartUploads(prefix: string, signal?: AbortSignal): Promise<MultipartUploadInfo[]>;
  /** undefined when the object (or the version asked for) does not exist. */
  headObject(
    key: string,
    signal?: AbortSignal,
    options?: VersionOption,
  ): Promise<ObjectHead | undefined>;
  /** A cheap request that fails with the destination-level cause when the bucket is unusable. */
  probe(signal?: AbortSignal): Promise<void>;
  /**
   * What the store accepts (domain/capabilities.ts), found with a few requests on `scratchKey`,
   * which is removed afterwards (`leftover` says why when it could not be). `now` (ms): what a
   * scratch object's own retention counts from, on a bucket that retains new objects by default.
   * Rejects with the destination-level cause when the bucket is unusable.
   */
  probeCapabilities(
    scratchKey: string,
    now: number,
    signal?: AbortSignal,
  ): Promise<CapabilityProbeResult>;
  deleteObject(key: string, signal?: AbortSignal): Promise<void>;
  /**
   * Server-side copy of `sourceKey` (same bucket) to `key`, keeping its metadata, with the
   * retention and legal hold given. Returns the new ETag (and
   * version id).
   */
  copyObject(
    sourceKey: string,
    key: string,
    signal?: AbortSignal,
    objectLock?: ObjectLockSettings,
  ): Promise<WriteAnswer>;
}

/** What {@link ObjectTarget.probeCapabilities} found. */
export interface CapabilityProbeResult {
  readonly capabilities: EndpointCapabilities;
  /** Why a scratch object stayed in the bucket, when one did. */
  readonly leftover?: string;
}
