/**
 * `s3ferry upload - --to s3://BUCKET/KEY`: standard input, streamed in parts of --part-size
 * (transfer/stream-upload.ts). Its size is unknown, so the part size cannot grow: the largest
 * stream is part size x 10,000. It cannot resume: an interrupted or failed stream upload is
 * aborted, and the data must be sent again.
 */
import { formatBytes } from '../domain/duration.js';
import { summarize } from './upload-summary.js';
import { AppError, toAppError } from '../errors/app-error.js';
import { EXIT } from '../errors/codes.js';
import type { JournalStore } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import { historyRow } from '../transfer/history-row.js';
import { maxStreamSize } from '../transfer/stream-chunker.js';
import type { TransferService } from '../transfer/transfer-service.js';
import type { S3Url } from './s3-url.js';
import type { OutputMode, ProgressReporter } from './progress-reporter.js';

/** Standard input among the PATHS. */
export const STDIN = '-';
/** Standard input in messages, events, the journal and the history. */
export const STDIN_NAME = 'standard input';

/**
 * The key standard input goes to when PATHS is `-`; undefined when it is not. Throws ERR_USAGE
 * when `-` comes with other paths or the URL names no key.
 */
export function stdinKey(paths: readonly string[], url: S3Url): string | undefined {
  if (!paths.includes(STDIN)) return undefined;
  if (paths.length > 1)
    throw new AppError('ERR_USAGE', 'standard input (-) is uploaded alone', {
      hint: 'run one upload for standard input and another for the files',
    });
  if (url.key === undefined)
    throw new AppError('ERR_USAGE', `--to s3://${url.bucket}/${url.prefix} names no object`, {
      hint: 'name the object of standard input: --to s3://BUCKET/KEY (no trailing slash)',
    });
  return url.key;
}

/** What the stream upload runs with. */
export interface StdinDeps {
  readonly service: TransferService;
  readonly journal: JournalStore;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly reporter: ProgressReporter;
  readonly mode: OutputMode;
  readonly ifNoneMatch: boolean;
  /** The run was interrupted (Ctrl-C). */
  readonly interrupted: () => boolean;
}

/** Uploads standard input to `key`; returns the exit code after saying how it went. */
export async function uploadStdin(key: string, deps: StdinDeps): Promise<number> {
  const { service, journal, clock, reporter, mode } = deps;
  const startedAt = clock.now();
  const subject = { path: STDIN_NAME, key, rel: STDIN };
  try {
    const result = await service.uploadStream(
      { name: STDIN_NAME, source: process.stdin, key, ifNoneMatch: deps.ifNoneMatch },
      deps.signal,
    );
    await journal.addHistory(historyRow(service.target, subject, { result }));
    const outcome = { total: 1, interrupted: false, results: [result], failures: [], skipped: [] };
    summarize(reporter, mode, outcome, result.finishedAt - result.startedAt);
    return EXIT.ok;
  } catch (raw) {
    const error = toAppError(raw);
    const row = historyRow(service.target, subject, { error, startedAt, finishedAt: clock.now() });
    const taken = deps.ifNoneMatch && error.code === 'ERR_S3_PRECONDITION_FAILED';
    if (!error.code.startsWith('ERR_JOURNAL'))
      await journal.addHistory(taken ? { ...row, result: 'skipped' } : row).catch(() => undefined);
    if (taken) {
      reporter.skipped({ file: subject, reason: 'exists' });
      return EXIT.ok;
    }
    report(reporter, mode, error, deps.interrupted());
    return deps.interrupted() ? EXIT.interrupted : error.exitCode;
  } finally {
    // a read still waiting on standard input (a Ctrl-C while nothing came) must not hold the exit
    process.stdin.destroy();
  }
}

/** The failure, and that standard input cannot resume. */
function report(
  reporter: ProgressReporter,
  mode: OutputMode,
  error: AppError,
  interrupted: boolean,
): void {
  const noResume = 'standard input cannot resume: its upload was aborted; send it again';
  if (mode === 'json') {
    reporter.json({ type: 'file.failed', path: STDIN_NAME, ...error.toJSON(), resumable: false });
    reporter.json({ type: 'summary', files: 1, uploaded: 0, failed: 1, interrupted });
    return;
  }
  if (interrupted) {
    reporter.line(`interrupted: ${noResume}`);
    return;
  }
  const fix = error.hint === undefined ? '' : `\n  fix: ${error.hint}`;
  reporter.line(`error: standard input: ${error.message}${fix}\n  ${noResume}`);
}

/** For --help and --dry-run: the largest stream, and that it cannot resume. */
export function stdinLimits(partSize: number): string {
  return `parts of ${formatBytes(partSize)}, at most ${formatBytes(maxStreamSize(partSize))} (a larger --part-size takes more); standard input cannot resume`;
}
