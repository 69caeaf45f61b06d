/**
 * The uploads running right now, for the API's /transfers and the live stream: bytes done, speed
 * over the last few seconds, and the time left at that speed. Fed by the transfer engine's
 * onProgress (through the FileProcessor); an entry lives exactly as long as its upload. It also feeds
 * each job's throughput over a longer window (job-rates.ts) with the same bytes.
 */
import type { Clock } from '../platform/clock.js';
import { JobRates } from './job-rates.js';

/** How far back the speed looks, ms. */
export const SPEED_WINDOW_MS = 5_000;

/** What is known of an upload when it starts. */
export interface TransferStart {
  /** The journal's file id. */
  readonly fileId: number;
  readonly job: string;
  readonly path: string;
  readonly key: string;
  /** Bytes of the whole file. */
  readonly size: number;
}

/** One running upload as the API shows it. */
export interface TransferView extends TransferStart {
  /** Bytes the store accepted so far in this upload. */
  readonly bytesDone: number;
  /** Bytes per second over the last {@link SPEED_WINDOW_MS} (0 before any progress). */
  readonly bytesPerSec: number;
  /** Time left at that speed, ms; null while the speed is unknown. */
  readonly etaMs: number | null;
  /** ms since the epoch. */
  readonly startedAt: number;
}

/** The handle of one running upload: report progress, then end it (always, in a finally). */
export interface TransferHandle {
  /** `bytes` more were accepted by the store. */
  progress(bytes: number): void;
  /** The upload starts over from byte 0 (the file changed): bytes done go back to 0. */
  restart(): void;
  /** The upload is over, whatever the outcome: the entry goes. Idempotent. */
  end(): void;
}

interface Sample {
  readonly at: number;
  readonly bytes: number;
}

interface Entry {
  readonly start: TransferStart;
  readonly startedAt: number;
  bytesDone: number;
  /** (time, bytesDone) pairs, oldest first; the first is at or before the window's start. */
  samples: Sample[];
}

/** Live uploads; see the module comment. */
export class TransferTracker {
  readonly #entries = new Map<symbol, Entry>();
  /** Each job's throughput over the last minute, fed by the uploads' progress. */
  readonly rates: JobRates;

  constructor(
    private readonly deps: {
      readonly clock: Clock;
      readonly windowMs?: number;
      /** Default: new rates on the same clock. */
      readonly rates?: JobRates;
    },
  ) {
    this.rates = deps.rates ?? new JobRates({ clock: deps.clock });
  }

  /** Uploads running now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Starts tracking an upload; the caller must end() the handle when it is over. */
  begin(start: TransferStart): TransferHandle {
    const id = Symbol(start.path);
    const now = this.deps.clock.now();
    const entry: Entry = { start, startedAt: now, bytesDone: 0, samples: [{ at: now, bytes: 0 }] };
    this.#entries.set(id, entry);
    this.rates.began(start.job);
    return {
      progress: (bytes) => {
        if (!this.#entries.has(id)) return;
        entry.bytesDone += bytes;
        this.rates.moved(start.job, bytes);
        this.#sample(entry);
      },
      restart: () => {
        entry.bytesDone = 0;
        entry.samples = [{ at: this.deps.clock.now(), bytes: 0 }];
      },
      end: () => {
        this.#entries.delete(id);
      },
    };
  }

  /** Every running upload, oldest first. */
  list(): TransferView[] {
    const now = this.deps.clock.now();
    return [...this.#entries.values()].map((e) => this.#view(e, now));
  }

  #sample(entry: Entry): void {
    const now = this.deps.clock.now();
    entry.samples.push({ at: now, bytes: entry.bytesDone });
    this.#trim(entry, now);
  }

  /** Drops samples older than the window, keeping one at or before its start as the baseline. */
  #trim(entry: Entry, now: number): void {
    const from = now - (this.deps.windowMs ?? SPEED_WINDOW_MS);
    let drop = 0;
    while (drop + 1 < entry.samples.length && (entry.samples[drop + 1]?.at ?? now) <= from)
      drop += 1;
    if (drop > 0) entry.samples = entry.samples.slice(drop);
  }

  #view(entry: Entry, now: number): TransferView {
    this.#trim(entry, now);
    const from = now - (this.deps.windowMs ?? SPEED_WINDOW_MS);
    // Bytes arrive in steps (a part at a time), so the bytes at the window's start are those of
    // the last sample at or before it: samples[0] after the trim. A younger upload (or restart)
    // is measured from its first sample.
    const base = entry.samples[0] ?? { at: entry.startedAt, bytes: 0 };
    const seconds = (now - Math.max(from, base.at)) / 1000;
    const moved = entry.bytesDone - base.bytes;
    const bytesPerSec = seconds > 0 && moved > 0 ? moved / seconds : 0;
    const left = Math.max(0, entry.start.size - entry.bytesDone);
    return {
      ...entry.start,
      bytesDone: entry.bytesDone,
      bytesPerSec: Math.round(bytesPerSec),
      etaMs: bytesPerSec > 0 ? Math.round((left / bytesPerSec) * 1000) : left === 0 ? 0 : null,
      startedAt: entry.startedAt,
    };
  }
}
