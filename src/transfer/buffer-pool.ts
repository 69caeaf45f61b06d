/**
 * Reusable part buffers. With every request holding at most one buffer and those requests bounded
 * by a Semaphore, memory stays near that bound x part size however large the files are, and the
 * garbage collector does not have to chase hundreds of 8 MiB allocations. Small bodies (below
 * `minPooled`) are plain allocations: pooling them would crowd out the large ones. Pooled buffers
 * live in shared memory, so a worker thread can hash a part without copying it.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];

  constructor(
    /** Keeps at most this many idle buffers. */
    readonly maxIdle: number,
    /** Buffers smaller than this are not pooled, bytes. */
    readonly minPooled = 1024 * 1024,
  ) {}

  /** A buffer of exactly `size` bytes (contents undefined). */
  take(size: number): Buffer {
    if (size < this.minPooled) return Buffer.allocUnsafe(size);
    const i = this.#free.findIndex((b) => b.byteLength >= size);
    const buf = (i >= 0 ? this.#free.splice(i, 1)[0] : undefined) ?? sharedBuffer(size);
    return buf.subarray(0, size);
  }

  /** Returns a buffer obtained from take(); it must no longer be in use (nor being hashed). */
  give(view: Buffer): void {
    if (view.byteLength < this.minPooled || view.byteOffset !== 0) return;
    if (this.#free.length < this.maxIdle)
      this.#free.push(Buffer.from(view.buffer, 0, view.buffer.byteLength));
  }
}

function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}
