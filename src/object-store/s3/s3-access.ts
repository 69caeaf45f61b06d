/**
 * Whether the bucket can be reached with the keys given (HeadBucket, and a ListObjectsV2 whose
 * error body names the cause where HEAD's says nothing), and which keys the client signs with.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { AppError, isAppError } from '../../errors/app-error.js';
import { CLI_SETTINGS, type SettingNames } from '../setting-names.js';
import { s3 } from './aws-sdk.js';
import type { ClassifiedCall } from './s3-capabilities.js';
import { opts } from './s3-params.js';

/** What {@link checkBucket} names in its messages. */
export interface BucketPlace {
  readonly bucket: string;
  /** Shown, '' for AWS. */
  readonly endpoint: string;
  readonly settings?: SettingNames | undefined;
}

/** Resolves when the bucket answers; else throws the classified cause (no such bucket, keys…). */
export async function checkBucket(
  client: S3Client,
  where: BucketPlace,
  call: ClassifiedCall,
  signal?: AbortSignal,
): Promise<void> {
  const { bucket } = where;
  try {
    await call('HeadBucket', undefined, () =>
      client.send(new s3.HeadBucketCommand({ Bucket: bucket }), opts(signal)),
    );
  } catch (err) {
    // HEAD answers have no body: a 403/404 says little. Ask again with a request whose error
    // body names the cause (InvalidAccessKeyId, SignatureDoesNotMatch, NoSuchBucket, …).
    if (!isAppError(err, 'ERR_S3_ACCESS_DENIED', 'ERR_S3_NOT_FOUND')) throw err;
    await call('ListObjectsV2', undefined, () =>
      client.send(new s3.ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }), opts(signal)),
    );
    if (isAppError(err, 'ERR_S3_NOT_FOUND')) {
      throw new AppError(
        'ERR_S3_NO_SUCH_BUCKET',
        `the bucket "${bucket}" does not exist at ${where.endpoint || 'AWS S3'}`,
        { hint: `create the bucket, or correct ${(where.settings ?? CLI_SETTINGS).bucket}` },
      );
    }
  }
}

/**
 * Resolves the credentials the client will sign with (the standard chain or explicit keys). Only
 * the access key ID leaves this function, never the secret.
 */
export async function signingKeys(
  client: S3Client,
  call: ClassifiedCall,
): Promise<{ accessKeyId: string; source: string }> {
  const creds = await call('ResolveCredentials', undefined, () => client.config.credentials());
  const tracked = Object.keys((creds as { $source?: Record<string, string> }).$source ?? {});
  const source =
    tracked.length > 0
      ? tracked.join(', ').toLowerCase().replace(/_/g, ' ')
      : 'the AWS credential chain';
  return { accessKeyId: creds.accessKeyId, source };
}
