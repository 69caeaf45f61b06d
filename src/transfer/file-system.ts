/**
 * The narrow file-system surface the transfer engine reads sources through, and the moves the
 * agent's after-action makes of a source once its object is verified.
 */

/** What identifies a file's content at a moment. */
export interface FileStat {
  readonly size: number;
  readonly mtimeMs: number;
  readonly inode: number;
  readonly isFile: boolean;
  /** Status-change time, ms since the epoch (for `{ctime:…}` keys). */
  readonly ctimeMs?: number;
}

/** An open source file, read by position (parts are read concurrently). */
export interface OpenFile {
  stat(): Promise<FileStat>;
  /** Reads up to `length` bytes at `position` into `buffer` from offset 0; returns bytes read. */
  read(buffer: Uint8Array, position: number, length: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Rejects with AppError ERR_FILE_NOT_FOUND (gone) or ERR_FILE_UNREADABLE (permissions, not a
 * regular file, I/O error), naming the path.
 */
export interface FileSystem {
  stat(path: string): Promise<FileStat>;
  open(path: string): Promise<OpenFile>;
}

/**
 * What the agent's after-action does to a source file (DESIGN.md item 9). Both reject with AppError
 * ERR_FILE_NOT_FOUND or ERR_FILE_UNREADABLE naming the path.
 */
export interface FileMoves {
  /** Deletes the file. */
  unlink(path: string): Promise<void>;
  /**
   * Moves the file to `to`, creating `to`'s directory first: a rename, or across file systems a
   * copy and then the delete of the source.
   */
  move(from: string, to: string): Promise<void>;
}

/** True when two stats describe the same unchanged file. */
export function sameFile(
  a: Pick<FileStat, 'size' | 'mtimeMs' | 'inode'>,
  b: Pick<FileStat, 'size' | 'mtimeMs' | 'inode'>,
): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.inode === b.inode;
}
