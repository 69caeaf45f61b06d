/**
 * The one rule for what in the store is s3ferry's (DESIGN.md items 6 and 8): only what is ours is
 * ever aborted or replaced, never another client's work. Used by the engine (resume, abandon,
 * adopt), by `s3ferry cleanup`, and for objects by the overwrite checks.
 *
 * An unfinished multipart upload is ours when the journal holds its UploadId, or when it was
 * created for a journaled intent that never got its UploadId written (a crash between
 * CreateMultipartUpload and the journal write). S3 lists no metadata for uploads in progress, so
 * such an upload is recognised by its key and by being initiated within a window around the
 * intent's start.
 */
import { createHash } from 'node:crypto';
import type { SourceIdentity, UploadRecord } from '../journal/journal-store.js';
import type { MultipartUploadInfo, ObjectHead } from '../object-store/object-target.js';
import { sameFile, type FileStat } from './file-system.js';
import { INTENT_METADATA_KEY, SOURCE_METADATA_KEY, type UploadLedger } from './transfer-types.js';

/**
 * An upload on an intent's key is that intent's when initiated this close to the intent's start,
 * ms: CreateMultipartUpload follows the intent's journal write at once, but clocks differ and a
 * Create may be retried for minutes.
 */
export const UNJOURNALED_WINDOW_MS = 15 * 60_000;

/** Whose an in-progress multipart upload is. */
export type UploadOwner =
  /** An open upload of the journal has this UploadId. */
  | { readonly kind: 'open'; readonly record: UploadRecord }
  /** The journal knows this UploadId; its upload was closed there (aborted, failed, verified). */
  | { readonly kind: 'closed' }
  /** An open intent without UploadId created it (see the module comment). */
  | { readonly kind: 'intent'; readonly record: UploadRecord }
  /** Not s3ferry's: never touched. */
  | { readonly kind: 'foreign' };

/**
 * Whose `upload` is, given the journal's open uploads of its destination (all of them, or those
 * of its key).
 */
export async function uploadOwner(
  upload: MultipartUploadInfo,
  open: readonly UploadRecord[],
  ledger: Pick<UploadLedger, 'knowsUploadId'>,
): Promise<UploadOwner> {
  const byId = open.find((r) => r.uploadId === upload.uploadId);
  if (byId !== undefined) return { kind: 'open', record: byId };
  if (await ledger.knowsUploadId(upload.uploadId)) return { kind: 'closed' };
  const intent = open.find(
    (r) =>
      r.uploadId === null &&
      r.mode === 'multipart' &&
      r.destination.key === upload.key &&
      Math.abs(upload.initiated - r.startedAt) <= UNJOURNALED_WINDOW_MS,
  );
  return intent === undefined ? { kind: 'foreign' } : { kind: 'intent', record: intent };
}

/** The journal intent an object was written under (its `s3ferry-intent` metadata), if any. */
export function objectIntent(head: ObjectHead): number | undefined {
  const id = Number(head.metadata[INTENT_METADATA_KEY]);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/**
 * The token of one version of a source file (path, size, mtime, inode), carried by a single-part
 * object as its `s3ferry-source` metadata: nothing is journaled before a single PUT, so this is how
 * a retry, a restart or another agent of the fleet recognises the object an earlier attempt at this
 * same, unchanged file wrote. A hash, so that the path is not spelt out in the object's metadata.
 */
export function sourceToken(source: SourceIdentity): string {
  const text = JSON.stringify([source.path, source.size, source.mtimeMs, source.inode]);
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** The source token an object was written with (its `s3ferry-source` metadata), if any. */
export function objectSource(head: ObjectHead): string | undefined {
  const token = head.metadata[SOURCE_METADATA_KEY];
  return token === undefined || token === '' ? undefined : token;
}

/**
 * True when the object was written by an upload of this same, unchanged file (path, size, mtime,
 * inode): replacing it, or taking it as this file's upload, loses nobody's data. A single-part
 * object says so by its source token; a multipart one by the journal intent it names.
 */
export async function writtenFromSource(
  head: ObjectHead,
  ledger: Pick<UploadLedger, 'getUpload'>,
  path: string,
  st: FileStat,
): Promise<boolean> {
  const source = { path, size: st.size, mtimeMs: st.mtimeMs, inode: st.inode };
  if (objectSource(head) === sourceToken(source)) return head.size === st.size;
  const id = objectIntent(head);
  if (id === undefined) return false;
  const upload = await ledger.getUpload(id);
  return (
    upload !== undefined &&
    upload.source.path === path &&
    sameFile(upload.source, st) &&
    upload.source.size === head.size
  );
}
