/**
 * The standard headers an object can be written with besides its type (Cache-Control,
 * Content-Disposition, Content-Encoding) and the canned ACLs S3 knows. One rule for the
 * configuration and the command line.
 */

/** The canned ACLs of an object (S3's x-amz-acl values; log-delivery-write is for buckets). */
export const CANNED_ACLS = [
  'private',
  'public-read',
  'public-read-write',
  'authenticated-read',
  'aws-exec-read',
  'bucket-owner-read',
  'bucket-owner-full-control',
] as const;
export type CannedAcl = (typeof CANNED_ACLS)[number];

/** True for a canned ACL S3 knows. */
export function isCannedAcl(value: string): value is CannedAcl {
  return (CANNED_ACLS as readonly string[]).includes(value);
}

/** Printable ASCII, not empty: what these header values may hold. */
export const HEADER_VALUE = /^[\x20-\x7e]+$/;
export const HEADER_VALUE_RULE =
  'must be printable ASCII, not empty (HTTP headers carry nothing else)';

/** Why `value` cannot be sent as a header value, or undefined. */
export function checkHeaderValue(value: string): string | undefined {
  return HEADER_VALUE.test(value) ? undefined : HEADER_VALUE_RULE;
}
