/**
 * ETags S3 computes, computed locally so an upload can be verified with HeadObject. A single PUT's
 * ETag is the hex MD5 of the body; a multipart object's is the hex MD5 of the concatenated binary
 * MD5s of its parts, then "-" and the part count. (Not true for SSE-KMS/SSE-C objects, whose ETag
 * is not an MD5: callers skip the comparison there.)
 */
import { createHash } from 'node:crypto';

/** Strips the quotes S3 puts around ETags. */
export function normalizeEtag(etag: string | undefined | null): string {
  return (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
}

/** The ETag of a multipart object from its parts' hex MD5s, in part order. */
export function multipartEtag(partMd5Hex: readonly string[]): string {
  const hash = createHash('md5');
  for (const md5 of partMd5Hex) hash.update(Buffer.from(md5, 'hex'));
  return `${hash.digest('hex')}-${partMd5Hex.length}`;
}

/** Base64 form of a hex MD5, as the Content-MD5 header wants it. */
export function md5HexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}
