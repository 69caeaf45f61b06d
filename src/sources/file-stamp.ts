/** What the sources layer knows about a file: the identity that must stay unchanged to settle. */

/** Size, modification time and inode of a regular file at one moment. */
export interface FileStamp {
  /** Bytes. */
  readonly size: number;
  /** Modification time, milliseconds since the epoch (fractional where the filesystem has ns). */
  readonly mtimeMs: number;
  readonly inode: number;
}

/** A stat result as the sources layer needs it (symbolic links followed). */
export interface SourceFileStat extends FileStamp {
  /** True for a regular file (or a link to one); false for directories, sockets, fifos, devices. */
  readonly isFile: boolean;
  /** Status-change time, ms since the epoch (a parked file whose ctime moved is queued again). */
  readonly ctimeMs?: number;
}

/** True when two stamps describe the same unchanged file (size, mtime and inode all equal). */
export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.inode === b.inode;
}

/** A copy holding only the three identity fields (callers may pass richer objects). */
export function toStamp(s: FileStamp): FileStamp {
  return { size: s.size, mtimeMs: s.mtimeMs, inode: s.inode };
}
