/**
 * Everything that finds one job's finished files: watchers (watch mode), a reconcile scan at start,
 * periodic rescans, and the settle window, all on the injected Clock.
 *
 * Flow: event -> stat -> detector.observe; scan -> observe every file; settle timer -> due() ->
 * stat again -> unchanged: onFinished, changed: observe (the window restarts). A file is therefore
 * only handed over after two stats at least `settle` apart agree, whether or not events arrived.
 *
 * onFinished may see the same unchanged file again (every rescan observes every file); the caller
 * deduplicates by identity. Memory: the detector holds only files not settled yet, and a scan
 * waits while it holds `maxTracked` of them, so a huge tree is walked at the pace files settle.
 */
import { formatDuration } from '../domain/duration.js';
import { sameStamp, type FileStamp, type SourceFileStat } from './file-stamp.js';
import { scanSource } from './source-scanner.js';
import { locate, toSourceRoots, type SourceRoot } from './source-roots.js';
import { SettleScheduler } from './settle-scheduler.js';
import { StabilityDetector, type SettledFile } from './stability-detector.js';
import type { Watcher } from './watcher.js';
import type {
  FinishedFile,
  JobSourceDeps,
  JobSourceJob,
  SourceProblem,
} from './job-source-types.js';

export type { FinishedFile, JobSourceDeps, JobSourceJob, SourceProblem };

const DEFAULT_MAX_TRACKED = 100_000;

/** Finds one job's finished files; see the module comment. */
export class JobSource {
  private readonly deps: JobSourceDeps;
  private readonly roots: SourceRoot[];
  private readonly detector: StabilityDetector;
  private readonly settler: SettleScheduler;
  private readonly abort = new AbortController();
  private readonly inflight = new Set<Promise<void>>();
  /** Paths being stat'ed after an event; true when another event came in meanwhile. */
  private readonly statting = new Map<string, boolean>();
  private started = false;
  private closing: Promise<void> | undefined;
  private scan: Promise<void> | undefined;
  private nextScan: Promise<void> | undefined;

  constructor(deps: JobSourceDeps) {
    this.deps = deps;
    this.roots = toSourceRoots(deps.job.sources);
    this.detector = new StabilityDetector({ settleMs: deps.job.settle, minAgeMs: deps.job.minAge });
    this.settler = new SettleScheduler({
      detector: this.detector,
      clock: deps.clock,
      maxTracked: Math.max(1, deps.maxTracked ?? DEFAULT_MAX_TRACKED),
      signal: this.abort.signal,
      confirm: (f) => this.confirm(f),
    });
  }

  /** Files seen but not settled yet (memory accounting, metrics). */
  get tracked(): number {
    return this.detector.size;
  }

  /**
   * Starts the settle loop and the periodic rescans, starts the watchers (watch mode) and runs the
   * startup reconcile scan. Resolves once that scan is done (every existing file observed, not
   * yet settled) or close() was called; on a large tree that takes a while, and a caller that
   * must not wait may leave it running: close() cancels it. Never rejects for source problems
   * (they go to onError). @throws Error when called twice.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error(`job ${this.deps.job.name}: sources already started`);
    this.started = true;
    this.track(this.settler.run());
    const first = this.rescanNow();
    this.track(first.then(() => this.rescanLoop()));
    await first;
  }

  /**
   * Scans every source now (re-checking missing directories and (re)creating watchers). Resolves
   * when a scan that started after this call has finished; concurrent calls share one scan.
   * No-op once closed.
   */
  rescanNow(): Promise<void> {
    if (this.isClosing()) return Promise.resolve();
    if (this.nextScan !== undefined) return this.nextScan;
    const running = this.scan;
    if (running === undefined) return this.runScan();
    const next = running.then(() => {
      this.nextScan = undefined;
      return this.isClosing() ? undefined : this.runScan();
    });
    this.nextScan = next;
    return next;
  }

  /** Stops watchers, timers and scans and waits for in-flight work (onFinished calls included). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.abort.abort();
    this.settler.stop();
    await Promise.all(this.roots.map((r) => this.dropWatcher(r)));
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    // a watcher created while the last scan was winding down
    await Promise.all(this.roots.map((r) => this.dropWatcher(r)));
  }

  private isClosing(): boolean {
    return this.abort.signal.aborted;
  }

  private runScan(): Promise<void> {
    const p = this.scanAll().finally(() => {
      if (this.scan === p) this.scan = undefined;
    });
    this.scan = p;
    this.track(p);
    return p;
  }

  private async rescanLoop(): Promise<void> {
    const interval = this.deps.job.rescanInterval;
    if (!(interval > 0)) return;
    while (!this.isClosing()) {
      try {
        await this.deps.clock.sleep(interval, this.abort.signal);
      } catch {
        return; // aborted by close()
      }
      await this.rescanNow();
    }
  }

  private async scanAll(): Promise<void> {
    for (const r of this.roots) {
      if (this.isClosing()) return;
      await this.scanRoot(r);
    }
  }

  private async scanRoot(r: SourceRoot): Promise<void> {
    const dirInode = await this.checkRoot(r);
    if (dirInode === undefined) {
      await this.dropWatcher(r);
      return;
    }
    if (this.deps.job.mode === 'watch') await this.ensureWatcher(r, dirInode);
    const visit = (absPath: string, _relPath: string, stamp: FileStamp): Promise<void> => {
      this.settler.observe(absPath, stamp);
      return this.settler.waitForRoom();
    };
    try {
      const result = await scanSource(r.root, r.recursive, visit, this.abort.signal);
      for (const e of result.errors) this.report(e.path, e.message);
    } catch (err) {
      if (!this.isClosing()) this.report(r.root, `scanning ${r.root} failed: ${message(err)}`);
    }
  }

  /** The root directory's inode, or undefined (reported) when it is missing or not a directory. */
  private async checkRoot(r: SourceRoot): Promise<number | undefined> {
    let st: SourceFileStat | undefined;
    try {
      st = await this.deps.stat(r.root);
    } catch (err) {
      this.report(r.root, `source directory ${r.root} cannot be read: ${message(err)}`);
      return undefined;
    }
    if (st !== undefined && !st.isFile) return st.inode;
    const what = st === undefined ? 'does not exist' : 'is a file, not a directory';
    const interval = this.deps.job.rescanInterval;
    const every = interval > 0 ? ` (every ${formatDuration(interval)})` : '';
    this.report(
      r.root,
      `source directory ${r.root} ${what}; it is checked again at each rescan${every}`,
    );
    return undefined;
  }

  private async ensureWatcher(r: SourceRoot, dirInode: number): Promise<void> {
    if (r.watcher !== undefined && r.watchedInode === dirInode) return;
    await this.dropWatcher(r); // the directory was replaced: the old watch is dead
    if (this.isClosing()) return;
    const watcher = this.deps.watcherFactory({
      root: r.root,
      recursive: r.recursive,
      onChange: (p) => {
        this.onEvent(p);
      },
      onError: (err) => {
        this.report(r.root, err.message);
      },
      onRootRemoved: () => {
        this.track(this.onRootRemoved(r, watcher));
      },
    });
    r.watcher = watcher;
    r.watchedInode = dirInode;
    try {
      await watcher.start();
    } catch (err) {
      this.report(r.root, `cannot watch ${r.root} (rescans still find files): ${message(err)}`);
      await this.dropWatcher(r);
    }
  }

  /** The watched directory went away (maybe replaced at once): re-check it now. */
  private async onRootRemoved(r: SourceRoot, watcher: Watcher): Promise<void> {
    if (r.watcher !== watcher || this.isClosing()) return; // a stale watcher's last word
    await this.dropWatcher(r);
    await this.rescanNow();
  }

  private async dropWatcher(r: SourceRoot): Promise<void> {
    const w = r.watcher;
    r.watcher = undefined;
    r.watchedInode = undefined;
    if (w === undefined) return;
    try {
      await w.close();
    } catch (err) {
      this.report(r.root, `closing the watcher of ${r.root} failed: ${message(err)}`);
    }
  }

  private onEvent(absPath: string): void {
    if (this.isClosing() || locate(this.roots, absPath) === undefined) return;
    if (this.statting.has(absPath)) {
      this.statting.set(absPath, true); // coalesce: stat once more when the current one is done
      return;
    }
    this.statting.set(absPath, false);
    this.track(this.statAfterEvents(absPath));
  }

  private async statAfterEvents(absPath: string): Promise<void> {
    try {
      do {
        this.statting.set(absPath, false);
        const st = await this.statOrReport(absPath);
        if (this.isClosing()) return;
        this.settler.observe(absPath, st?.isFile === true ? st : undefined);
      } while (this.statting.get(absPath) === true);
    } finally {
      this.statting.delete(absPath);
    }
  }

  private async statOrReport(absPath: string): Promise<SourceFileStat | undefined> {
    try {
      return await this.deps.stat(absPath);
    } catch (err) {
      this.report(absPath, `cannot stat ${absPath}: ${message(err)}`);
      return undefined;
    }
  }

  /** Re-stats a settled candidate; hands it over only if it is still exactly as observed. */
  private async confirm(f: SettledFile): Promise<void> {
    if (this.isClosing()) return;
    const st = await this.statOrReport(f.path);
    if (st === undefined || !st.isFile || this.isClosing()) return;
    if (!sameStamp(st, f.stat)) {
      this.settler.observe(f.path, st); // it changed without an event: a new window
      return;
    }
    // seen again since due(): it is in a new window and is handed over when that one ends
    if (this.detector.has(f.path)) return;
    const where = locate(this.roots, f.path);
    if (where === undefined) return;
    const { size, mtimeMs, inode, ctimeMs } = st;
    const file = {
      job: this.deps.job.name,
      ...where,
      absPath: f.path,
      size,
      mtimeMs,
      inode,
      ...(ctimeMs === undefined ? {} : { ctimeMs }),
    };
    try {
      await this.deps.onFinished(file);
    } catch (err) {
      this.report(
        f.path,
        `handing over ${f.path} failed (the next rescan retries): ${message(err)}`,
      );
    }
  }

  private report(path: string, msg: string): void {
    try {
      this.deps.onError({ job: this.deps.job.name, path, message: msg });
    } catch {
      // onError must not throw; if it does, the source keeps going regardless
    }
  }

  /** Keeps a promise for close() to wait on; an unexpected rejection is reported, never lost. */
  private track(p: Promise<unknown>): void {
    const tracked: Promise<void> = p.then(
      () => undefined,
      (err: unknown) => {
        if (!this.isClosing()) this.report(this.deps.job.name, `internal error: ${message(err)}`);
      },
    );
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
