/**
 * A bandwidth limit shared by every request that takes from it: each request reserves its bytes
 * in a queue released at `bytesPerSec` and waits until they are. The average rate never exceeds the
 * limit; a single request may still go out at line speed (bursts up to one part), and nothing is
 * saved up while idle.
 *
 * The rate can change while requests wait (a timetable's step, a person's override): the bytes
 * released so far stay released, the rest go at the new rate, and every waiter works out its turn
 * again at once. Without a rate (undefined: no limit) requests pass, and those waiting go.
 */
import type { Clock } from '../platform/clock.js';

/** What a request waits on before it sends `bytes`. */
export interface Throttle {
  /** Resolves when `bytes` may be sent; rejects with an AbortError when `signal` aborts first. */
  take(bytes: number, signal?: AbortSignal): Promise<void>;
}

export class BandwidthLimiter implements Throttle {
  #rate: number | undefined;
  /** Bytes released as of `#releasedAt` (ms). */
  #released = 0;
  #releasedAt: number;
  /** Bytes reserved by requests so far (those sent, and those waiting). */
  #reserved = 0;
  /** Aborted (and replaced) when the rate changes: waiters then work out their turn again. */
  #changed = new AbortController();

  constructor(private readonly deps: { clock: Clock; bytesPerSec?: number | undefined }) {
    this.#rate = deps.bytesPerSec;
    this.#releasedAt = deps.clock.now();
  }

  /** Bytes per second now; undefined for no limit. */
  get bytesPerSec(): number | undefined {
    return this.#rate;
  }

  /** Sets the rate (undefined: no limit); requests waiting go at the new rate from now. */
  setRate(bytesPerSec: number | undefined): void {
    if (bytesPerSec === this.#rate) return;
    this.#advance(this.deps.clock.now());
    this.#rate = bytesPerSec;
    const changed = this.#changed;
    this.#changed = new AbortController();
    changed.abort();
  }

  /** Releases the bytes due by `now` at the current rate (all of them without one). */
  #advance(now: number): void {
    const rate = this.#rate;
    this.#released =
      rate === undefined
        ? Math.max(this.#released, this.#reserved)
        : this.#released + (Math.max(0, now - this.#releasedAt) * rate) / 1000;
    this.#releasedAt = now;
  }

  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.#rate === undefined) return;
    this.#advance(this.deps.clock.now());
    // idle time saves nothing up: a request finding the queue empty starts now
    if (this.#released > this.#reserved) this.#reserved = this.#released;
    const start = this.#reserved;
    this.#reserved += bytes;
    for (;;) {
      const rate = this.bytesPerSec; // (read afresh: it may have changed while this request slept)
      if (rate === undefined) return;
      const now = this.deps.clock.now();
      this.#advance(now);
      const wait = ((start - this.#released) / rate) * 1000;
      if (wait <= 0) return;
      await this.#sleep(Math.ceil(wait), signal);
    }
  }

  /** Sleeps `ms`, or until the rate changes; rejects when `signal` aborts. */
  async #sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    const changed = this.#changed.signal;
    const both = new AbortController();
    const stop = (): void => {
      both.abort();
    };
    signal?.addEventListener('abort', stop, { once: true });
    changed.addEventListener('abort', stop, { once: true });
    try {
      await this.deps.clock.sleep(ms, signal?.aborted === true ? signal : both.signal);
    } catch (err) {
      if (signal?.aborted === true || !changed.aborted) throw err;
    } finally {
      signal?.removeEventListener('abort', stop);
      changed.removeEventListener('abort', stop);
    }
  }
}

/** One throttle taking from each of `throttles` in turn; undefined when there are none. */
export function chainThrottles(throttles: readonly Throttle[]): Throttle | undefined {
  if (throttles.length === 0) return undefined;
  if (throttles.length === 1) return throttles[0];
  return {
    take: async (bytes, signal) => {
      for (const t of throttles) await t.take(bytes, signal);
    },
  };
}
