/**
 * What `s3ferry upload` shows while it works: a progress bar with bytes, speed and ETA on a
 * terminal; plain lines when not a terminal; one JSON object per event with --json.
 */
import type { Writable } from 'node:stream';
import { formatBytes, formatDuration } from '../domain/duration.js';
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

export class ProgressReporter implements TransferObserver {
  #bytesDone = 0;
  #filesDone = 0;
  #lastDraw = 0;
  #barShown = false;
  readonly #started: number;
  /** Recent (time, bytes) samples for the speed. */
  readonly #samples: { at: number; bytes: number }[] = [];

  constructor(
    private readonly deps: {
      mode: OutputMode;
      out: Writable;
      err: Writable;
      clock: Clock;
      totalBytes: number;
      totalFiles: number;
    },
  ) {
    this.#started = deps.clock.now();
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
    this.#clearBar();
    const mark = event.level === 'error' ? 'FAILED ' : event.level === 'warn' ? 'warning: ' : '';
    this.deps.err.write(`${mark}${event.message}\n`);
    this.#draw(true);
  }

  onProgress(progress: { bytes: number }): void {
    this.#bytesDone += progress.bytes;
    this.#draw(false);
  }

  /** Writes one JSON line on stdout. */
  json(value: Record<string, unknown>): void {
    this.deps.out.write(`${JSON.stringify(value)}\n`);
  }

  /** Writes lines on stderr (below the bar, which is drawn again). */
  line(text: string): void {
    this.#clearBar();
    this.deps.err.write(`${text}\n`);
  }

  /** Removes the bar before the final summary. */
  finish(): void {
    this.#clearBar();
  }

  #speed(now: number): number {
    this.#samples.push({ at: now, bytes: this.#bytesDone });
    while (this.#samples.length > 2 && now - (this.#samples[0]?.at ?? now) > 5000)
      this.#samples.shift();
    const first = this.#samples[0];
    if (first === undefined || now - first.at < 200) {
      return (this.#bytesDone / Math.max(1, now - this.#started)) * 1000;
    }
    return ((this.#bytesDone - first.bytes) / (now - first.at)) * 1000;
  }

  #draw(force: boolean): void {
    if (this.deps.mode !== 'tty') return;
    const now = this.deps.clock.now();
    if (!force && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const { totalBytes, totalFiles } = this.deps;
    const fraction = totalBytes === 0 ? 1 : Math.min(1, this.#bytesDone / totalBytes);
    const width = 24;
    const filled = Math.round(fraction * width);
    const speed = this.#speed(now);
    const eta = speed > 0 ? ((totalBytes - this.#bytesDone) / speed) * 1000 : Number.NaN;
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
    const text = `${bar} ${formatBytes(this.#bytesDone)}/${formatBytes(totalBytes)} ${formatBytes(speed)}/s ETA ${Number.isFinite(eta) ? formatDuration(eta) : '--'} files ${this.#filesDone}/${totalFiles}`;
    this.deps.err.write(`\r\x1b[2K${text}`);
    this.#barShown = true;
  }

  #clearBar(): void {
    if (this.#barShown) this.deps.err.write('\r\x1b[2K');
    this.#barShown = false;
  }
}
