/**
 * ObjectTarget on @aws-sdk/client-s3. Thin: each method is one S3 operation (plus pagination),
 * every failure goes through classifyS3Error.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { normalizeEtag } from '../../domain/etag.js';
import { redactUrl } from '../../domain/redact-url.js';
import { AppError, isAppError } from '../../errors/app-error.js';
import type { ObjectLockSettings } from '../../domain/retention.js';
import type {
  CapabilityProbeResult,
  MultipartUploadInfo,
  ObjectHead,
  ObjectTarget,
  PutObjectInput,
  RemotePart,
  UploadPartInput,
  VersionOption,
  WriteAnswer,
  WriteOptions,
} from '../object-target.js';
import type { SettingNames } from '../setting-names.js';
import { presigner, s3 } from './aws-sdk.js';
import { classifyS3Error, type RequestContext } from './classify.js';
import type { S3DirectRequests } from './s3-direct.js';
import { probeS3Capabilities, type ClassifiedCall } from './s3-capabilities.js';
import { checkBucket, signingKeys } from './s3-access.js';
import { setS3ObjectLock } from './s3-object-lock.js';
import { listAllMultipartUploads, listAllParts } from './s3-listing.js';
import { opts } from './s3-params.js';
import { sdkHeadObject, sdkPutObject, sdkUploadPart } from './s3-sdk-requests.js';
import {
  asUploadGone,
  sdkCompleteMultipartUpload,
  sdkCopyObject,
  sdkCreateMultipartUpload,
} from './s3-sdk-writes.js';
import { versionParam } from './s3-version.js';

/** Dependencies of {@link S3ObjectTarget}. */
export interface S3ObjectTargetDeps {
  readonly client: S3Client;
  readonly bucket: string;
  /** Endpoint URL as configured ('' for AWS); a password in it is never shown ({@link S3ObjectTarget.endpoint}). */
  readonly endpoint: string;
  /** The region the client signs for, for error messages. */
  readonly region?: string;
  /** PutObject, UploadPart and HeadObject without the SDK's pipeline, where the store allows it. */
  readonly direct?: S3DirectRequests | undefined;
  /** The CA bundle the client verifies with, for messages: "PATH (from ORIGIN)". */
  readonly caBundle?: string;
  /** How the person names the settings, for the fixes of errors (setting-names.ts). */
  readonly settings?: SettingNames;
}

export class S3ObjectTarget implements ObjectTarget {
  /**
   * The endpoint as it is shown and journaled: without the password of its user information
   * (domain/redact-url.ts), which S3 does not use (requests are signed with the keys) but error
   * messages, events, the history and the API would otherwise carry.
   */
  readonly endpoint: string;
  readonly bucket: string;
  readonly description: string;
  readonly #client: S3Client;
  readonly #region: string | undefined;
  readonly #direct: S3DirectRequests | undefined;
  readonly #caBundle: string | undefined;
  readonly #settings: SettingNames | undefined;

  constructor(deps: S3ObjectTargetDeps) {
    this.#client = deps.client;
    this.#direct = deps.direct;
    this.#caBundle = deps.caBundle;
    this.#settings = deps.settings;
    this.bucket = deps.bucket;
    this.endpoint = redactUrl(deps.endpoint);
    this.#region = deps.region;
    this.description = `s3://${deps.bucket}${this.endpoint ? ` at ${this.endpoint}` : ''}`;
  }

  /** {@link S3ObjectTarget.#call} for the helpers of other modules. */
  readonly #classified: ClassifiedCall = (operation, key, run) => this.#call(operation, key, run);

  async #call<T>(operation: string, key: string | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const context: RequestContext = {
        operation,
        endpoint: this.endpoint,
        bucket: this.bucket,
        ...(key === undefined ? {} : { key }),
        ...(this.#region === undefined ? {} : { region: this.#region }),
        ...(this.#caBundle === undefined ? {} : { caBundle: this.#caBundle }),
        ...(this.#settings === undefined ? {} : { settings: this.#settings }),
      };
      throw classifyS3Error(err, context);
    }
  }

  /** The direct path's answer, or undefined where the SDK sends the request (s3-direct.ts). */
  async #viaDirect<T>(
    operation: string,
    key: string,
    run: (direct: S3DirectRequests) => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const direct = this.#direct;
    return direct === undefined ? undefined : this.#call(operation, key, () => run(direct));
  }

  async putObject(input: PutObjectInput, signal?: AbortSignal): Promise<WriteAnswer> {
    return (
      (await this.#viaDirect('PutObject', input.key, (d) =>
        d.putObject(this.bucket, input, signal),
      )) ??
      (await this.#call('PutObject', input.key, () =>
        sdkPutObject(this.#client, this.bucket, input, signal),
      ))
    );
  }

  async createMultipartUpload(
    key: string,
    options: WriteOptions,
    signal?: AbortSignal,
  ): Promise<string> {
    const uploadId = await this.#call('CreateMultipartUpload', key, () =>
      sdkCreateMultipartUpload(this.#client, this.bucket, key, options, signal),
    );
    if (uploadId === undefined) {
      throw new AppError(
        'ERR_S3_BAD_REQUEST',
        `${this.description} returned no UploadId for ${key}`,
        {
          hint: 'the store does not support multipart uploads; raise the multipart threshold',
        },
      );
    }
    return uploadId;
  }

  async uploadPart(input: UploadPartInput, signal?: AbortSignal): Promise<{ etag: string }> {
    const etag =
      (await this.#viaDirect('UploadPart', input.key, (d) =>
        d.uploadPart(this.bucket, input, signal),
      )) ??
      (await this.#call('UploadPart', input.key, () =>
        sdkUploadPart(this.#client, this.bucket, input, signal),
      ));
    return { etag: normalizeEtag(etag) };
  }

  listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<RemotePart[]> {
    return listAllParts(
      this.#client,
      (run) => this.#uploadCall('ListParts', key, run),
      { bucket: this.bucket, key, uploadId },
      signal,
    );
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
    signal?: AbortSignal,
  ): Promise<WriteAnswer> {
    return this.#uploadCall('CompleteMultipartUpload', key, () =>
      sdkCompleteMultipartUpload(
        this.#client,
        { bucket: this.bucket, key, uploadId },
        parts,
        signal,
      ),
    );
  }

  /** Retention and legal hold after the write (s3-object-lock.ts says why). */
  setObjectLock(
    key: string,
    versionId: string | undefined,
    lock: ObjectLockSettings,
    signal?: AbortSignal,
  ): Promise<void> {
    const call = (operation: string, run: () => Promise<unknown>) =>
      this.#call(operation, key, run);
    return setS3ObjectLock(this.#client, this.bucket, { key, versionId, lock }, call, signal);
  }

  async abortMultipartUpload(key: string, uploadId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.#uploadCall('AbortMultipartUpload', key, () =>
        this.#client.send(
          new s3.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }),
          opts(signal),
        ),
      );
    } catch (err) {
      if (!isAppError(err, 'ERR_S3_UPLOAD_GONE')) throw err;
    }
  }

  /** Calls on an existing upload: one already gone fails with ERR_S3_UPLOAD_GONE. */
  async #uploadCall<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await this.#call(operation, key, run);
    } catch (err) {
      throw asUploadGone(err, this.bucket, key);
    }
  }

  listMultipartUploads(prefix: string, signal?: AbortSignal): Promise<MultipartUploadInfo[]> {
    return listAllMultipartUploads(
      this.#client,
      (run) => this.#call('ListMultipartUploads', undefined, run),
      this.bucket,
      prefix,
      signal,
    );
  }

  async headObject(
    key: string,
    signal?: AbortSignal,
    options?: VersionOption,
  ): Promise<ObjectHead | undefined> {
    try {
      const head =
        (await this.#viaDirect('HeadObject', key, (d) =>
          d.headObject(this.bucket, key, signal, options),
        )) ??
        (await this.#call('HeadObject', key, () =>
          sdkHeadObject(this.#client, this.bucket, key, signal, options),
        ));
      return { ...head, etag: normalizeEtag(head.etag) };
    } catch (err) {
      if (isAppError(err, 'ERR_S3_NOT_FOUND')) return undefined;
      throw err;
    }
  }

  probe(signal?: AbortSignal): Promise<void> {
    const where = { bucket: this.bucket, endpoint: this.endpoint, settings: this.#settings };
    return checkBucket(this.#client, where, this.#classified, signal);
  }

  probeCapabilities(
    scratchKey: string,
    now: number,
    signal?: AbortSignal,
  ): Promise<CapabilityProbeResult> {
    return probeS3Capabilities(
      this.#client,
      this.bucket,
      scratchKey,
      this.#classified,
      now,
      signal,
    );
  }

  /** The keys the client signs with: the access key ID and where it came from, never the secret. */
  credentials(): Promise<{ accessKeyId: string; source: string }> {
    return signingKeys(this.#client, this.#classified);
  }

  /**
   * A presigned GET URL for `key` (of one version: `options.versionId`), valid `expiresInSec`
   * seconds (at most 7 days).
   */
  async presignGet(key: string, expiresInSec: number, options?: VersionOption): Promise<string> {
    return this.#call('PresignGetObject', key, () =>
      presigner().getSignedUrl(
        this.#client,
        new s3.GetObjectCommand({ Bucket: this.bucket, Key: key, ...versionParam(options) }),
        {
          expiresIn: Math.max(1, Math.min(604_800, Math.round(expiresInSec))),
        },
      ),
    );
  }

  async copyObject(
    sourceKey: string,
    key: string,
    signal?: AbortSignal,
    objectLock?: ObjectLockSettings,
  ): Promise<WriteAnswer> {
    return this.#call('CopyObject', key, () =>
      sdkCopyObject(this.#client, { bucket: this.bucket, sourceKey, key }, objectLock, signal),
    );
  }

  /** Closes the client's sockets. */
  destroy(): void {
    this.#client.destroy();
  }

  async deleteObject(key: string, signal?: AbortSignal): Promise<void> {
    await this.#call('DeleteObject', key, () =>
      this.#client.send(
        new s3.DeleteObjectCommand({ Bucket: this.bucket, Key: key }),
        opts(signal),
      ),
    );
  }
}
