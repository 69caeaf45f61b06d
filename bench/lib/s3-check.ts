/** What the suite asks the store itself: verification listings, cleanup, multipart state. */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/** Objects and bytes under `prefix` (ListObjectsV2, every page). */
export async function listPrefix(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ objects: number; bytes: number; keys: string[] }> {
  const keys: string[] = [];
  let bytes = 0;
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    for (const o of page.Contents ?? []) {
      keys.push(o.Key ?? '');
      bytes += o.Size ?? 0;
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return { objects: keys.length, bytes, keys };
}

/** Deletes every object under `prefix`, 16 requests at a time; resolves with the count. */
export async function deletePrefix(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<number> {
  const { keys } = await listPrefix(client, bucket, prefix);
  for (let i = 0; i < keys.length; i += 16) {
    await Promise.all(
      keys
        .slice(i, i + 16)
        .map((Key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key }))),
    );
  }
  return keys.length;
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Bytes of the parts the store holds for the open multipart uploads under `prefix`. */
export async function storedPartBytes(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ uploads: number; parts: number; bytes: number }> {
  const ups = await client.send(
    new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }),
  );
  let parts = 0;
  let bytes = 0;
  for (const u of ups.Uploads ?? []) {
    let marker: string | undefined;
    for (;;) {
      const page = await client.send(
        new ListPartsCommand({
          Bucket: bucket,
          Key: u.Key ?? '',
          UploadId: u.UploadId ?? '',
          ...(marker === undefined ? {} : { PartNumberMarker: marker }),
        }),
      );
      for (const p of page.Parts ?? []) {
        parts += 1;
        bytes += p.Size ?? 0;
      }
      if (page.IsTruncated !== true || page.NextPartNumberMarker === undefined) break;
      marker = page.NextPartNumberMarker;
    }
  }
  return { uploads: ups.Uploads?.length ?? 0, parts, bytes };
}
