/**
 * The full rescan of one source directory: a streaming walk (opendir, a bounded batch of entries
 * at a time), so memory grows with the depth of the tree, never with the number of files.
 *
 * Regular files are visited, including symbolic links to regular files (followed, reported under
 * the link's own path; whether such a file is taken is the job's `symlinks` rule, link-rule.ts,
 * applied at hand-over). Symbolic links to directories are never followed, which is what rules
 * out loops. A directory that cannot be read is recorded in `errors` and skipped; one bad entry never
 * stops the walk. Entries that vanish between listing and stat, dangling links and link loops are
 * skipped silently: they are not files to take. An entry whose name is not valid UTF-8 cannot be
 * opened through a JavaScript string: it is recorded in `errors`, so that it is never skipped
 * without a word.
 */
import type { Dir, Dirent, Stats } from 'node:fs';
import { lstat, opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileStamp } from './file-stamp.js';
import { hasUndecodableName, NOT_UTF8 } from './undecodable-name.js';

/** A directory or file the scan could not read, with a plain-language reason. */
export interface ScanError {
  /** Absolute path. */
  readonly path: string;
  readonly message: string;
}

/** What {@link scanSource} found. */
export interface ScanResult {
  /** Regular files visited. */
  readonly files: number;
  /** Unreadable directories and files, each skipped. */
  readonly errors: ScanError[];
}

/**
 * Called once per regular file. `absPath` is `root` joined with `relPath`; `relPath` uses '/'
 * separators whatever the platform. The walk waits for a returned promise (backpressure); an
 * exception from it ends the scan and is rethrown.
 */
export type ScanVisitor = (
  absPath: string,
  relPath: string,
  stat: FileStamp,
) => void | Promise<void>;

/** Entries stat'ed concurrently while walking one directory. */
const BATCH = 32;

interface ScanContext {
  readonly recursive: boolean;
  readonly visit: ScanVisitor;
  readonly signal: AbortSignal | undefined;
  readonly errors: ScanError[];
  files: number;
}

type Classified =
  | { readonly kind: 'file'; readonly name: string; readonly stat: FileStamp }
  | { readonly kind: 'dir'; readonly name: string }
  | { readonly kind: 'skip' };

/**
 * Walks `root` (and its subdirectories when `recursive`) and calls `visit` for every regular file.
 * Never throws for an unreadable entry (including a missing or unreadable `root`: see `errors`).
 * @throws an Error named AbortError when `signal` aborts; whatever `visit` throws.
 */
export async function scanSource(
  root: string,
  recursive: boolean,
  visit: ScanVisitor,
  signal?: AbortSignal,
): Promise<ScanResult> {
  const ctx: ScanContext = { recursive, visit, signal, errors: [], files: 0 };
  await walk(ctx, root, '');
  return { files: ctx.files, errors: ctx.errors };
}

async function walk(ctx: ScanContext, absDir: string, relDir: string): Promise<void> {
  throwIfAborted(ctx.signal);
  let dir: Dir;
  try {
    dir = await opendir(absDir, { bufferSize: BATCH });
  } catch (err) {
    // a subdirectory removed since it was listed is not an error; a missing root is
    if (relDir === '' || errnoCode(err) !== 'ENOENT') {
      ctx.errors.push({ path: absDir, message: describe(err, 'directory') });
    } else if (hasUndecodableName(absDir)) {
      ctx.errors.push({ path: absDir, message: NOT_UTF8 });
    }
    return;
  }
  const subdirs: string[] = [];
  let batch: Dirent[] = [];
  try {
    // for-await closes the handle on completion, on a thrown error and on an early exit
    for await (const entry of dir) {
      batch.push(entry);
      if (batch.length >= BATCH) {
        await visitBatch(ctx, absDir, relDir, batch, subdirs);
        batch = [];
      }
    }
    await visitBatch(ctx, absDir, relDir, batch, subdirs);
  } catch (err) {
    if (isAbort(err) || err instanceof VisitError) throw unwrap(err);
    // the listing itself failed part-way (I/O error, directory removed): keep what we have
    ctx.errors.push({ path: absDir, message: describe(err, 'directory') });
  }
  for (const name of subdirs) await walk(ctx, path.join(absDir, name), join(relDir, name));
}

async function visitBatch(
  ctx: ScanContext,
  absDir: string,
  relDir: string,
  batch: readonly Dirent[],
  subdirs: string[],
): Promise<void> {
  throwIfAborted(ctx.signal);
  const classified = await Promise.all(batch.map((e) => classify(ctx, absDir, e)));
  for (const c of classified) {
    if (c.kind === 'dir') {
      subdirs.push(c.name);
    } else if (c.kind === 'file') {
      throwIfAborted(ctx.signal);
      ctx.files += 1;
      try {
        await ctx.visit(path.join(absDir, c.name), join(relDir, c.name), c.stat);
      } catch (err) {
        throw new VisitError(err);
      }
    }
  }
}

async function classify(ctx: ScanContext, absDir: string, entry: Dirent): Promise<Classified> {
  const name = entry.name;
  const abs = path.join(absDir, name);
  if (entry.isDirectory()) return ctx.recursive ? { kind: 'dir', name } : { kind: 'skip' };
  if (!entry.isFile() && !entry.isSymbolicLink()) {
    if (entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice()) {
      return { kind: 'skip' };
    }
    // the filesystem did not say (DT_UNKNOWN, some network filesystems): ask without following
    const l = await statOrSkip(ctx, abs, lstat);
    if (l === undefined) return { kind: 'skip' };
    if (l.isDirectory()) return ctx.recursive ? { kind: 'dir', name } : { kind: 'skip' };
    if (!l.isFile() && !l.isSymbolicLink()) return { kind: 'skip' };
  }
  // regular files and links: stat follows links; a link to a directory is not followed
  const s = await statOrSkip(ctx, abs, stat);
  if (s === undefined || !s.isFile()) return { kind: 'skip' };
  return { kind: 'file', name, stat: { size: s.size, mtimeMs: s.mtimeMs, inode: s.ino } };
}

async function statOrSkip(
  ctx: ScanContext,
  abs: string,
  fn: (p: string) => Promise<Stats>,
): Promise<Stats | undefined> {
  try {
    return await fn(abs);
  } catch (err) {
    const code = errnoCode(err);
    // gone since the listing, a dangling link, a link loop: nothing to take, nothing to report
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'ELOOP') {
      ctx.errors.push({ path: abs, message: describe(err, 'file') });
    } else if (code === 'ENOENT' && hasUndecodableName(abs)) {
      ctx.errors.push({ path: abs, message: NOT_UTF8 });
    }
    return undefined;
  }
}

/** Wraps an exception thrown by the visitor so the walk rethrows it instead of recording it. */
class VisitError extends Error {
  constructor(readonly inner: unknown) {
    super('visitor failed');
  }
}

function unwrap(err: unknown): unknown {
  return err instanceof VisitError ? err.inner : err;
}

function join(relDir: string, name: string): string {
  return relDir === '' ? name : `${relDir}/${name}`;
}

function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A plain-language reason for a failed opendir/readdir/stat. */
function describe(err: unknown, what: 'directory' | 'file'): string {
  const code = errnoCode(err);
  if (code === 'EACCES' || code === 'EPERM') {
    return `permission denied: the ${what} cannot be read by the user running s3ferry`;
  }
  if (code === 'ENOENT') return `no such ${what}`;
  if (code === 'ENOTDIR') return 'not a directory';
  return `cannot read the ${what}: ${err instanceof Error ? err.message : String(err)}`;
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted !== true) return;
  const err = new Error('the scan was aborted');
  err.name = 'AbortError';
  if (signal.reason instanceof Error) err.cause = signal.reason;
  throw err;
}
