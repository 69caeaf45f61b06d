import type { Clock } from '../../src/platform/clock.js';

/** A clock that only moves when sleep() is called or advance() is used. Records every sleep. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public time = 1_700_000_000_000) {}
  now(): number {
    return this.time;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true)
      return Promise.reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    this.sleeps.push(ms);
    this.time += ms;
    return Promise.resolve();
  }
}
