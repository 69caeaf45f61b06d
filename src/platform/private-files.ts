/**
 * Files that only the agent's user may read: the journal (with SQLite's `-wal` and `-shm` beside
 * it), the agent lock and the API token. They hold the queue, the history, upload ids and a
 * credential, so they are created 0600 in a directory created 0700, whatever the umask (a umask of
 * 000 would otherwise give 0666 files in a 0777 directory). The modes are set with chmod after
 * creation: the umask can only take bits away from the mode given to open/mkdir, and a umask that
 * removes the owner's own bits must not lock the agent out either.
 *
 * A directory that exists already is left as it is (a journal may live in a shared directory such
 * as /var/lib/s3ferry; its files are private all the same). A file that exists already is made
 * 0600 when it is ours, so a journal created by an earlier version gets tightened too.
 */
import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** rw for the owner only. */
export const PRIVATE_FILE_MODE = 0o600;
/** rwx for the owner only. */
export const PRIVATE_DIR_MODE = 0o700;

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/**
 * Creates `dir` if it does not exist: its missing parents with the default mode, `dir` itself
 * 0700. Throws node:fs errors (EACCES, ENOTDIR, …).
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dirname(dir), { recursive: true });
  try {
    mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
  } catch (err) {
    if (errno(err) === 'EEXIST') return;
    throw err;
  }
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * Makes an existing file 0600; nothing when it does not exist (ENOENT) or is another user's
 * (EPERM: the owner decides its mode). Throws other node:fs errors.
 */
export function tightenFile(path: string): void {
  try {
    chmodSync(path, PRIVATE_FILE_MODE);
  } catch (err) {
    if (errno(err) === 'ENOENT' || errno(err) === 'EPERM') return;
    throw err;
  }
}

/** Creates `path` empty and 0600 unless it exists; an existing one is tightened instead. */
export function ensurePrivateFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
  } catch (err) {
    if (errno(err) !== 'EEXIST') throw err;
    tightenFile(path);
    return;
  }
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `path` with `content`, 0600, failing with EEXIST when it exists (O_EXCL: of two
 * processes creating it at once, exactly one succeeds; a symlink in its place is not followed).
 */
export function writePrivateFileExclusive(path: string, content: string): void {
  const fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}
