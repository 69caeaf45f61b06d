/**
 * A JobSource over real tmp dirs with a manual clock and a fake watcher whose events are fired by
 * hand: the settle window, rescans and the watcher lifecycle, deterministically.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../../src/platform/clock.js';
import {
  JobSource,
  type FinishedFile,
  type JobSourceJob,
  type SourceProblem,
} from '../../src/sources/job-source.js';
import { statSourceFile } from '../../src/sources/node-stat.js';
import type { WatcherFactory, WatcherOptions } from '../../src/sources/watcher.js';

/** A clock whose sleeps end only when advance() moves time past them. */
export class ManualClock implements Clock {
  time = 1_700_000_000_000;
  private timers: { at: number; fire: () => void }[] = [];
  now(): number {
    return this.time;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const aborted = (): Error => Object.assign(new Error('aborted'), { name: 'AbortError' });
      if (signal?.aborted === true) {
        reject(aborted());
        return;
      }
      const onAbort = (): void => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(aborted());
      };
      const timer = {
        at: this.time + ms,
        fire: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
    });
  }
  get pendingSleeps(): number {
    return this.timers.length;
  }
  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const t of due) t.fire();
  }
}

export interface FakeWatcher {
  readonly opts: WatcherOptions;
  started: boolean;
  closed: boolean;
}

export const SETTLE = 5_000;
export const RESCAN = 60_000;

export async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await delay(5);
  }
}

/** Lets in-flight stats and scans finish (real I/O), for "nothing happened" checks. */
export const quiesce = (): Promise<void> => delay(100);

export function setup(
  job: Partial<JobSourceJob> & Pick<JobSourceJob, 'sources'>,
  maxTracked?: number,
) {
  const clock = new ManualClock();
  const watchers: FakeWatcher[] = [];
  const finished: FinishedFile[] = [];
  const problems: SourceProblem[] = [];
  let stats = 0;
  let failFinished = false;
  const watcherFactory: WatcherFactory = (opts) => {
    const w: FakeWatcher = { opts, started: false, closed: false };
    watchers.push(w);
    return {
      start: () => {
        w.started = true;
        return Promise.resolve();
      },
      close: () => {
        w.closed = true;
        return Promise.resolve();
      },
    };
  };
  const source = new JobSource({
    job: { name: 'unit', mode: 'watch', rescanInterval: RESCAN, settle: SETTLE, ...job },
    clock,
    watcherFactory,
    stat: async (p) => {
      const st = await statSourceFile(p);
      stats += 1;
      return st;
    },
    onFinished: (f) => {
      if (failFinished) return Promise.reject(new Error('journal is down'));
      finished.push(f);
      return Promise.resolve();
    },
    onError: (e) => {
      problems.push(e);
    },
    maxTracked,
  });
  return {
    clock,
    source,
    watchers,
    finished,
    problems,
    stats: () => stats,
    failFinished: (on: boolean) => {
      failFinished = on;
    },
  };
}
