/** Wakes idle workers when there may be work (a file queued, a job resumed, a destination healthy). */
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
}
