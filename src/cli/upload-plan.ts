/**
 * What one `s3ferry upload` run will do with each file it was given, decided before anything is
 * sent: each file's size (the progress bar's total), and whether it goes or is skipped.
 */
import type { FileStat, FileSystem } from '../transfer/file-system.js';
import type { FileToUpload } from './expand-paths.js';

/** A file of the run with what a stat said of it (undefined when it could not be stat'ed). */
export interface StatedFile extends FileToUpload {
  readonly stat: FileStat | undefined;
}

/** Stats in flight while sizing the run: one at a time took about a second per 10,000 files. */
const STATS_IN_FLIGHT = 32;

/**
 * Stats every file, STATS_IN_FLIGHT at a time, and keeps their order. A file that cannot be
 * stat'ed counts 0 bytes here; its upload fails later with the cause.
 */
export async function statFiles(
  files: readonly FileToUpload[],
  fs: Pick<FileSystem, 'stat'>,
): Promise<StatedFile[]> {
  const out = new Array<StatedFile>(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) {
      const f = files[i];
      if (f === undefined) continue;
      // each result goes to its own slot: nothing is read before an await and written after it
      out[i] = { ...f, stat: await fs.stat(f.path).catch(() => undefined) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(STATS_IN_FLIGHT, files.length) }, worker));
  return out;
}

/** Bytes of the files (0 for those that could not be stat'ed). */
export function totalBytes(files: readonly StatedFile[]): number {
  let total = 0;
  for (const f of files) total += f.stat?.size ?? 0;
  return total;
}
