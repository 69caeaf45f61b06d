/**
 * The offer path: a finished file from a source goes through its job's rules (admission.ts) and
 * into the journal's queue, with its plan when that can be decided at once (file-plan.ts). A
 * marker that arrives offers the file it marks. A file a worker is on waits until the worker is
 * done (busy-files.ts). When the journal cannot take an offer, the sources are rescanned as soon
 * as it answers again, instead of at their next periodic rescan.
 */
import { isMarker } from '../domain/file-filter.js';
import type { FileQueue } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { FileSystem } from '../transfer/file-system.js';
import { admit, enqueueTaken, type Candidate } from './admission.js';
import type { BusyFiles } from './busy-files.js';
import type { EventSink } from './event-sink.js';
import type { JobRuntime } from './job-runtime.js';
import type { Wakeup } from './wakeup.js';

/** What the intake uses. */
export interface IntakeDeps {
  readonly journal: Pick<FileQueue, 'enqueue'>;
  readonly events: EventSink;
  readonly clock: Clock;
  readonly fs: FileSystem;
  readonly hostname: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly busy: BusyFiles;
  readonly wakeup: Wakeup;
  /** The running job of that name. */
  readonly job: (name: string) => JobRuntime | undefined;
  readonly isPaused: (job: string) => boolean;
  /** Rescans every source. */
  readonly rescan: () => Promise<void>;
}

export class Intake {
  /** A source could not hand a finished file over (the journal failed): rescan once it answers. */
  #missedOffers = false;

  constructor(private readonly deps: IntakeDeps) {}

  /** A finished file from a source: apply the job's rules and queue it. */
  async offer(jobName: string, f: Candidate): Promise<void> {
    const { deps } = this;
    const job = deps.job(jobName);
    if (job === undefined) return;
    const suffix = job.config.markerSuffix;
    const name = f.relPath.slice(f.relPath.lastIndexOf('/') + 1);
    if (suffix !== undefined && isMarker(name, suffix)) {
      await this.#marked(jobName, f, suffix);
      return;
    }
    const now = deps.clock.now();
    const exists = (p: string) =>
      deps.fs.stat(p).then(
        () => true,
        () => false,
      );
    if (!(await admit(job, f, now, exists)).take) return;
    if (deps.busy.hold(jobName, f)) return;
    let queued: boolean;
    try {
      ({ queued } = await enqueueTaken(deps, job, f, now, { paused: deps.isPaused(jobName) }));
    } catch (err) {
      this.#missedOffers = true;
      throw err; // the source reports it
    }
    if (queued) deps.wakeup.wake();
  }

  /** The marker arrived: offer the file it marks. */
  async #marked(jobName: string, f: Candidate, suffix: string): Promise<void> {
    const main = f.absPath.slice(0, -suffix.length);
    const st = await this.deps.fs.stat(main).catch(() => undefined);
    if (st?.isFile !== true) return;
    await this.offer(jobName, {
      absPath: main,
      relPath: f.relPath.slice(0, -suffix.length),
      size: st.size,
      mtimeMs: st.mtimeMs,
      inode: st.inode,
      ...(st.ctimeMs === undefined ? {} : { ctimeMs: st.ctimeMs }),
    });
  }

  /**
   * The journal answers again after failing to queue files (a database down longer than its
   * retries, a full disk): the sources would find them only at their next periodic rescan (an
   * hour by default), so rescan now. Files already queued are left as they are.
   */
  rescanMissed(stopped: boolean): void {
    if (!this.#missedOffers || stopped) return;
    this.#missedOffers = false;
    void this.deps.rescan().catch(() => undefined);
  }
}
