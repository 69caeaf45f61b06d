/**
 * Buckets with Object Lock for the write-once retention tests, and what they hold read back with
 * the AWS SDK. Such a bucket keeps versions and refuses to delete a retained one: cleanup() lifts
 * legal holds and deletes every version with BypassGovernanceRetention (the tests use governance
 * mode with short retention); whatever still refuses (compliance mode) is left on the throwaway
 * test server.
 */
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  ListObjectVersionsCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { listAllMultipartUploads, makeS3Client, type S3ServerInfo } from './s3-server.js';

export interface LockedBucket {
  readonly name: string;
  cleanup(): Promise<void>;
}

/**
 * A bucket created with ObjectLockEnabledForBucket (its versioning is on); `defaultDays`: a
 * default governance retention of that many days on every new object.
 */
export async function createLockedBucket(
  info: S3ServerInfo,
  label: string,
  defaultDays?: number,
): Promise<LockedBucket> {
  const name = `${label}-${process.pid}-${randomBytes(4).toString('hex')}`.slice(0, 63);
  const client = makeS3Client(info);
  try {
    await client.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: true }));
    if (defaultDays !== undefined)
      await client.send(
        new PutObjectLockConfigurationCommand({
          Bucket: name,
          ObjectLockConfiguration: {
            ObjectLockEnabled: 'Enabled',
            Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: defaultDays } },
          },
        }),
      );
  } finally {
    client.destroy();
  }
  return { name, cleanup: () => emptyLockedBucket(info, name) };
}

/** Every version and delete marker of `bucket` under `prefix`, oldest last per key. */
export async function listVersions(
  client: S3Client,
  bucket: string,
  prefix = '',
): Promise<{ key: string; versionId: string; deleteMarker: boolean; etag: string }[]> {
  const out: { key: string; versionId: string; deleteMarker: boolean; etag: string }[] = [];
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
        ...(versionMarker === undefined ? {} : { VersionIdMarker: versionMarker }),
      }),
    );
    for (const v of page.Versions ?? [])
      out.push({
        key: v.Key ?? '',
        versionId: v.VersionId ?? '',
        deleteMarker: false,
        etag: (v.ETag ?? '').replace(/"/g, ''),
      });
    for (const m of page.DeleteMarkers ?? [])
      out.push({ key: m.Key ?? '', versionId: m.VersionId ?? '', deleteMarker: true, etag: '' });
    if (page.IsTruncated !== true) return out;
    keyMarker = page.NextKeyMarker;
    versionMarker = page.NextVersionIdMarker;
  }
}

/** The retention and legal hold of one object version, as GetObjectRetention and GetObjectLegalHold answer. */
export async function lockOf(
  client: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<{ mode?: string; until?: number; legalHold?: string }> {
  const version = versionId === undefined ? {} : { VersionId: versionId };
  const retention = await client
    .send(new GetObjectRetentionCommand({ Bucket: bucket, Key: key, ...version }))
    .then((r) => r.Retention)
    .catch(() => undefined);
  const hold = await client
    .send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: key, ...version }))
    .then((r) => r.LegalHold?.Status)
    .catch(() => undefined);
  return {
    ...(retention?.Mode === undefined ? {} : { mode: retention.Mode }),
    ...(retention?.RetainUntilDate === undefined
      ? {}
      : { until: new Date(retention.RetainUntilDate).getTime() }),
    ...(hold === undefined ? {} : { legalHold: hold }),
  };
}

async function emptyLockedBucket(info: S3ServerInfo, bucket: string): Promise<void> {
  const client = makeS3Client(info);
  try {
    for (const u of await listAllMultipartUploads(client, bucket))
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.key, UploadId: u.uploadId }))
        .catch(() => undefined);
    for (const v of await listVersions(client, bucket)) {
      const target = { Bucket: bucket, Key: v.key, VersionId: v.versionId };
      if (!v.deleteMarker)
        await client
          .send(new PutObjectLegalHoldCommand({ ...target, LegalHold: { Status: 'OFF' } }))
          .catch(() => undefined);
      await client
        .send(new DeleteObjectCommand({ ...target, BypassGovernanceRetention: true }))
        .catch(() => undefined);
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  } finally {
    client.destroy();
  }
}
