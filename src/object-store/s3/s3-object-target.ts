/**
 * ObjectTarget on @aws-sdk/client-s3. Thin: each method is one S3 operation (plus pagination),
 * every failure goes through classifyS3Error.
 */
import type {
  ObjectCannedACL,
  S3Client,
  ServerSideEncryption,
  StorageClass,
} from '@aws-sdk/client-s3';
import { normalizeEtag } from '../../domain/etag.js';
import { AppError, isAppError } from '../../errors/app-error.js';
import type {
  MultipartUploadInfo,
  ObjectHead,
  ObjectTarget,
  PutObjectInput,
  RemotePart,
  UploadPartInput,
  WriteOptions,
} from '../object-target.js';
import { presigner, s3 } from './aws-sdk.js';
import { classifyS3Error, type RequestContext } from './classify.js';
import type { S3DirectRequests } from './s3-direct.js';

/** Dependencies of {@link S3ObjectTarget}. */
export interface S3ObjectTargetDeps {
  readonly client: S3Client;
  readonly bucket: string;
  /** Endpoint URL as configured ('' for AWS). */
  readonly endpoint: string;
  /** The region the client signs for, for error messages. */
  readonly region?: string;
  /** PutObject, UploadPart and HeadObject without the SDK's pipeline, where the store allows it. */
  readonly direct?: S3DirectRequests | undefined;
}

export class S3ObjectTarget implements ObjectTarget {
  readonly endpoint: string;
  readonly bucket: string;
  readonly description: string;
  readonly #client: S3Client;
  readonly #region: string | undefined;
  readonly #direct: S3DirectRequests | undefined;

  constructor(deps: S3ObjectTargetDeps) {
    this.#client = deps.client;
    this.#direct = deps.direct;
    this.bucket = deps.bucket;
    this.endpoint = deps.endpoint;
    this.#region = deps.region;
    this.description = `s3://${deps.bucket}${deps.endpoint ? ` at ${deps.endpoint}` : ''}`;
  }

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
      };
      throw classifyS3Error(err, context);
    }
  }

  async putObject(input: PutObjectInput, signal?: AbortSignal): Promise<{ etag: string }> {
    const direct = this.#direct;
    if (direct !== undefined) {
      const etag = await this.#call('PutObject', input.key, () =>
        direct.putObject(this.bucket, input, signal),
      );
      return { etag: normalizeEtag(etag) };
    }
    const out = await this.#call('PutObject', input.key, () =>
      this.#client.send(
        new s3.PutObjectCommand({
          Bucket: this.bucket,
          Key: input.key,
          Body: input.body,
          ContentLength: input.body.byteLength,
          ContentMD5: input.contentMd5,
          ...(input.ifNoneMatch === true ? { IfNoneMatch: '*' } : {}),
          ...writeParams(input),
        }),
        opts(signal),
      ),
    );
    return { etag: normalizeEtag(out.ETag) };
  }

  async createMultipartUpload(
    key: string,
    options: WriteOptions,
    signal?: AbortSignal,
  ): Promise<string> {
    const out = await this.#call('CreateMultipartUpload', key, () =>
      this.#client.send(
        new s3.CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          ...writeParams(options),
        }),
        opts(signal),
      ),
    );
    if (out.UploadId === undefined || out.UploadId === '') {
      throw new AppError(
        'ERR_S3_BAD_REQUEST',
        `${this.description} returned no UploadId for ${key}`,
        {
          hint: 'the store does not support multipart uploads; raise the multipart threshold',
        },
      );
    }
    return out.UploadId;
  }

  async uploadPart(input: UploadPartInput, signal?: AbortSignal): Promise<{ etag: string }> {
    const direct = this.#direct;
    if (direct !== undefined) {
      const etag = await this.#call('UploadPart', input.key, () =>
        direct.uploadPart(this.bucket, input, signal),
      );
      return { etag: normalizeEtag(etag) };
    }
    const out = await this.#call('UploadPart', input.key, () =>
      this.#client.send(
        new s3.UploadPartCommand({
          Bucket: this.bucket,
          Key: input.key,
          UploadId: input.uploadId,
          PartNumber: input.partNumber,
          Body: input.body,
          ContentLength: input.body.byteLength,
          ContentMD5: input.contentMd5,
        }),
        opts(signal),
      ),
    );
    return { etag: normalizeEtag(out.ETag) };
  }

  async listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<RemotePart[]> {
    const parts: RemotePart[] = [];
    let marker: string | undefined;
    for (;;) {
      const out = await this.#uploadCall('ListParts', key, () =>
        this.#client.send(
          new s3.ListPartsCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            ...(marker === undefined ? {} : { PartNumberMarker: marker }),
          }),
          opts(signal),
        ),
      );
      for (const p of out.Parts ?? []) {
        if (p.PartNumber !== undefined)
          parts.push({ partNumber: p.PartNumber, size: p.Size ?? 0, etag: normalizeEtag(p.ETag) });
      }
      if (out.IsTruncated !== true || out.NextPartNumberMarker === undefined) break;
      marker = out.NextPartNumberMarker;
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
    signal?: AbortSignal,
  ): Promise<{ etag: string }> {
    const out = await this.#uploadCall('CompleteMultipartUpload', key, () =>
      this.#client.send(
        new s3.CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: {
            Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: `"${p.etag}"` })),
          },
        }),
        opts(signal),
      ),
    );
    return { etag: normalizeEtag(out.ETag) };
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

  /** Calls on an existing upload: RGW answers 404 NoSuchKey for one already gone, AWS NoSuchUpload. */
  async #uploadCall<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await this.#call(operation, key, run);
    } catch (err) {
      if (
        isAppError(err, 'ERR_S3_NOT_FOUND') ||
        (isAppError(err) && err.details.s3Code === 'NoSuchKey')
      ) {
        throw new AppError(
          'ERR_S3_UPLOAD_GONE',
          `the multipart upload of s3://${this.bucket}/${key} no longer exists`,
          {
            hint: 'it was completed or aborted elsewhere; s3ferry starts the file afresh',
            cause: err,
          },
        );
      }
      throw err;
    }
  }

  async listMultipartUploads(prefix: string, signal?: AbortSignal): Promise<MultipartUploadInfo[]> {
    const uploads: MultipartUploadInfo[] = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (;;) {
      const out = await this.#call('ListMultipartUploads', undefined, () =>
        this.#client.send(
          new s3.ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
            ...(idMarker === undefined ? {} : { UploadIdMarker: idMarker }),
          }),
          opts(signal),
        ),
      );
      for (const u of out.Uploads ?? []) {
        if (u.Key !== undefined && u.UploadId !== undefined) {
          uploads.push({
            key: u.Key,
            uploadId: u.UploadId,
            initiated: u.Initiated?.getTime() ?? 0,
          });
        }
      }
      if (out.IsTruncated !== true) break;
      keyMarker = out.NextKeyMarker;
      idMarker = out.NextUploadIdMarker;
    }
    return uploads;
  }

  async headObject(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    try {
      const direct = this.#direct;
      if (direct !== undefined) {
        const head = await this.#call('HeadObject', key, () =>
          direct.headObject(this.bucket, key, signal),
        );
        return { ...head, etag: normalizeEtag(head.etag) };
      }
      const out = await this.#call('HeadObject', key, () =>
        this.#client.send(
          new s3.HeadObjectCommand({ Bucket: this.bucket, Key: key }),
          opts(signal),
        ),
      );
      return {
        size: out.ContentLength ?? 0,
        etag: normalizeEtag(out.ETag),
        metadata: out.Metadata ?? {},
        lastModified: out.LastModified?.getTime() ?? null,
        ...(out.ContentType === undefined ? {} : { contentType: out.ContentType }),
        ...(out.CacheControl === undefined ? {} : { cacheControl: out.CacheControl }),
        ...(out.ContentDisposition === undefined
          ? {}
          : { contentDisposition: out.ContentDisposition }),
        ...(out.ContentEncoding === undefined ? {} : { contentEncoding: out.ContentEncoding }),
      };
    } catch (err) {
      if (isAppError(err, 'ERR_S3_NOT_FOUND')) return undefined;
      throw err;
    }
  }

  async probe(signal?: AbortSignal): Promise<void> {
    try {
      await this.#call('HeadBucket', undefined, () =>
        this.#client.send(new s3.HeadBucketCommand({ Bucket: this.bucket }), opts(signal)),
      );
    } catch (err) {
      // HEAD answers have no body: a 403/404 says little. Ask again with a request whose error
      // body names the cause (InvalidAccessKeyId, SignatureDoesNotMatch, NoSuchBucket, …).
      if (!isAppError(err, 'ERR_S3_ACCESS_DENIED', 'ERR_S3_NOT_FOUND')) throw err;
      await this.#call('ListObjectsV2', undefined, () =>
        this.#client.send(
          new s3.ListObjectsV2Command({ Bucket: this.bucket, MaxKeys: 1 }),
          opts(signal),
        ),
      );
      if (isAppError(err, 'ERR_S3_NOT_FOUND')) {
        throw new AppError(
          'ERR_S3_NO_SUCH_BUCKET',
          `the bucket "${this.bucket}" does not exist at ${this.endpoint || 'AWS S3'}`,
          {
            hint: 'create the bucket, or correct the bucket name in --to s3://BUCKET',
          },
        );
      }
    }
  }

  /**
   * Resolves the credentials the client will sign with (the standard chain or explicit keys).
   * Only the access key ID leaves this method, never the secret.
   */
  async credentials(): Promise<{ accessKeyId: string; source: string }> {
    const creds = await this.#call('ResolveCredentials', undefined, () =>
      this.#client.config.credentials(),
    );
    const tracked = Object.keys((creds as { $source?: Record<string, string> }).$source ?? {});
    const source =
      tracked.length > 0
        ? tracked.join(', ').toLowerCase().replace(/_/g, ' ')
        : 'the AWS credential chain';
    return { accessKeyId: creds.accessKeyId, source };
  }

  /** A presigned GET URL for `key`, valid `expiresInSec` seconds (at most 7 days). */
  async presignGet(key: string, expiresInSec: number): Promise<string> {
    return this.#call('PresignGetObject', key, () =>
      presigner().getSignedUrl(
        this.#client,
        new s3.GetObjectCommand({ Bucket: this.bucket, Key: key }),
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
  ): Promise<{ etag: string }> {
    const source = `${this.bucket}/${sourceKey.split('/').map(encodeURIComponent).join('/')}`;
    const out = await this.#call('CopyObject', key, () =>
      this.#client.send(
        new s3.CopyObjectCommand({ Bucket: this.bucket, Key: key, CopySource: source }),
        opts(signal),
      ),
    );
    return { etag: normalizeEtag(out.CopyObjectResult?.ETag) };
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

/** SDK call options: exactOptionalPropertyTypes forbids passing `abortSignal: undefined`. */
function opts(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

function writeParams(options: WriteOptions): {
  ContentType?: string;
  Metadata?: Record<string, string>;
  StorageClass?: StorageClass;
  ServerSideEncryption?: ServerSideEncryption;
  SSEKMSKeyId?: string;
  Tagging?: string;
  CacheControl?: string;
  ContentDisposition?: string;
  ContentEncoding?: string;
  ACL?: ObjectCannedACL;
} {
  return {
    ...(options.cacheControl === undefined ? {} : { CacheControl: options.cacheControl }),
    ...(options.contentDisposition === undefined
      ? {}
      : { ContentDisposition: options.contentDisposition }),
    ...(options.contentEncoding === undefined ? {} : { ContentEncoding: options.contentEncoding }),
    ...(options.acl === undefined ? {} : { ACL: options.acl }),
    ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
    ...(options.metadata === undefined ? {} : { Metadata: { ...options.metadata } }),
    ...(options.storageClass === undefined
      ? {}
      : { StorageClass: options.storageClass as StorageClass }),
    ...(options.sse === undefined ? {} : { ServerSideEncryption: options.sse.mode }),
    ...(options.sse?.kmsKeyId === undefined ? {} : { SSEKMSKeyId: options.sse.kmsKeyId }),
    ...(options.tagging === undefined ? {} : { Tagging: options.tagging }),
  };
}
