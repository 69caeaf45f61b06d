/**
 * What `s3ferry upload` shows while it works: a progress bar with bytes, speed and ETA on a
 * terminal; plain lines when not a terminal (or with --no-progress); nothing but errors with
 * --quiet; one JSON object per event with --json. The bar is
 * drawn again at every tick (the command ticks it twice a second), so its speed falls and its ETA
 * grows while nothing moves (rate-meter.ts), instead of keeping the last speed it saw.
 */
import type { Writable } from 'node:stream';
import { formatBytes, formatDuration } from '../domain/duration.js';
import { RateMeter } from '../domain/rate-meter.js';
import type { NewEvent } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { TransferObserver } from '../transfer/transfer-types.js';
import type { SkippedFile } from './upload-plan.js';

export type OutputMode = 'tty' | 'plain' | 'quiet' | 'json';

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
  /** `s3://bucket/` of the run, for messages. */
  readonly bucketUrl: string;
  /** Bytes of the run; undefined when not known (standard input). */
  readonly totalBytes: number | undefined;
  readonly totalFiles: number;
  /**
   * Failures with these codes are not shown as failures: the caller reports them its own way
   * (a key taken under --if-none-match is a skip).
   */
  readonly skipCodes?: ReadonlySet<string>;
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
    const code = event.data?.code;
    if (
      event.type === 'upload.failed' &&
      typeof code === 'string' &&
      this.deps.skipCodes?.has(code)
    )
      return;
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
    if (this.deps.mode === 'quiet' || !SHOWN.has(event.type)) return;
    // An interrupted file is told of once, in the summary, with what the server keeps of it.
    if (event.type === 'upload.failed' && code === 'ERR_CANCELLED') return;
    const mark = event.level === 'error' ? 'FAILED ' : event.level === 'warn' ? 'warning: ' : '';
    this.line(`${mark}${event.message}`);
    this.#draw(true);
  }

  onProgress(progress: { bytes: number }): void {
    this.#meter.add(this.deps.clock.now(), progress.bytes);
    this.#draw(false);
  }

  /** A file not sent: `unchanged` since its upload, or its key `exists` (--if-none-match). */
  skipped(s: SkippedFile): void {
    const { file, reason } = s;
    if (this.deps.mode === 'json')
      this.json({ type: 'file.skipped', path: file.path, key: file.key, reason });
    else if (this.deps.mode !== 'quiet') {
      const where = this.where(file.key);
      const why =
        reason === 'unchanged'
          ? `already uploaded to ${where}`
          : `${where} exists: --if-none-match`;
      this.line(`skipped: ${reason} ${file.path} (${why})`);
      this.#draw(true);
    }
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
    const speed = `${formatBytes(this.#meter.rate(now))}/s`;
    if (totalBytes === undefined) return `${formatBytes(done)} ${speed}`;
    const fraction = totalBytes === 0 ? 1 : Math.min(1, done / totalBytes);
    const width = 24;
    const filled = Math.round(fraction * width);
    const eta = this.#meter.eta(now, totalBytes);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
    return `${bar} ${formatBytes(done)}/${formatBytes(totalBytes)} ${speed} ETA ${eta === undefined ? '--' : formatDuration(eta)} files ${this.#filesDone}/${totalFiles}`;
  }

  /** `s3://bucket/key`. */
  where(key: string): string {
    return `${this.deps.bucketUrl}${key}`;
  }

  #clearBar(): void {
    if (this.#barShown) this.deps.err.write('\r\x1b[2K');
    this.#barShown = false;
  }
}
