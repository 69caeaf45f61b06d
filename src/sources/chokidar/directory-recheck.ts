/**
 * The safety net under chokidar's events: once files have appeared in a directory and it has been
 * quiet for a moment, the directory is listed again and every file that no event named is
 * reported.
 *
 * Why: chokidar re-reads a directory when inotify says it changed, under a 1 s throttle per
 * directory. When that read takes longer than the throttle (a busy machine, a big directory), the
 * throttle expires on its own: the events that arrived meanwhile are forgotten and no second read
 * follows (chokidar 4, handler.js `_handleRead` and index.js `_throttle`, read, not reproduced on
 * purpose). Three agents watching 2,000 files written into 20 directories missed the last 28 files
 * of one directory (test/e2e/fleet-exactly-once, once), most likely this way: without this net
 * they waited for the periodic rescan (1 h by default).
 *
 * Directories: chokidar can miss a new directory the same way (the read of its parent was cut
 * short), and with it every file inside. So on a recursive watch a new directory's parent is listed
 * again too, and a listing descends into subdirectories that no event named and that were created
 * (or changed) since the watch began.
 *
 * Cost: one readdir per directory that received files or subdirectories, at most every `quietMs`
 * to `maxWaitMs` while they keep arriving, plus one stat per subdirectory no event named; and the
 * names the events reported, held per directory until their unlink (chokidar holds the same).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Quiet time after the last event in a directory before it is listed again, ms. */
export const RECHECK_QUIET_MS = 1000;
/** Longest wait before a directory that keeps receiving files is listed again, ms. */
export const RECHECK_MAX_WAIT_MS = 5000;

/** Filesystem timestamps may be coarser than the clock: a directory made just before counts. */
const TIMESTAMP_SLACK_MS = 1000;

interface Pending {
  timer: NodeJS.Timeout;
  readonly firstAt: number;
}

export class DirectoryRecheck {
  /** Directory -> the names of the files events (or earlier rechecks) reported in it. */
  readonly #known = new Map<string, Set<string>>();
  readonly #pending = new Map<string, Pending>();
  /** Directories an event named, or that a recheck found and listed. */
  readonly #knownDirs = new Set<string>();
  readonly #startedAt = Date.now();
  #closed = false;

  constructor(
    /** Called with the absolute path of each file found that no event named. */
    private readonly report: (file: string) => void,
    /**
     * Also descend into subdirectories that no event named and that were created (or changed)
     * since the watch began: chokidar can miss a new directory the same way it misses files.
     */
    private readonly recursive = false,
    private readonly quietMs = RECHECK_QUIET_MS,
    private readonly maxWaitMs = RECHECK_MAX_WAIT_MS,
  ) {}

  /** An event named the directory `dir`. */
  seenDir(dir: string): void {
    this.#knownDirs.add(dir);
  }

  /** An event named `file`: no need to report it again. */
  seen(file: string): void {
    const dir = path.dirname(file);
    let names = this.#known.get(dir);
    if (names === undefined) {
      names = new Set();
      this.#known.set(dir, names);
    }
    names.add(path.basename(file));
  }

  /** `file` was removed. */
  gone(file: string): void {
    this.#known.get(path.dirname(file))?.delete(path.basename(file));
  }

  /** `dir` was removed. */
  goneDir(dir: string): void {
    this.#known.delete(dir);
    this.#knownDirs.delete(dir);
    const p = this.#pending.get(dir);
    if (p !== undefined) clearTimeout(p.timer);
    this.#pending.delete(dir);
  }

  /** Lists `dir` again once it has been quiet for `quietMs` (at most `maxWaitMs` from now). */
  schedule(dir: string): void {
    if (this.#closed) return;
    const now = Date.now();
    const p = this.#pending.get(dir);
    const firstAt = p?.firstAt ?? now;
    if (p !== undefined) clearTimeout(p.timer);
    const delay = Math.max(0, Math.min(this.quietMs, firstAt + this.maxWaitMs - now));
    const timer = setTimeout(() => {
      this.#pending.delete(dir);
      void this.#recheck(dir);
    }, delay);
    timer.unref();
    this.#pending.set(dir, { timer, firstAt });
  }

  close(): void {
    this.#closed = true;
    for (const p of this.#pending.values()) clearTimeout(p.timer);
    this.#pending.clear();
    this.#known.clear();
    this.#knownDirs.clear();
  }

  async #recheck(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // gone or unreadable: the rescan reports what matters
    }
    if (this.#closed) return;
    for (const e of entries) {
      if (e.isDirectory()) {
        if (this.recursive) await this.#maybeDescend(path.join(dir, e.name));
        continue;
      }
      if (!e.isFile() && !e.isSymbolicLink()) continue;
      const file = path.join(dir, e.name);
      if (this.#known.get(dir)?.has(e.name) === true) continue;
      this.seen(file);
      this.report(file);
    }
  }

  /** Lists `sub` soon if no event named it and it is new (or changed) since the watch began. */
  async #maybeDescend(sub: string): Promise<void> {
    if (this.#knownDirs.has(sub) || this.#closed) return;
    const st = await stat(sub).catch(() => undefined);
    if (st === undefined) return;
    // birthtime where the filesystem keeps one; ctime otherwise (it also moves when entries change)
    const since = st.birthtimeMs > 0 ? st.birthtimeMs : st.ctimeMs;
    if (since < this.#startedAt - TIMESTAMP_SLACK_MS) return;
    this.#knownDirs.add(sub);
    this.schedule(sub);
  }
}
