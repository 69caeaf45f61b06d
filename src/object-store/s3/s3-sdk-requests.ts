/**
 * PutObject, UploadPart and HeadObject through the SDK's commands: what s3-object-target.ts sends
 * where the direct path (s3-direct.ts) leaves a request to the SDK. The same inputs and answers as
 * the direct path's; failures are the SDK's own, for the caller to classify.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type {
  ObjectHead,
  PutObjectInput,
  UploadPartInput,
  VersionOption,
  WriteAnswer,
} from '../object-target.js';
import { s3 } from './aws-sdk.js';
import { opts, writeParams } from './s3-params.js';
import { versionIdOf, versionParam, writeAnswer } from './s3-version.js';

/** The ETag of the stored object (quotes stripped) and the version it created, if any. */
export async function sdkPutObject(
  client: S3Client,
  bucket: string,
  input: PutObjectInput,
  signal: AbortSignal | undefined,
): Promise<WriteAnswer> {
  const out = await client.send(
    new s3.PutObjectCommand({
      Bucket: bucket,
      Key: input.key,
      Body: input.body,
      ContentLength: input.body.byteLength,
      ContentMD5: input.contentMd5,
      ...(input.ifNoneMatch === true ? { IfNoneMatch: '*' } : {}),
      ...writeParams(input),
    }),
    opts(signal),
  );
  return writeAnswer(out.ETag, out.VersionId);
}

/** The ETag of the stored part. */
export async function sdkUploadPart(
  client: S3Client,
  bucket: string,
  input: UploadPartInput,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  const out = await client.send(
    new s3.UploadPartCommand({
      Bucket: bucket,
      Key: input.key,
      UploadId: input.uploadId,
      PartNumber: input.partNumber,
      Body: input.body,
      ContentLength: input.body.byteLength,
      ContentMD5: input.contentMd5,
    }),
    opts(signal),
  );
  return out.ETag;
}

/** The object's head (of one version); rejects with the SDK's NotFound when it does not exist. */
export async function sdkHeadObject(
  client: S3Client,
  bucket: string,
  key: string,
  signal: AbortSignal | undefined,
  options?: VersionOption,
): Promise<ObjectHead> {
  const out = await client.send(
    new s3.HeadObjectCommand({ Bucket: bucket, Key: key, ...versionParam(options) }),
    opts(signal),
  );
  const versionId = versionIdOf(out.VersionId);
  return {
    size: out.ContentLength ?? 0,
    etag: out.ETag ?? '',
    metadata: out.Metadata ?? {},
    lastModified: out.LastModified?.getTime() ?? null,
    ...(out.ContentType === undefined ? {} : { contentType: out.ContentType }),
    ...(out.CacheControl === undefined ? {} : { cacheControl: out.CacheControl }),
    ...(out.ContentDisposition === undefined ? {} : { contentDisposition: out.ContentDisposition }),
    ...(out.ContentEncoding === undefined ? {} : { contentEncoding: out.ContentEncoding }),
    ...(versionId === undefined ? {} : { versionId }),
  };
}
