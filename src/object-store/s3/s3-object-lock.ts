/**
 * Retention and legal hold set on an object already written (PutObjectRetention,
 * PutObjectLegalHold). Every PutObject and CreateMultipartUpload carries them as headers; Ceph RGW
 * (checked on RGW 16) keeps neither from the headers of CreateMultipartUpload (its completed object
 * has no retention), so the transfer engine sets them again so after CompleteMultipartUpload, on
 * the version it answered (transfer/multipart-upload.ts).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectLockSettings } from '../../domain/retention.js';
import { s3 } from './aws-sdk.js';
import { opts } from './s3-params.js';

/** The object version and what to set on it. */
export interface LockRequest {
  readonly key: string;
  /** The version written; the key's current one when undefined. */
  readonly versionId: string | undefined;
  readonly lock: ObjectLockSettings;
}

/** Sets retention, then the legal hold; `call` classifies a failure. */
export async function setS3ObjectLock(
  client: S3Client,
  bucket: string,
  req: LockRequest,
  call: (operation: string, run: () => Promise<unknown>) => Promise<unknown>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const target = {
    Bucket: bucket,
    Key: req.key,
    ...(req.versionId === undefined ? {} : { VersionId: req.versionId }),
  };
  const retention = req.lock.retention;
  if (retention !== undefined) {
    await call('PutObjectRetention', () =>
      client.send(
        new s3.PutObjectRetentionCommand({
          ...target,
          Retention: { Mode: retention.mode, RetainUntilDate: retention.retainUntil },
        }),
        opts(signal),
      ),
    );
  }
  if (req.lock.legalHold === true) {
    await call('PutObjectLegalHold', () =>
      client.send(
        new s3.PutObjectLegalHoldCommand({ ...target, LegalHold: { Status: 'ON' } }),
        opts(signal),
      ),
    );
  }
}
