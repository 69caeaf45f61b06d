/**
 * FileSystem on node:fs, mapping errno codes to AppErrors that name the cause and the fix.
 *
 * Files are read through raw descriptors and node's callback API, not `fs/promises` FileHandles:
 * a FileHandle is an object with a finalizer, and each of its calls builds a promise request on
 * top of the same thread-pool job. For a 4 KiB file (stat, open, read, fstat, close) that was
 * about 170 against 90 µs of CPU per file (bench/optimizations.md). The price is that nothing
 * closes a forgotten descriptor: every open is closed in a `finally` by its caller, and `close`
 * runs at most once (closing a descriptor number twice could close a file opened since).
 *
 * Opening never blocks: a source file is opened with O_NONBLOCK and its descriptor fstat'ed, and
 * anything but a regular file is closed again and refused (ERR_FILE_UNREADABLE, parked with the
 * cause). Without that, a FIFO renamed over a file between its stat and its open (or while its
 * multipart upload was being created) blocked the open in a libuv thread until a writer came:
 * four such files took every thread, all file I/O stopped and SIGTERM no longer ended the agent
 * (issue 15, item 5). O_NONBLOCK changes nothing for reads of regular files.
 */
import fs, { type Stats } from 'node:fs';
import { copyFile, mkdir, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../errors/app-error.js';
import type { FileMoves, FileStat, FileSystem, OpenFile } from '../transfer/file-system.js';

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

/** Flags of every open of a source file: read only, never blocking, never a controlling tty. */
export const SOURCE_OPEN_FLAGS =
  fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

/** What a non-regular file is, for the message. */
function kindOf(s: Stats): string {
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isDirectory()) return 'a directory';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'something else';
}

/**
 * The error for a path that turned out not to be a regular file once opened: something else
 * (a FIFO, a device) took its place after it was checked.
 */
export function notRegularFile(path: string, s: Stats): AppError {
  return new AppError(
    'ERR_FILE_UNREADABLE',
    `${path} is now ${kindOf(s)}, not a regular file (it was replaced after it was checked); ` +
      'it is not read',
    {
      hint: 'only regular files are uploaded: put the file back in place',
    },
  );
}

/** Runs a node:fs callback call as a promise; errors become AppErrors about `path`. */
function call<T>(path: string, start: (done: (err: Error | null, value: T) => void) => void) {
  return new Promise<T>((resolve, reject) => {
    start((err, value) => {
      if (err === null) resolve(value);
      else reject(fileError(err, path));
    });
  });
}

function openFile(path: string, fd: number): OpenFile {
  let closed = false;
  const readAt = (buffer: Uint8Array, offset: number, length: number, position: number) =>
    call<number>(path, (done) => {
      fs.read(fd, buffer, offset, length, position, done);
    });
  return {
    stat: async () =>
      toStat(
        await call<Stats>(path, (done) => {
          fs.fstat(fd, done);
        }),
      ),
    read: async (buffer, position, length) => {
      let done = 0;
      // A positional read may return less than asked; loop until EOF or full.
      while (done < length) {
        const n = await readAt(buffer, done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    },
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      return call<undefined>(path, (done) => {
        fs.close(fd, (err) => {
          done(err, undefined);
        });
      });
    },
  };
}

/** The after-action's moves on the real file system (errors name the source path). */
const nodeFileMoves: FileMoves = {
  async unlink(path) {
    await unlink(path).catch((err: unknown) => {
      throw fileError(err, path);
    });
  },
  async move(from, to) {
    try {
      await mkdir(dirname(to), { recursive: true });
      await rename(from, to).catch(async (err: unknown) => {
        if ((err as { code?: unknown }).code !== 'EXDEV') throw err;
        // Another file system: copy, then delete the source (the copy is whole before it goes).
        await copyFile(from, to);
        await unlink(from);
      });
    } catch (err) {
      throw fileError(err, from);
    }
  },
};

/** The real file system. */
export const nodeFileSystem: FileSystem & FileMoves = {
  ...nodeFileMoves,
  async stat(path) {
    return toStat(
      await call<Stats>(path, (done) => {
        fs.stat(path, done);
      }),
    );
  },
  async open(path) {
    const fd = await call<number>(path, (done) => {
      fs.open(path, SOURCE_OPEN_FLAGS, done);
    });
    let st: Stats;
    try {
      st = await call<Stats>(path, (done) => {
        fs.fstat(fd, done);
      });
    } catch (err) {
      fs.close(fd, () => undefined);
      throw err;
    }
    if (!st.isFile()) {
      fs.close(fd, () => undefined);
      throw notRegularFile(path, st);
    }
    return openFile(path, fd);
  },
};
