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

/** What is wrong with a source directory. */
export type RootProblemKind = 'missing' | 'not-a-directory' | 'unreadable';

/** When a root with a problem is looked at again: the re-check interval, else the rescans. */
export interface RecheckTimes {
  /** Interval of the periodic rescan, ms (0: none). */
  readonly rescanInterval: number;
  /** Interval of the re-check of roots with a problem, ms (root-problems.ts); 0 or absent: none. */
  readonly recheckInterval?: number | undefined;
}

/** What a root's check says is wrong with it. */
export interface RootCheckProblem {
  readonly kind: RootProblemKind;
  readonly problem: string;
}

/**
 * Checks that `r` is a directory now and finds its real path (kept in `r.realRoot`). Resolves its
 * inode, or the problem in plain language (missing, a file, unreadable) naming when it is checked
 * again. Never rejects.
 */
export async function checkSourceRoot(
  r: SourceRoot,
  stat: (absPath: string) => Promise<SourceFileStat | undefined>,
  times: RecheckTimes,
): Promise<{ readonly inode: number } | RootCheckProblem> {
  let st: SourceFileStat | undefined;
  try {
    st = await stat(r.root);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      kind: 'unreadable',
      problem: `source directory ${r.root} cannot be read: ${why}${again(times)}`,
    };
  }
  if (st !== undefined && !st.isFile) {
    r.realRoot = await realpath(r.root).catch(() => undefined);
    return { inode: st.inode };
  }
  const missing = st === undefined;
  return {
    kind: missing ? 'missing' : 'not-a-directory',
    problem: `source directory ${r.root} ${missing ? 'does not exist' : 'is a file, not a directory'}${again(times)}`,
  };
}

/** "; it is checked again …", naming the interval. */
function again(times: RecheckTimes): string {
  const recheck = times.recheckInterval ?? 0;
  if (recheck > 0)
    return `; it is checked again every ${formatDuration(recheck)} and taken as soon as it is there`;
  const every = times.rescanInterval > 0 ? ` (every ${formatDuration(times.rescanInterval)})` : '';
  return `; it is checked again at each rescan${every}`;
}
