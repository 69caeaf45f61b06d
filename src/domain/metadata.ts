/**
 * User metadata (x-amz-meta-*) as S3 takes it: it travels in HTTP headers, so a name must be a
 * header token and a value printable ASCII (S3 documents US-ASCII; HTTP clients refuse anything
 * beyond Latin-1). One rule for the configuration and the command line.
 */

/** HTTP header name characters, which x-amz-meta-* names must use. */
export const METADATA_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
export const METADATA_NAME_RULE =
  "a metadata name may contain only letters, digits and !#$%&'*+.^_`|~-";

/** Printable ASCII: what a metadata value may hold. */
export const METADATA_VALUE = /^[\x20-\x7e]*$/;
export const METADATA_VALUE_RULE = 'metadata values must be printable ASCII';

/** Why `name: value` cannot be sent as metadata, or undefined. */
export function checkMetadata(name: string, value: string): string | undefined {
  if (!METADATA_NAME.test(name)) return `"${name}": ${METADATA_NAME_RULE}`;
  if (!METADATA_VALUE.test(value)) return `"${name}": ${METADATA_VALUE_RULE}`;
  return undefined;
}
