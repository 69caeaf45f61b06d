/**
 * Transfer speed over a moving window, and the time left at that speed, as rclone shows them:
 * when the bytes stop coming (a store gone silent), the speed falls to 0 within the window and
 * the time left grows, then is unknown; it never keeps the speed of the last moment that moved.
 * Pure: the caller says what time it is.
 */

/** Speed window, ms: long enough to smooth bodies reported a piece at a time. */
export const RATE_WINDOW_MS = 5_000;

interface Sample {
  readonly at: number;
  readonly bytes: number;
}

export class RateMeter {
  /** (time, bytes done) pairs, oldest first; the first is at or before the window's start. */
  #samples: Sample[];
  #bytes = 0;

  /** Measures from `start` (ms), with 0 bytes done then. */
  constructor(
    start: number,
    readonly windowMs: number = RATE_WINDOW_MS,
  ) {
    this.#samples = [{ at: start, bytes: 0 }];
  }

  /** Bytes done so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** `delta` more bytes done at `now` (negative: bytes taken back, e.g. a failed request's). */
  add(now: number, delta: number): void {
    this.#bytes += delta;
    const last = this.#samples[this.#samples.length - 1];
    // samples within a 50th of the window are one: bounded memory at any event rate
    if (last !== undefined && this.#samples.length > 1 && now - last.at < this.windowMs / 50)
      this.#samples[this.#samples.length - 1] = { at: last.at, bytes: this.#bytes };
    else this.#samples.push({ at: now, bytes: this.#bytes });
    this.#trim(now);
  }

  /** Bytes per second over the window ending at `now` (0 when nothing moved). */
  rate(now: number): number {
    this.#trim(now);
    const first = this.#samples[0];
    if (first === undefined) return 0;
    const from = Math.max(first.at, now - this.windowMs);
    const elapsed = now - from;
    if (elapsed <= 0) return 0;
    const moved = this.#bytes - this.#bytesAt(from);
    return moved > 0 ? (moved / elapsed) * 1000 : 0;
  }

  /** ms until `total` bytes are done at the current speed; undefined while nothing moves. */
  eta(now: number, total: number): number | undefined {
    const left = Math.max(0, total - this.#bytes);
    if (left === 0) return 0;
    const rate = this.rate(now);
    return rate > 0 ? (left / rate) * 1000 : undefined;
  }

  /** Bytes done at time `t` (within the samples kept): steps between samples, as reported. */
  #bytesAt(t: number): number {
    let bytes = this.#samples[0]?.bytes ?? 0;
    for (const s of this.#samples) {
      if (s.at > t) break;
      bytes = s.bytes;
    }
    return bytes;
  }

  /** Drops samples older than the window, keeping the last one at or before its start. */
  #trim(now: number): void {
    const from = now - this.windowMs;
    let drop = 0;
    while (drop + 1 < this.#samples.length && (this.#samples[drop + 1]?.at ?? now) <= from)
      drop += 1;
    if (drop > 0) this.#samples = this.#samples.slice(drop);
  }
}
