/** The source directories of one job: normalised roots and which root a path belongs to. */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { SourceConfig } from '../config/agent-config.js';
import { formatDuration } from '../domain/duration.js';
import type { SourceFileStat } from './file-stamp.js';
import type { Watcher } from './watcher.js';

/** One source directory and its watcher, as a {@link JobSource} keeps it. */
export interface SourceRoot {
  /** Absolute, normalised, no trailing separator. */
  readonly root: string;
  readonly recursive: boolean;
  /** The running watcher (watch mode, once the directory exists). */
  watcher: Watcher | undefined;
  /** Inode of the directory the watcher watches: a different inode means it was replaced. */
  watchedInode: number | undefined;
  /** Its real path (links resolved), found again at each scan; undefined while it is missing. */
  realRoot: string | undefined;
}

/** Where a file sits: its source root and its path relative to it ('/' separators). */
export interface Located {
  readonly root: string;
  readonly relPath: string;
}

/**
 * Resolves the configured sources to absolute roots; the same directory listed twice becomes one
 * root (recursive if either entry is).
 */
export function toSourceRoots(sources: readonly SourceConfig[]): SourceRoot[] {
  const byRoot = new Map<string, SourceRoot>();
  for (const s of sources) {
    const root = path.resolve(s.path);
    const seen = byRoot.get(root);
    byRoot.set(root, {
      root,
      recursive: s.recursive || (seen?.recursive ?? false),
      watcher: undefined,
      watchedInode: undefined,
      realRoot: undefined,
    });
  }
  return [...byRoot.values()];
}

/**
 * The root `absPath` belongs to, or undefined when none takes it (outside every root, or below a
 * non-recursive root's top level). Nested roots: the deepest one wins.
 */
export function locate(roots: readonly SourceRoot[], absPath: string): Located | undefined {
  let best: { root: string; rel: string } | undefined;
  for (const r of roots) {
    const rel = path.relative(r.root, absPath);
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      continue;
    }
    if (!r.recursive && rel.includes(path.sep)) continue;
    if (best === undefined || r.root.length > best.root.length) best = { root: r.root, rel };
  }
  if (best === undefined) return undefined;
  return { root: best.root, relPath: best.rel.split(path.sep).join('/') };
}

/**
 * Checks that `r` is a directory now and finds its real path (kept in `r.realRoot`). Resolves its
 * inode, or the problem in plain language (missing, a file, unreadable) naming when it is checked
 * again. Never rejects.
 */
export async function checkSourceRoot(
  r: SourceRoot,
  stat: (absPath: string) => Promise<SourceFileStat | undefined>,
  rescanInterval: number,
): Promise<{ readonly inode: number } | { readonly problem: string }> {
  let st: SourceFileStat | undefined;
  try {
    st = await stat(r.root);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { problem: `source directory ${r.root} cannot be read: ${why}` };
  }
  if (st !== undefined && !st.isFile) {
    r.realRoot = await realpath(r.root).catch(() => undefined);
    return { inode: st.inode };
  }
  const what = st === undefined ? 'does not exist' : 'is a file, not a directory';
  const every = rescanInterval > 0 ? ` (every ${formatDuration(rescanInterval)})` : '';
  return {
    problem: `source directory ${r.root} ${what}; it is checked again at each rescan${every}`,
  };
}
