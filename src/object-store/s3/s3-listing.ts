/**
 * The paginated listings of s3-object-target.ts: every page of ListParts and ListMultipartUploads.
 * Each page is one SDK call, passed through `call` so that its failure is classified like any
 * other request's.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { normalizeEtag } from '../../domain/etag.js';
import type { MultipartUploadInfo, RemotePart } from '../object-target.js';
import { s3 } from './aws-sdk.js';
import { opts } from './s3-params.js';

/** Runs one SDK call with the target's classification. */
export type Call = <T>(run: () => Promise<T>) => Promise<T>;

/** Every part of an upload, sorted by number. */
export async function listAllParts(
  client: S3Client,
  call: Call,
  target: { bucket: string; key: string; uploadId: string },
  signal: AbortSignal | undefined,
): Promise<RemotePart[]> {
  const parts: RemotePart[] = [];
  let marker: string | undefined;
  for (;;) {
    const out = await call(() =>
      client.send(
        new s3.ListPartsCommand({
          Bucket: target.bucket,
          Key: target.key,
          UploadId: target.uploadId,
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

/** Every unfinished multipart upload under `prefix`. */
export async function listAllMultipartUploads(
  client: S3Client,
  call: Call,
  bucket: string,
  prefix: string,
  signal: AbortSignal | undefined,
): Promise<MultipartUploadInfo[]> {
  const uploads: MultipartUploadInfo[] = [];
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  for (;;) {
    const out = await call(() =>
      client.send(
        new s3.ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: prefix,
          ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
          ...(idMarker === undefined ? {} : { UploadIdMarker: idMarker }),
        }),
        opts(signal),
      ),
    );
    for (const u of out.Uploads ?? []) {
      if (u.Key !== undefined && u.UploadId !== undefined)
        uploads.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated?.getTime() ?? 0 });
    }
    if (out.IsTruncated !== true) break;
    keyMarker = out.NextKeyMarker;
    idMarker = out.NextUploadIdMarker;
  }
  return uploads;
}
