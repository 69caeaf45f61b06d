/**
 * Reusable part buffers. With every request holding at most one buffer and requests bounded by a
 * Semaphore, memory stays at concurrency x part size however large the files are, and the
 * garbage collector does not have to chase hundreds of 8 MiB allocations.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];

  /** Keeps at most `maxIdle` free buffers. */
  constructor(readonly maxIdle: number) {}

  /** A buffer of at least `size` bytes (contents undefined), viewed at exactly `size`. */
  take(size: number): Buffer {
    const i = this.#free.findIndex((b) => b.byteLength >= size);
    const buf = i >= 0 ? (this.#free.splice(i, 1)[0] ?? Buffer.allocUnsafeSlow(size)) : Buffer.allocUnsafeSlow(size);
    return buf.subarray(0, size);
  }

  /** Returns a buffer obtained from take(); it must no longer be in use. */
  give(view: Buffer): void {
    const whole = Buffer.from(view.buffer, 0, view.buffer.byteLength);
    if (this.#free.length < this.maxIdle) this.#free.push(whole);
  }
}
