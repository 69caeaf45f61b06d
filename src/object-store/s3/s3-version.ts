/**
 * Version ids as s3ferry keeps them (issue 16, item 2): what a versioned bucket answers a write
 * with (x-amz-version-id), on the direct path and the SDK's alike.
 */
import { normalizeEtag } from '../../domain/etag.js';
import type { VersionOption, WriteAnswer } from '../object-target.js';

/**
 * The version id the store gave, or undefined: none on an unversioned bucket, and the literal
 * 'null' of a bucket whose versioning is suspended names no version that lasts (the next write to
 * the key replaces it), so it is not kept either.
 */
export function versionIdOf(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === 'null' ? undefined : value;
}

/** A write's answer: its ETag (quotes stripped) and the version it created, if any. */
export function writeAnswer(etag: string | undefined, versionId: string | undefined): WriteAnswer {
  const version = versionIdOf(versionId);
  return { etag: normalizeEtag(etag), ...(version === undefined ? {} : { versionId: version }) };
}

/** The SDK's VersionId parameter of a read, when one names a version. */
export function versionParam(options: VersionOption | undefined): { VersionId?: string } {
  return options?.versionId === undefined ? {} : { VersionId: options.versionId };
}
