/** The stat a {@link JobSource} uses on a real filesystem. */
import { stat } from 'node:fs/promises';
import type { SourceFileStat } from './file-stamp.js';

/**
 * Stats `absPath`, following symbolic links. Resolves undefined when there is nothing there (the
 * path or one of its parents is gone, a dangling link, a link loop).
 * @throws the node:fs error for anything else (EACCES, EIO, ...), with its `code`.
 */
export async function statSourceFile(absPath: string): Promise<SourceFileStat | undefined> {
  try {
    const s = await stat(absPath);
    return {
      size: s.size,
      mtimeMs: s.mtimeMs,
      inode: s.ino,
      isFile: s.isFile(),
      ctimeMs: s.ctimeMs,
    };
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw err;
  }
}
