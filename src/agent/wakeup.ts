/** Wakes idle workers when there may be work (a file queued, a job resumed, a destination healthy). */
import type { Clock } from '../platform/clock.js';

export class Wakeup {
  #resolve: (() => void) | undefined;
  #promise: Promise<void> | undefined;

  /** A promise that resolves at the next wake(). */
  next(): Promise<void> {
    this.#promise ??= new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
    return this.#promise;
  }

  wake(): void {
    const resolve = this.#resolve;
    this.#promise = undefined;
    this.#resolve = undefined;
    resolve?.();
  }

  /**
   * Resolves when `woken` (a promise from next()) resolves or after `ms`, whichever comes first,
   * and ends the other wait. An idle worker waits here on every turn of its loop: a timer left
   * running after a wake-up kept its abort listener on the agent's stop signal for up to `ms`, so
   * a few wake-ups within a second (files queued at start) added them up past Node's limit of 10
   * (MaxListenersExceededWarning at every start). A stop needs no listener: close() wakes.
   */
  static async either(woken: Promise<void>, ms: number, clock: Clock): Promise<void> {
    const timer = new AbortController();
    try {
      await Promise.race([woken, clock.sleep(ms, timer.signal).catch(() => undefined)]);
    } finally {
      timer.abort();
    }
  }
}
