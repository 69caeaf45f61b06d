/**
 * The {@link Watcher} port on chokidar 4 (inotify through fs.watch on Linux; no polling unless
 * asked for).
 *
 * - `ignoreInitial`: files already present are the startup scan's business, not the watcher's.
 * - `depth: 0` when not recursive, so subdirectories are neither watched nor reported.
 * - `followSymlinks: false`: a link to a directory is never descended (no loops, no surprise
 *   trees); a link to a file is reported under its own path, the caller's stat follows it and
 *   the job's `symlinks` rule decides whether it is taken (link-rule.ts).
 * - A file whose name is not valid UTF-8 is reported too: chokidar's stat of its U+FFFD-mangled
 *   name fails, so chokidar says nothing, but the raw inotify event names it; the caller finds
 *   that it cannot be opened and says why (issue 15, item 12).
 * - The root is resolved with realpath before watching (chokidar treats a symlinked root as a
 *   link, not as the directory), and event paths are mapped back under the configured root so
 *   they match the scanner's paths.
 * - A removed root is reported through onRootRemoved (chokidar itself gives up on it silently).
 * - Files chokidar fails to report are found by listing their directory again once it is quiet
 *   (directory-recheck.ts).
 * - chokidar holds one inotify watch per file and directory. When the kernel's limit
 *   (fs.inotify.max_user_watches) runs out it emits ENOSPC for every path it cannot watch; that
 *   is reported once per watcher with the fix, and everything keeps working through rescans.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Watcher, WatcherFactory, WatcherOptions } from '../watcher.js';
import { DirectoryRecheck } from './directory-recheck.js';

/** Tuning of the chokidar watcher. */
export interface ChokidarWatcherOptions {
  /** Poll with stat instead of inotify (filesystems without events); default false. */
  readonly usePolling?: boolean;
  /** Poll interval when polling, ms; default chokidar's (100). */
  readonly pollIntervalMs?: number;
  /**
   * Drops chokidar's add, change and addDir events for these paths, as chokidar sometimes does on
   * its own (directory-recheck.ts): tests use it to prove that the recheck finds such files.
   */
  readonly loseEvents?: (absPath: string) => boolean;
}

/** What identifies the watched directory itself. */
interface RootId {
  readonly ino: number;
  readonly birthtimeMs: number;
}

/** Builds the message for an exhausted inotify watch limit (ENOSPC from fs.watch). */
export function inotifyLimitMessage(root: string): string {
  return (
    `cannot watch everything under ${root}: the system limit for inotify watches ` +
    '(fs.inotify.max_user_watches) is reached. New and changed files are still found by the ' +
    'periodic rescan, only later. Fix: raise the limit, e.g. ' +
    '`sudo sysctl fs.inotify.max_user_watches=1048576` and persist it in ' +
    "/etc/sysctl.d/90-s3ferry.conf, or set this job's mode to 'scan'"
  );
}

/** A chokidar-backed watcher over one directory; see the module comment for the choices made. */
export class ChokidarWatcher implements Watcher {
  private fsw: FSWatcher | undefined;
  private closed = false;
  private limitReported = false;
  private rootRemovedReported = false;
  private settleReady: (() => void) | undefined;
  private recheck: DirectoryRecheck | undefined;

  constructor(
    private readonly opts: WatcherOptions,
    private readonly tuning: ChokidarWatcherOptions = {},
  ) {}

  /**
   * Resolves once chokidar has listed the tree and is watching it.
   * @throws the node:fs error when the root cannot be resolved (missing, unreadable); an Error
   * when called twice or after close().
   */
  async start(): Promise<void> {
    if (this.fsw !== undefined || this.closed) throw new Error('the watcher was already started');
    const realRoot = await realpath(this.opts.root);
    const id = await stat(realRoot);
    if (this.isClosed()) return;
    const fsw = watch(realRoot, {
      persistent: true,
      ignoreInitial: true,
      followSymlinks: false,
      usePolling: this.tuning.usePolling ?? false,
      ...(this.tuning.pollIntervalMs === undefined ? {} : { interval: this.tuning.pollIntervalMs }),
      ...(this.opts.recursive ? {} : { depth: 0 }),
      // unreadable subdirectories are reported by the rescan, once per scan, not per event
      ignorePermissionErrors: true,
      // our own settle window decides when a file is finished
      awaitWriteFinish: false,
    });
    this.fsw = fsw;
    this.listen(fsw, realRoot, { ino: id.ino, birthtimeMs: id.birthtimeMs });
    await new Promise<void>((resolve) => {
      this.settleReady = resolve;
      fsw.once('ready', () => {
        resolve();
      });
    });
    this.settleReady = undefined;
  }

  private listen(fsw: FSWatcher, realRoot: string, rootId: RootId): void {
    const root = this.opts.root;
    const toConfigured = (p: string): string =>
      realRoot === root ? p : path.join(root, path.relative(realRoot, p));
    const emit = (p: string): void => {
      if (!this.closed) this.opts.onChange(toConfigured(p));
    };
    const recheck = new DirectoryRecheck(emit, this.opts.recursive);
    this.recheck = recheck;
    const lost = this.tuning.loseEvents ?? ((): boolean => false);
    fsw.on('add', (p: string) => {
      if (lost(p)) return;
      recheck.schedule(path.dirname(p));
      recheck.seen(p);
      emit(p);
    });
    fsw.on('change', (p: string) => {
      if (lost(p)) return;
      recheck.seen(p);
      emit(p);
    });
    fsw.on('unlink', (p: string) => {
      recheck.gone(p);
      emit(p);
    });
    // A new directory's files may be written before chokidar watches it, and a read of its parent
    // that chokidar cut short may have missed its siblings: list both once they are quiet.
    if (this.opts.recursive)
      fsw.on('addDir', (d: string) => {
        if (lost(d)) return;
        recheck.seenDir(d);
        recheck.schedule(d);
        recheck.schedule(path.dirname(d));
      });
    // chokidar drops a removed root for good (even when a new directory takes its name at once)
    // and, for an empty root, does not even say so: the raw inotify "rename" of the root's own
    // name is the signal; a stat tells it from a child that happens to have the same name
    fsw.on('unlinkDir', (p: string) => {
      recheck.goneDir(p);
      if (p === realRoot) void this.checkRoot(realRoot, rootId);
    });
    fsw.on('raw', (event: string, evPath: string, details: unknown) => {
      const watched = (details as { watchedPath?: unknown } | null)?.watchedPath;
      if (event === 'rename' && watched === realRoot && evPath === path.basename(realRoot)) {
        void this.checkRoot(realRoot, rootId);
      }
      if (typeof watched === 'string' && typeof evPath === 'string' && evPath.includes('\uFFFD'))
        emit(path.join(watched, evPath));
    });
    fsw.on('error', (err: unknown) => {
      this.reportError(err);
    });
  }

  /** Calls onRootRemoved once if the root is gone or is another directory now. Never rejects. */
  private async checkRoot(realRoot: string, rootId: RootId): Promise<void> {
    let same: boolean;
    try {
      const now = await stat(realRoot);
      // ext4 hands a new directory the old inode number at once: the birth time tells them apart
      same = now.isDirectory() && now.ino === rootId.ino && now.birthtimeMs === rootId.birthtimeMs;
    } catch {
      same = false;
    }
    if (same || this.closed || this.rootRemovedReported) return;
    this.rootRemovedReported = true;
    this.opts.onRootRemoved?.();
  }

  private isClosed(): boolean {
    return this.closed;
  }

  /** Closes every OS watch; idempotent; no callback is made after it resolves. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.recheck?.close();
    this.settleReady?.();
    const fsw = this.fsw;
    this.fsw = undefined;
    if (fsw !== undefined) await fsw.close();
  }

  private reportError(err: unknown): void {
    if (this.closed) return;
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ENOSPC') {
      // chokidar emits this once per path it fails to watch: say it once, with the fix
      if (this.limitReported) return;
      this.limitReported = true;
      this.opts.onError(
        Object.assign(new Error(inotifyLimitMessage(this.opts.root), { cause: err }), {
          code: 'ENOSPC',
        }),
      );
      return;
    }
    const what = err instanceof Error ? err.message : String(err);
    this.opts.onError(
      new Error(`watching ${this.opts.root}: ${what}`, err instanceof Error ? { cause: err } : {}),
    );
  }
}

/**
 * A {@link WatcherFactory} on chokidar; by default inotify with no polling, `tuning` can turn
 * polling on for filesystems without events.
 */
export function chokidarWatcherFactory(tuning: ChokidarWatcherOptions = {}): WatcherFactory {
  return (opts) => new ChokidarWatcher(opts, tuning);
}
