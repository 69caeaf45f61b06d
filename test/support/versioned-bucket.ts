/**
 * A test bucket with versioning enabled (PutBucketVersioning), and what a user would ask of it:
 * the versions of a key as ListObjectVersions gives them. cleanup() deletes every version and
 * delete marker first (a versioned bucket is empty only then), then the bucket as
 * createTestBucket's cleanup does.
 */
import {
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createTestBucket, makeS3Client, type S3ServerInfo } from './s3-server.js';

/** One version of a key, newest first in {@link listVersions}. */
export interface ListedVersion {
  readonly key: string;
  readonly versionId: string;
  readonly isLatest: boolean;
  readonly etag: string;
  readonly size: number;
}

/** Every version (not the delete markers) of the bucket's keys under `prefix`, newest first per key. */
export async function listVersions(
  client: S3Client,
  bucket: string,
  prefix = '',
): Promise<ListedVersion[]> {
  const out: ListedVersion[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
        ...(versionIdMarker === undefined ? {} : { VersionIdMarker: versionIdMarker }),
      }),
    );
    for (const v of page.Versions ?? [])
      out.push({
        key: v.Key ?? '',
        versionId: v.VersionId ?? '',
        isLatest: v.IsLatest === true,
        etag: (v.ETag ?? '').replace(/"/g, ''),
        size: v.Size ?? 0,
      });
    if (page.IsTruncated !== true) return out;
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
  }
}

/** Deletes every version and delete marker of the bucket. */
async function deleteAllVersions(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const all = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])];
    if (all.length === 0) return;
    for (const v of all)
      await client.send(
        new DeleteObjectCommand({ Bucket: bucket, Key: v.Key ?? '', VersionId: v.VersionId }),
      );
  }
}

/** A new bucket with versioning enabled; cleanup() removes every version, then the bucket. */
export async function createVersionedBucket(
  info: S3ServerInfo,
  label: string,
): Promise<{ name: string; cleanup(): Promise<void> }> {
  const bucket = await createTestBucket(info, label);
  const client = makeS3Client(info);
  try {
    await client.send(
      new PutBucketVersioningCommand({
        Bucket: bucket.name,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    );
  } finally {
    client.destroy();
  }
  return {
    name: bucket.name,
    async cleanup() {
      const c = makeS3Client(info);
      try {
        await deleteAllVersions(c, bucket.name);
      } catch {
        // the server is gone: the bucket's own cleanup says so
      } finally {
        c.destroy();
      }
      await bucket.cleanup();
    },
  };
}
