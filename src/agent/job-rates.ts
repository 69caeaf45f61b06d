/**
 * Each job's recent throughput (bytes and files per second) over a moving window, for the API's
 * /stats and the queue's time left (domain/queue-eta.ts). Bytes are fed by the TransferTracker as
 * the store accepts them, files by the agent's `file.done` events of uploads this agent made (as
 * the metrics count them). Nothing is read from the journal.
 *
 * A job idle for a whole window starts a new window at its next activity: a burst after a quiet
 * hour is measured over its own seconds, not averaged with the silence before it.
 */
import { RateMeter } from '../domain/rate-meter.js';
import type { Throughput } from '../domain/queue-eta.js';
import type { EventRecord } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';

/** How far back the throughput looks, ms. */
export const RATES_WINDOW_MS = 60_000;

/** How long before its first activity a new window starts, ms. */
const START_MS = 1000;

/** A job's throughput, and whether its estimate may still be starting. */
export interface JobRate extends Throughput {
  /** An upload of the job began within the window (nothing may have moved yet). */
  readonly beganRecently: boolean;
}

interface Meters {
  bytes: RateMeter;
  files: RateMeter;
  /** Last time anything happened (an upload began, bytes, a file done), ms. */
  lastActivity: number;
  /** Last time an upload began, ms. */
  lastBegan: number;
}

/** Throughput per job and in all; see the module comment. */
export class JobRates {
  readonly #jobs = new Map<string, Meters>();
  #all: Meters | undefined;
  readonly #since: number;

  constructor(private readonly deps: { readonly clock: Clock; readonly windowMs?: number }) {
    this.#since = deps.clock.now();
  }

  /** The window, ms. */
  get windowMs(): number {
    return this.deps.windowMs ?? RATES_WINDOW_MS;
  }

  /** An upload of `job` began. */
  began(job: string): void {
    const now = this.deps.clock.now();
    for (const m of this.#touch(job, now)) m.lastBegan = now;
  }

  /** The store accepted `bytes` more of an upload of `job`. */
  moved(job: string, bytes: number): void {
    if (bytes <= 0) return;
    const now = this.deps.clock.now();
    for (const m of this.#touch(job, now)) m.bytes.add(now, bytes);
  }

  /** A file of `job` was uploaded and verified. */
  fileDone(job: string): void {
    const now = this.deps.clock.now();
    for (const m of this.#touch(job, now)) m.files.add(now, 1);
  }

  /** The clock's time, for several rates read at one instant. */
  now(): number {
    return this.deps.clock.now();
  }

  /**
   * The throughput of `job` (zero for a job that never moved), or of all jobs, at `now` (read
   * several at one instant: a meter's rate falls as its window ages).
   */
  rate(job?: string, now = this.deps.clock.now()): JobRate {
    const m = job === undefined ? this.#all : this.#jobs.get(job);
    // before its first activity a meter does not exist: nothing moved
    if (m === undefined) return { bytesPerSec: 0, filesPerSec: 0, beganRecently: false };
    return {
      bytesPerSec: Math.round(m.bytes.rate(now)),
      filesPerSec: m.files.rate(now),
      beganRecently: now - m.lastBegan < this.windowMs,
    };
  }

  /** True while the window is younger than its length (the agent just started). */
  young(now = this.deps.clock.now()): boolean {
    return now - this.#since < this.windowMs;
  }

  /** Counts the files of `file.done` events (of uploads this agent made: their data has a mode). */
  listener(): (event: EventRecord) => void {
    return (event) => {
      if (event.type !== 'file.done') return;
      const { job, mode } = event.data ?? {};
      if (typeof job === 'string' && typeof mode === 'string') this.fileDone(job);
    };
  }

  /** The job's meters and the total's, each started afresh after a window of silence. */
  #touch(job: string, now: number): Meters[] {
    const m = this.#current(this.#jobs.get(job), now);
    this.#jobs.set(job, m);
    this.#all = this.#current(this.#all, now);
    return [m, this.#all];
  }

  /** `m`, or new meters when there are none or they saw nothing for a whole window. */
  #current(m: Meters | undefined, now: number): Meters {
    const meters =
      m !== undefined && now - m.lastActivity < this.windowMs
        ? m
        : {
            // measured from a second before the first activity: the first moments of a burst
            // (one part done after a few ms) give no spike
            bytes: new RateMeter(now - START_MS, this.windowMs),
            files: new RateMeter(now - START_MS, this.windowMs),
            lastActivity: now,
            lastBegan: m?.lastBegan ?? -Infinity,
          };
    meters.lastActivity = now;
    return meters;
  }
}
