/**
 * What `s3ferry upload` shows while it works: a progress bar with bytes, speed and ETA on a
 * terminal; plain lines when not a terminal; one JSON object per event with --json. The bar is
 * drawn again at every tick (the command ticks it twice a second), so its speed falls and its ETA
 * grows while nothing moves (rate-meter.ts), instead of keeping the last speed it saw.
 */
import type { Writable } from 'node:stream';
import { formatBytes, formatDuration } from '../domain/duration.js';
import { RateMeter } from '../domain/rate-meter.js';
import type { NewEvent } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { TransferObserver } from '../transfer/transfer-types.js';

export type OutputMode = 'tty' | 'plain' | 'json';

/** Event types shown as lines in tty/plain mode (all go out in JSON mode). */
const SHOWN = new Set([
  'upload.finished',
  'upload.failed',
  'upload.retry',
  'upload.resumed',
  'upload.restarted',
  'upload.abandoned',
  'upload.adopted',
]);

/** Least time between two drawings of the bar on progress, ms. */
const DRAW_EVERY_MS = 100;

export interface ProgressReporterDeps {
  readonly mode: OutputMode;
  readonly out: Writable;
  readonly err: Writable;
  readonly clock: Clock;
  readonly totalBytes: number;
  readonly totalFiles: number;
}

export class ProgressReporter implements TransferObserver {
  #filesDone = 0;
  #lastDraw = 0;
  #barShown = false;
  readonly #meter: RateMeter;

  constructor(private readonly deps: ProgressReporterDeps) {
    this.#meter = new RateMeter(deps.clock.now());
  }

  onEvent(event: NewEvent): void {
    if (event.type === 'upload.finished') this.#filesDone += 1;
    if (this.deps.mode === 'json') {
      this.json({
        type: event.type,
        at: new Date(event.at).toISOString(),
        level: event.level,
        path: event.path,
        key: event.key,
        message: event.message,
        ...event.data,
      });
      return;
    }
    if (!SHOWN.has(event.type)) return;
    // An interrupted file is told of once, in the summary, with what the server keeps of it.
    if (event.type === 'upload.failed' && event.data?.code === 'ERR_CANCELLED') return;
    const mark = event.level === 'error' ? 'FAILED ' : event.level === 'warn' ? 'warning: ' : '';
    this.line(`${mark}${event.message}`);
    this.#draw(true);
  }

  onProgress(progress: { bytes: number }): void {
    this.#meter.add(this.deps.clock.now(), progress.bytes);
    this.#draw(false);
  }

  /** Draws the bar again with the speed and ETA of now (called on a timer). */
  tick(): void {
    this.#draw(true);
  }

  /** Writes one JSON line on stdout. */
  json(value: Record<string, unknown>): void {
    this.deps.out.write(`${JSON.stringify(value)}\n`);
  }

  /** Writes lines on stderr (the bar, if shown, is removed first). */
  line(text: string): void {
    this.#clearBar();
    this.deps.err.write(`${text}\n`);
  }

  /** Removes the bar before the final summary. */
  finish(): void {
    this.#clearBar();
  }

  #draw(force: boolean): void {
    if (this.deps.mode !== 'tty') return;
    const now = this.deps.clock.now();
    if (!force && now - this.#lastDraw < DRAW_EVERY_MS) return;
    this.#lastDraw = now;
    this.deps.err.write(`\r\x1b[2K${this.text(now)}`);
    this.#barShown = true;
  }

  /** The bar's text at `now`. */
  text(now: number): string {
    const { totalBytes, totalFiles } = this.deps;
    const done = Math.max(0, this.#meter.bytes);
    const fraction = totalBytes === 0 ? 1 : Math.min(1, done / totalBytes);
    const width = 24;
    const filled = Math.round(fraction * width);
    const eta = this.#meter.eta(now, totalBytes);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
    return `${bar} ${formatBytes(done)}/${formatBytes(totalBytes)} ${formatBytes(this.#meter.rate(now))}/s ETA ${eta === undefined ? '--' : formatDuration(eta)} files ${this.#filesDone}/${totalFiles}`;
  }

  #clearBar(): void {
    if (this.#barShown) this.deps.err.write('\r\x1b[2K');
    this.#barShown = false;
  }
}
