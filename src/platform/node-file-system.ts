/** FileSystem on node:fs, mapping errno codes to AppErrors that name the cause and the fix. */
import { open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { AppError } from '../errors/app-error.js';
import type { FileStat, FileSystem, OpenFile } from '../transfer/file-system.js';

function toStat(s: Stats): FileStat {
  return { size: s.size, mtimeMs: s.mtimeMs, inode: s.ino, isFile: s.isFile(), ctimeMs: s.ctimeMs };
}

/** Turns a node:fs error about `path` into an AppError. */
export function fileError(err: unknown, path: string): AppError {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new AppError('ERR_FILE_NOT_FOUND', `${path}: no such file (it was deleted or moved)`, {
      hint: 'nothing to upload; check the path',
      cause: err,
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new AppError('ERR_FILE_UNREADABLE', `${path}: permission denied`, {
      hint: 'give the user running s3ferry read permission on the file and its directories',
      cause: err,
    });
  }
  if (code === 'ELOOP') {
    return new AppError(
      'ERR_FILE_UNREADABLE',
      `${path}: too many levels of symbolic links (a link loop)`,
      {
        hint: 'fix or remove the symbolic link',
        cause: err,
      },
    );
  }
  const what = err instanceof Error ? err.message : String(err);
  return new AppError('ERR_FILE_UNREADABLE', `${path}: cannot be read: ${what}`, {
    hint: 'check the file and the disk',
    cause: err,
  });
}

/** The real file system. */
export const nodeFileSystem: FileSystem = {
  async stat(path) {
    try {
      return toStat(await stat(path));
    } catch (err) {
      throw fileError(err, path);
    }
  },
  async open(path) {
    try {
      const handle = await open(path, 'r');
      const file: OpenFile = {
        stat: async () => toStat(await handle.stat()),
        read: async (buffer, position, length) => {
          let done = 0;
          // A positional read may return less than asked; loop until EOF or full.
          while (done < length) {
            const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
            if (bytesRead === 0) break;
            done += bytesRead;
          }
          return done;
        },
        close: () => handle.close(),
      };
      return file;
    } catch (err) {
      throw fileError(err, path);
    }
  },
};
