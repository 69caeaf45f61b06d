/**
 * When a job's sources are scanned: now on request (concurrent requests share one scan that
 * starts after them), and every `intervalMs` until the signal aborts.
 */
import type { Clock } from '../platform/clock.js';

export interface ScanLoopDeps {
  readonly scan: () => Promise<void>;
  readonly clock: Clock;
  /** Between periodic scans; 0 or less: none. */
  readonly intervalMs: number;
  readonly signal: AbortSignal;
  readonly track: (work: Promise<void>) => void;
}

export class ScanLoop {
  private scan: Promise<void> | undefined;
  private nextScan: Promise<void> | undefined;

  constructor(private readonly deps: ScanLoopDeps) {}

  /**
   * Scans now. Resolves when a scan that started after this call has finished; concurrent calls
   * share one scan. No-op once aborted.
   */
  now(): Promise<void> {
    if (this.deps.signal.aborted) return Promise.resolve();
    if (this.nextScan !== undefined) return this.nextScan;
    const running = this.scan;
    if (running === undefined) return this.run();
    const next = running.then(() => {
      this.nextScan = undefined;
      return this.deps.signal.aborted ? undefined : this.run();
    });
    this.nextScan = next;
    return next;
  }

  /** Scans every interval until the signal aborts. */
  async periodic(): Promise<void> {
    const interval = this.deps.intervalMs;
    if (!(interval > 0)) return;
    while (!this.deps.signal.aborted) {
      try {
        await this.deps.clock.sleep(interval, this.deps.signal);
      } catch {
        return; // aborted
      }
      await this.now();
    }
  }

  private run(): Promise<void> {
    const p = this.deps.scan().finally(() => {
      if (this.scan === p) this.scan = undefined;
    });
    this.scan = p;
    this.deps.track(p);
    return p;
  }
}
