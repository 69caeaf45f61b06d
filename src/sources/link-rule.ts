/**
 * The one rule for symbolic links under a job's sources (DESIGN.md item 15, issue 15 item 4),
 * used by the watcher's and the rescan's hand-over (job-source.ts) and by backfill alike:
 *
 * - `inside` (default): a file reached through a link is taken only when its real path (every
 *   link resolved) lies inside the real path of one of the job's sources. `ln -s
 *   /etc/s3ferry/agent.yaml src/x.txt` is refused, with the reason, instead of uploading the
 *   configuration and its secrets.
 * - `follow`: any link is taken (whoever writes the sources is trusted).
 * - `skip`: nothing reached through a link below a source is taken.
 *
 * A source given as a link is the source: links above or at a source's root are resolved once
 * and count as its real path. Links to directories are never descended by the scanner nor the
 * watcher, whatever the policy (no loops, no surprise trees): files below the target are found
 * under their own path when a source holds them.
 *
 * The real path must also still hold the file that was stat'ed (same inode): a link swapped
 * between the stat and the check is not taken on the strength of the earlier answer.
 */
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';

/** What a job does with symbolic links; see the module comment. */
export type SymlinkPolicy = 'inside' | 'follow' | 'skip';

/** The default: links that stay inside the job's sources. */
export const DEFAULT_SYMLINK_POLICY: SymlinkPolicy = 'inside';

/** The verdict on one file. */
export type LinkVerdict =
  | { readonly take: true }
  /** Refused by `symlinks: inside`: a person should hear why (once per link). */
  | { readonly take: false; readonly why: 'outside'; readonly message: string }
  /**
   * Not taken without a word: reached through a link under `symlinks: skip`, gone (or a dangling
   * link, a loop), or changed since its stat (look again).
   */
  | { readonly take: false; readonly why: 'skipped' | 'gone' | 'changed' };

/** True when `p` is `dir` or below it (both absolute and normalised). */
export function isWithin(dir: string, p: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/** Where a candidate sits, and the real paths it is checked against. */
export interface LinkContext {
  readonly policy: SymlinkPolicy;
  /** The source (absolute, as configured) the file was found under, and its real path. */
  readonly root: string;
  readonly realRoot: string;
  /** The real paths of all of the job's sources that exist. */
  readonly realRoots: readonly string[];
}

/**
 * Applies the rule to the file at `absPath` (below `ctx.root`); `inode` is what its stat found
 * (links followed), checked against the real path when given. Never rejects.
 */
export async function checkLinks(
  absPath: string,
  ctx: LinkContext,
  inode?: number,
): Promise<LinkVerdict> {
  if (ctx.policy === 'follow') return { take: true };
  let real: string;
  try {
    real = await realpath(absPath);
  } catch {
    return { take: false, why: 'gone' }; // a dangling link or a loop too: nothing to take
  }
  const direct = path.join(ctx.realRoot, path.relative(ctx.root, absPath));
  if (real !== direct) {
    if (ctx.policy === 'skip') return { take: false, why: 'skipped' };
    if (!ctx.realRoots.some((r) => isWithin(r, real)))
      return {
        take: false,
        why: 'outside',
        message:
          `a symbolic link to ${real}, outside the job's sources: not uploaded (symlinks: inside). ` +
          'Fix: move or copy the file into a source, or set `symlinks: follow` for this job ' +
          'if whoever writes its sources may choose what it uploads',
      };
  }
  if (inode === undefined) return { take: true };
  const st = await lstat(real).catch(() => undefined);
  if (st?.isFile() !== true || st.ino !== inode) return { take: false, why: 'changed' };
  return { take: true };
}

/** The real paths of `roots`, undefined for those that cannot be resolved (missing). */
export async function realRootsOf(
  roots: readonly string[],
): Promise<Map<string, string | undefined>> {
  const pairs = await Promise.all(
    roots.map(async (r) => [r, await realpath(r).catch(() => undefined)] as const),
  );
  return new Map(pairs);
}
