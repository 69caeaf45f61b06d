/**
 * The watchers of a job's source directories (watch mode): one per existing root, made again when
 * the directory was replaced (another inode) or removed, closed when it is missing.
 */
import type { SourceRoot } from './source-roots.js';
import type { Watcher, WatcherFactory } from './watcher.js';

/** What {@link RootWatchers} needs from its JobSource. */
export interface RootWatchersDeps {
  readonly factory: WatcherFactory;
  /** A watcher named a path. */
  readonly onChange: (absPath: string) => void;
  /** A problem with `path`, in plain language. */
  readonly report: (path: string, message: string) => void;
  /**
   * A watched root went away; `work` drops its watcher and resolves true, after which the caller
   * rescans (false: a stale watcher's last word, nothing to do).
   */
  readonly onRootRemoved: (work: Promise<boolean>) => void;
  readonly isClosing: () => boolean;
}

/** Starts, replaces and closes the watchers of source roots. */
export class RootWatchers {
  constructor(private readonly deps: RootWatchersDeps) {}

  /** Watches `r` (whose directory has inode `dirInode`) unless its watcher already does. */
  async ensure(r: SourceRoot, dirInode: number): Promise<void> {
    if (r.watcher !== undefined && r.watchedInode === dirInode) return;
    await this.drop(r); // the directory was replaced: the old watch is dead
    if (this.deps.isClosing()) return;
    const watcher = this.deps.factory({
      root: r.root,
      recursive: r.recursive,
      onChange: this.deps.onChange,
      onError: (err) => {
        this.deps.report(r.root, err.message);
      },
      onRootRemoved: () => {
        this.deps.onRootRemoved(this.#rootRemoved(r, watcher));
      },
    });
    r.watcher = watcher;
    r.watchedInode = dirInode;
    try {
      await watcher.start();
    } catch (err) {
      this.deps.report(
        r.root,
        `cannot watch ${r.root} (rescans still find files): ${message(err)}`,
      );
      await this.drop(r);
    }
  }

  /** Closes `r`'s watcher, if it has one. Never rejects (a failure is reported). */
  async drop(r: SourceRoot): Promise<void> {
    const w = r.watcher;
    r.watcher = undefined;
    r.watchedInode = undefined;
    if (w === undefined) return;
    try {
      await w.close();
    } catch (err) {
      this.deps.report(r.root, `closing the watcher of ${r.root} failed: ${message(err)}`);
    }
  }

  /** The watched directory went away (maybe replaced at once): drop its watcher. */
  async #rootRemoved(r: SourceRoot, watcher: Watcher): Promise<boolean> {
    if (r.watcher !== watcher || this.deps.isClosing()) return false; // a stale watcher's last word
    await this.drop(r);
    return true;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
