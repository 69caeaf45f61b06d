/**
 * Drives a {@link StabilityDetector} in time: sleeps on the injected Clock until the nearest
 * candidate is due, hands due files to `confirm` (a bounded number at once), and wakes early when
 * an observation brings a deadline nearer. Also the backpressure point for scans: waitForRoom()
 * holds a scan while the detector is full.
 */
import type { Clock } from '../platform/clock.js';
import type { FileStamp } from './file-stamp.js';
import type { SettledFile, StabilityDetector } from './stability-detector.js';

/** Dependencies of a {@link SettleScheduler}. */
export interface SettleSchedulerDeps {
  readonly detector: StabilityDetector;
  readonly clock: Clock;
  /** Size of the detector at which waitForRoom() starts to wait. */
  readonly maxTracked: number;
  /** Ends run() (call stop() after aborting it). */
  readonly signal: AbortSignal;
  /** Takes one due file; must not reject. */
  readonly confirm: (f: SettledFile) => Promise<void>;
  /** Due files confirmed concurrently; default 8. */
  readonly concurrency?: number;
}

/** Longest single sleep, ms (setTimeout's limit is ~24.8 days; minAge can push deadlines far). */
const MAX_SLEEP_MS = 3_600_000;

/** The time-driven half of the settle logic; the decisions stay in the detector. */
export class SettleScheduler {
  private readonly deps: SettleSchedulerDeps;
  private wake: (() => void) | undefined;
  private sleepTarget: number | undefined;
  private roomWaiters: (() => void)[] = [];

  constructor(deps: SettleSchedulerDeps) {
    this.deps = deps;
  }

  /** Records a stat result (undefined: gone) at the clock's now and reschedules if needed. */
  observe(path: string, stamp: FileStamp | undefined): void {
    this.deps.detector.observe(path, stamp, this.deps.clock.now());
    this.maybeWake();
  }

  /** Resolves at once while the detector has room (or after stop()); otherwise once it has. */
  waitForRoom(): Promise<void> {
    if (this.deps.detector.size < this.deps.maxTracked || this.deps.signal.aborted) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** Wakes run() so it sees the aborted signal, and releases every waitForRoom(). */
  stop(): void {
    this.wake?.();
    this.releaseRoom(true);
  }

  /** Runs until the signal aborts (then stop() must be called to wake it). Never rejects. */
  async run(): Promise<void> {
    const { detector, clock, signal } = this.deps;
    while (!signal.aborted) {
      const next = detector.nextCheckAt();
      const now = clock.now();
      if (next === undefined) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
      } else if (next > now) {
        await this.sleepUntil(next, now);
      } else {
        const due = detector.due(now);
        await forEachLimit(due, this.deps.concurrency ?? 8, this.deps.confirm);
        this.releaseRoom(false);
      }
    }
  }

  private async sleepUntil(target: number, now: number): Promise<void> {
    const early = new AbortController();
    this.sleepTarget = target;
    this.wake = () => {
      early.abort();
    };
    try {
      await this.deps.clock.sleep(Math.min(target - now, MAX_SLEEP_MS), early.signal);
    } catch {
      // woken early: a nearer deadline arrived, or stop()
    } finally {
      this.wake = undefined;
      this.sleepTarget = undefined;
    }
  }

  /** Wakes run() when it idles or sleeps past the detector's nearest deadline. */
  private maybeWake(): void {
    if (this.wake === undefined) return;
    const next = this.deps.detector.nextCheckAt();
    if (next === undefined) return;
    if (this.sleepTarget === undefined || next < this.sleepTarget) this.wake();
  }

  private releaseRoom(all: boolean): void {
    if (!all && this.deps.detector.size >= this.deps.maxTracked) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }
}

async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}
