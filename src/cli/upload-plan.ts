/**
 * What one `s3ferry upload` run will do with each file it was given, decided before anything is
 * sent: the filters leave files out, each file is sized (the progress bar's total), and a file the
 * journal knows as uploaded to the same key and destination, unchanged since (size, mtime, inode),
 * is skipped unless --force, as `rclone copy` skips what is already there.
 */
import type { Destination } from '../journal/journal-store.js';
import { sameFile, type FileStat, type FileSystem } from '../transfer/file-system.js';
import type { UploadLedger } from '../transfer/transfer-types.js';
import type { FileToUpload } from './expand-paths.js';
import type { PathFilters } from './upload-filters.js';

/** A file of the run with what a stat said of it (undefined when it could not be stat'ed). */
export interface StatedFile extends FileToUpload {
  readonly stat: FileStat | undefined;
}

/** Why a file is not sent. */
export type SkipReason = 'unchanged' | 'exists';

export interface SkippedFile {
  readonly file: FileToUpload;
  readonly reason: SkipReason;
}

/** The files to send and those skipped, each in the order given. */
export interface UploadPlan {
  readonly send: readonly StatedFile[];
  readonly skipped: readonly SkippedFile[];
}

/** Stats and journal look-ups in flight: one at a time took about a second per 10,000 files. */
const IN_FLIGHT = 32;

/** `fn` of every item, at most `limit` at once; results in the items' order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i] as T;
      // each result goes to its own slot: nothing is read before an await and written after it
      out[i] = await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Stats every file and keeps their order. A file that cannot be stat'ed counts 0 bytes here; its
 * upload fails later with the cause.
 */
export function statFiles(
  files: readonly FileToUpload[],
  fs: Pick<FileSystem, 'stat'>,
): Promise<StatedFile[]> {
  return mapLimit(files, IN_FLIGHT, async (f) => ({
    ...f,
    stat: await fs.stat(f.path).catch(() => undefined),
  }));
}

/** Bytes of the files (0 for those that could not be stat'ed). */
export function totalBytes(files: readonly StatedFile[]): number {
  let total = 0;
  for (const f of files) total += f.stat?.size ?? 0;
  return total;
}

/** What planning needs besides the files. */
export interface PlanDeps {
  readonly fs: Pick<FileSystem, 'stat'>;
  readonly journal: Pick<UploadLedger, 'findLatestUpload'>;
  /** The destination's endpoint ('' for AWS) and bucket, as the journal names them. */
  readonly endpoint: string;
  readonly bucket: string;
  readonly filters: PathFilters;
  /** Send files the journal knows as uploaded and unchanged (--force). */
  readonly force: boolean;
}

/** Filters, stats and sorts the files into those to send and those unchanged since uploaded. */
export async function planUpload(
  files: readonly FileToUpload[],
  deps: PlanDeps,
): Promise<UploadPlan> {
  const stated = await statFiles(
    files.filter((f) => deps.filters.includes(f.rel)),
    deps.fs,
  );
  const unchanged = deps.force
    ? stated.map(() => false)
    : await mapLimit(stated, IN_FLIGHT, (f) => isUnchanged(f, deps));
  return {
    send: stated.filter((_, i) => unchanged[i] !== true),
    skipped: stated
      .filter((_, i) => unchanged[i] === true)
      .map((file) => ({ file, reason: 'unchanged' })),
  };
}

/** True when the journal's last upload to this key was of this file, unchanged, and verified. */
async function isUnchanged(f: StatedFile, deps: PlanDeps): Promise<boolean> {
  if (f.stat === undefined) return false;
  const destination: Destination = { endpoint: deps.endpoint, bucket: deps.bucket, key: f.key };
  const last = await deps.journal.findLatestUpload(destination);
  return (
    last !== undefined &&
    last.state === 'verified' &&
    last.source.path === f.path &&
    sameFile(last.source, f.stat)
  );
}
