/**
 * Verification after an upload: HeadObject, then compare size and the ETag computed locally.
 * (RGW returns an empty ETag from CompleteMultipartUpload; HeadObject gives the real one.)
 */
import { multipartEtag } from '../domain/etag.js';
import { AppError } from '../errors/app-error.js';
import type { PartRecord, UploadMode } from '../journal/journal-store.js';
import type { ObjectTarget, WriteOptions } from '../object-store/object-target.js';

/** The ETag S3 should report for an object uploaded from these parts. */
export function expectedEtag(mode: UploadMode, parts: readonly PartRecord[]): string {
  if (mode === 'single') return parts[0]?.md5 ?? '';
  return multipartEtag(parts.map((p) => p.md5));
}

/** Throws ERR_VERIFY_FAILED unless the object has the expected size and ETag; returns the ETag. */
export async function verifyObject(
  target: ObjectTarget,
  key: string,
  expected: { size: number; etag: string; intentId: number },
  write: WriteOptions,
  signal?: AbortSignal,
): Promise<string> {
  const head = await target.headObject(key, signal);
  const where = `s3://${target.bucket}/${key}`;
  if (head === undefined) {
    throw new AppError(
      'ERR_VERIFY_FAILED',
      `${where} is missing right after its upload was accepted`,
      {
        hint: 'something deleted it, or the store is eventually consistent; the file will be uploaded again',
      },
    );
  }
  if (head.size !== expected.size) {
    throw new AppError(
      'ERR_VERIFY_FAILED',
      `${where} has ${head.size} bytes, the file ${expected.size}`,
      {
        hint: 'another writer replaced the object, or the store lost data; the file will be uploaded again',
      },
    );
  }
  // With SSE-KMS (and SSE-C) the ETag is not an MD5 of the content: size is all we can compare.
  const comparable = write.sse?.mode !== 'aws:kms' && head.etag !== '';
  if (comparable && head.etag !== expected.etag) {
    throw new AppError(
      'ERR_VERIFY_FAILED',
      `${where} has ETag ${head.etag}, expected ${expected.etag} from the local file`,
      {
        hint: 'another writer replaced the object, or the bytes differ; the file will be uploaded again',
      },
    );
  }
  return head.etag === '' ? expected.etag : head.etag;
}
