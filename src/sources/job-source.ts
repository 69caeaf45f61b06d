/**
 * Everything that finds one job's finished files: watchers (watch mode), a reconcile scan at start,
 * periodic rescans, and the settle window, all on the injected Clock.
 *
 * Flow: event -> stat -> detector.observe; scan -> observe every file; settle timer -> due() ->
 * stat again -> unchanged: onFinished, changed: observe (the window restarts). A file is therefore
 * only handed over after two stats at least `settle` apart agree, whether or not events arrived.
 *
 * Before a file is handed over, the job's rule for symbolic links decides (link-rule.ts): a file
 * reached through a link that leads out of the sources is refused, with the reason, once per link
 * (once-notes.ts), however often rescans and events meet it again.
 *
 * onFinished may see the same unchanged file again (every rescan observes every file); the caller
 * deduplicates by identity. Memory: the detector holds only files not settled yet, and a scan
 * waits while it holds `maxTracked` of them, so a huge tree is walked at the pace files settle.
 */
import { sameStamp, type FileStamp, type SourceFileStat } from './file-stamp.js';
import { checkLinks, DEFAULT_SYMLINK_POLICY } from './link-rule.js';
import { OnceNotes } from './once-notes.js';
import { scanSource } from './source-scanner.js';
import { NOT_UTF8 } from './undecodable-name.js';
import { EventStats } from './event-stats.js';
import { ScanLoop } from './scan-loop.js';
import { locate, toSourceRoots, type SourceRoot } from './source-roots.js';
import { RootProblems, type RootProblem } from './root-problems.js';
import { RootWatchers } from './root-watchers.js';
import { SettleScheduler } from './settle-scheduler.js';
import { StabilityDetector, type SettledFile } from './stability-detector.js';
import type {
  FinishedFile,
  JobSourceDeps,
  JobSourceJob,
  SourceProblem,
} from './job-source-types.js';

export type { FinishedFile, JobSourceDeps, JobSourceJob, RootProblem, SourceProblem };

const DEFAULT_MAX_TRACKED = 100_000;

/** Finds one job's finished files; see the module comment. */
export class JobSource {
  private readonly deps: JobSourceDeps;
  private readonly roots: SourceRoot[];
  private readonly detector: StabilityDetector;
  private readonly settler: SettleScheduler;
  private readonly abort = new AbortController();
  private readonly inflight = new Set<Promise<void>>();
  private readonly events: EventStats;
  /** Refused links and undecodable names already reported. */
  private readonly notes = new OnceNotes();
  private readonly watchers: RootWatchers;
  private readonly rootProblems: RootProblems;
  private started = false;
  private closing: Promise<void> | undefined;
  private readonly scans: ScanLoop;

  constructor(deps: JobSourceDeps) {
    this.deps = deps;
    this.roots = toSourceRoots(deps.job.sources);
    this.detector = new StabilityDetector({ settleMs: deps.job.settle, minAgeMs: deps.job.minAge });
    this.watchers = new RootWatchers({
      factory: deps.watcherFactory,
      onChange: (p) => {
        this.onEvent(p);
      },
      report: (p, m) => {
        this.report(p, m);
      },
      onRootRemoved: (work) => {
        this.track(work.then((dropped) => (dropped ? this.rescanNow() : undefined)));
      },
      isClosing: () => this.isClosing(),
    });
    this.rootProblems = new RootProblems({
      clock: deps.clock,
      times: deps.job,
      stat: deps.stat,
      signal: this.abort.signal,
      onBack: () => this.rescanNow(),
      track: (work) => {
        this.track(work);
      },
      report: (p, m) => {
        this.report(p, m);
      },
    });
    this.scans = new ScanLoop({
      scan: () => this.scanAll(),
      clock: deps.clock,
      intervalMs: deps.job.rescanInterval,
      signal: this.abort.signal,
      track: (work) => {
        this.track(work);
      },
    });
    this.events = new EventStats({
      stat: (p) => this.statOrReport(p),
      observe: (p, st) => {
        this.settler.observe(p, st);
      },
      reportOnce: (p, m) => {
        this.reportOnce(p, m);
      },
      isClosing: () => this.isClosing(),
      track: (work) => {
        this.track(work);
      },
    });
    this.settler = new SettleScheduler({
      detector: this.detector,
      clock: deps.clock,
      maxTracked: Math.max(1, deps.maxTracked ?? DEFAULT_MAX_TRACKED),
      signal: this.abort.signal,
      confirm: (f) => this.confirm(f),
    });
  }

  /** The job's name. */
  get job(): string {
    return this.deps.job.name;
  }

  /** The source directories that cannot be served now (missing, not a directory), and why. */
  problems(): RootProblem[] {
    return this.rootProblems.list();
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
    this.track(first.then(() => this.scans.periodic()));
    await first;
  }

  /**
   * Scans every source now (re-checking missing directories and (re)creating watchers). Resolves
   * when a scan that started after this call has finished; concurrent calls share one scan.
   * No-op once closed.
   */
  rescanNow(): Promise<void> {
    return this.scans.now();
  }

  /** Stops watchers, timers and scans and waits for in-flight work (onFinished calls included). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.abort.abort();
    this.settler.stop();
    await Promise.all(this.roots.map((r) => this.watchers.drop(r)));
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    // a watcher created while the last scan was winding down
    await Promise.all(this.roots.map((r) => this.watchers.drop(r)));
  }

  private isClosing(): boolean {
    return this.abort.signal.aborted;
  }

  private async scanAll(): Promise<void> {
    this.notes.beginScan();
    for (const r of this.roots) {
      if (this.isClosing()) return;
      await this.scanRoot(r);
    }
    this.notes.endScan();
  }

  private async scanRoot(r: SourceRoot): Promise<void> {
    const dirInode = await this.rootProblems.check(r);
    if (dirInode === undefined) {
      await this.watchers.drop(r);
      return;
    }
    if (this.deps.job.mode === 'watch') await this.watchers.ensure(r, dirInode);
    const visit = (absPath: string, _relPath: string, stamp: FileStamp): Promise<void> => {
      this.notes.touch(absPath);
      this.settler.observe(absPath, stamp);
      return this.settler.waitForRoom();
    };
    try {
      const result = await scanSource(r.root, r.recursive, visit, this.abort.signal);
      for (const e of result.errors)
        if (e.message === NOT_UTF8) this.reportOnce(e.path, e.message);
        else this.report(e.path, e.message);
    } catch (err) {
      if (!this.isClosing()) this.report(r.root, `scanning ${r.root} failed: ${message(err)}`);
    }
  }

  private onEvent(absPath: string): void {
    if (this.isClosing() || locate(this.roots, absPath) === undefined) return;
    this.events.onEvent(absPath);
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
    if (where === undefined || !(await this.linkRuleTakes(f.path, where.root, st))) return;
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

  /** The job's rule for symbolic links; a refusal is reported once, a change observed again. */
  private async linkRuleTakes(absPath: string, root: string, st: FileStamp): Promise<boolean> {
    const realRoot = this.roots.find((r) => r.root === root)?.realRoot;
    if (realRoot === undefined) return false; // its source is gone: the next scan says so
    const realRoots = this.roots.flatMap((r) => (r.realRoot === undefined ? [] : [r.realRoot]));
    const policy = this.deps.job.symlinks ?? DEFAULT_SYMLINK_POLICY;
    const verdict = await checkLinks(absPath, { policy, root, realRoot, realRoots }, st.inode);
    if (verdict.take) {
      this.notes.clear(absPath);
      return true;
    }
    if (verdict.why === 'outside') this.reportOnce(absPath, verdict.message, 'link-refused');
    else if (verdict.why === 'changed' && !this.isClosing()) this.settler.observe(absPath, st);
    return false;
  }

  private reportOnce(path: string, msg: string, kind?: SourceProblem['kind']): void {
    if (this.notes.note(path, msg)) this.report(path, msg, kind);
  }

  private report(path: string, msg: string, kind?: SourceProblem['kind']): void {
    try {
      this.deps.onError({
        job: this.deps.job.name,
        path,
        message: msg,
        ...(kind === undefined ? {} : { kind }),
      });
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
