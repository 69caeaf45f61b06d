/**
 * A bandwidth limit shared by every request: each request reserves its bytes on a virtual
 * timeline running at `bytesPerSec` and waits until its turn. The average rate never exceeds the
 * limit; a single request may still go out at line speed (bursts up to one part).
 */
import type { Clock } from '../platform/clock.js';

export class BandwidthLimiter {
  #nextFree = 0;

  constructor(private readonly deps: { clock: Clock; bytesPerSec: number }) {}

  /** Waits until `bytes` may be sent. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const now = this.deps.clock.now();
    const start = Math.max(now, this.#nextFree);
    this.#nextFree = start + (bytes / this.deps.bytesPerSec) * 1000;
    const wait = start - now;
    if (wait > 0) await this.deps.clock.sleep(wait, signal);
  }
}
