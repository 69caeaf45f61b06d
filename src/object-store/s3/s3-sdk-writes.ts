/**
 * The writes only the SDK sends (s3-object-target.ts classifies their failures): the start and
 * the end of a multipart upload, and a server-side copy; and the failure of an upload gone.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectLockSettings } from '../../domain/retention.js';
import { AppError, isAppError } from '../../errors/app-error.js';
import type { WriteAnswer, WriteOptions } from '../object-target.js';
import { s3 } from './aws-sdk.js';
import { lockParams, opts, writeParams } from './s3-params.js';
import { writeAnswer } from './s3-version.js';

/** CreateMultipartUpload: the UploadId, or undefined where the store gave none. */
export async function sdkCreateMultipartUpload(
  client: S3Client,
  bucket: string,
  key: string,
  options: WriteOptions,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  const out = await client.send(
    new s3.CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...writeParams(options) }),
    opts(signal),
  );
  return out.UploadId === '' ? undefined : out.UploadId;
}

/** CompleteMultipartUpload of the parts given: the object's ETag and version. */
export async function sdkCompleteMultipartUpload(
  client: S3Client,
  where: { bucket: string; key: string; uploadId: string },
  parts: readonly { partNumber: number; etag: string }[],
  signal: AbortSignal | undefined,
): Promise<WriteAnswer> {
  const out = await client.send(
    new s3.CompleteMultipartUploadCommand({
      Bucket: where.bucket,
      Key: where.key,
      UploadId: where.uploadId,
      MultipartUpload: {
        Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: `"${p.etag}"` })),
      },
    }),
    opts(signal),
  );
  return writeAnswer(out.ETag, out.VersionId);
}

/** CopyObject of `sourceKey` to `key` in one bucket, with the retention and legal hold given. */
export async function sdkCopyObject(
  client: S3Client,
  where: { bucket: string; sourceKey: string; key: string },
  objectLock: ObjectLockSettings | undefined,
  signal: AbortSignal | undefined,
): Promise<WriteAnswer> {
  const { bucket, sourceKey, key } = where;
  const source = `${bucket}/${sourceKey.split('/').map(encodeURIComponent).join('/')}`;
  const out = await client.send(
    new s3.CopyObjectCommand({
      Bucket: bucket,
      Key: key,
      CopySource: source,
      ...lockParams(objectLock),
    }),
    opts(signal),
  );
  return writeAnswer(out.CopyObjectResult?.ETag, out.VersionId);
}

/**
 * A classified failure of a call on an existing upload, as ERR_S3_UPLOAD_GONE where the upload is
 * gone (RGW answers 404 NoSuchKey for one, AWS NoSuchUpload); other failures as they are.
 */
export function asUploadGone(err: unknown, bucket: string, key: string): unknown {
  const gone =
    isAppError(err, 'ERR_S3_NOT_FOUND') || (isAppError(err) && err.details.s3Code === 'NoSuchKey');
  if (!gone) return err;
  return new AppError(
    'ERR_S3_UPLOAD_GONE',
    `the multipart upload of s3://${bucket}/${key} no longer exists`,
    { hint: 'it was completed or aborted elsewhere; s3ferry starts the file afresh', cause: err },
  );
}
