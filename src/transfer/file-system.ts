/** The narrow file-system surface the transfer engine reads sources through. */

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

/** True when two stats describe the same unchanged file. */
export function sameFile(
  a: Pick<FileStat, 'size' | 'mtimeMs' | 'inode'>,
  b: Pick<FileStat, 'size' | 'mtimeMs' | 'inode'>,
): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.inode === b.inode;
}
