/** A counting semaphore: bounds requests in flight (and so buffer memory) across all files. */
export class Semaphore {
  #free: number;
  readonly #waiters: {
    resolve: () => void;
    reject: (e: unknown) => void;
    signal: AbortSignal | undefined;
    onAbort: () => void;
  }[] = [];

  constructor(readonly size: number) {
    this.#free = size;
  }

  /** Waits for a slot; rejects with an AbortError if `signal` aborts first. */
  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#free > 0) {
      this.#free -= 1;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(
            signal?.reason instanceof Error
              ? signal.reason
              : new DOMException('aborted', 'AbortError'),
          );
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next === undefined) {
      this.#free += 1;
      return;
    }
    next.signal?.removeEventListener('abort', next.onAbort);
    next.resolve();
  }

  /** Runs `fn` holding one slot. */
  async with<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
