/**
 * The last words of `s3ferry upload`: how many files went, how many bytes were sent, and for each
 * cause of failure the error with its fix. An interrupted run says, for each multipart upload it
 * keeps, how many of its parts the server holds, and that the same command goes on from there.
 */
import { formatBytes } from '../domain/duration.js';
import type { AppError } from '../errors/app-error.js';
import type { UploadResult } from '../transfer/transfer-types.js';
import type { FileToUpload } from './expand-paths.js';
import type { SkippedFile, UploadPlan } from './upload-plan.js';
import type { ProgressReporter, OutputMode } from './progress-reporter.js';

export interface FileFailure {
  readonly file: FileToUpload;
  readonly error: AppError;
}

/** What a run did with its files. */
export interface BatchOutcome {
  /** Files the run was given. */
  readonly total: number;
  /** The user interrupted the run (Ctrl-C, SIGTERM). */
  readonly interrupted: boolean;
  readonly results: readonly UploadResult[];
  readonly failures: readonly FileFailure[];
  readonly skipped: readonly SkippedFile[];
}

/** A number from an error's details, 0 when absent. */
function detail(e: AppError, name: string): number {
  const v = e.details[name];
  return typeof v === 'number' ? v : 0;
}

/** Bytes sent by this run: of the files uploaded, and of those that failed or were interrupted. */
function bytesSent(o: BatchOutcome): number {
  return (
    o.results.reduce((s, r) => s + r.bytesSent, 0) +
    o.failures.reduce((s, f) => s + detail(f.error, 'bytesSent'), 0)
  );
}

/** Prints the summary (a JSON line with --json, else lines on stderr). */
export function summarize(
  reporter: ProgressReporter,
  mode: OutputMode,
  o: BatchOutcome,
  ms: number,
): void {
  const bytes = o.results.reduce((s, r) => s + r.size, 0);
  const sent = bytesSent(o);
  const interrupted = o.failures.filter((f) => f.error.kind === 'cancelled');
  const notStarted = o.total - o.results.length - o.failures.length - o.skipped.length;
  if (mode === 'json') {
    for (const f of o.failures)
      reporter.json({
        type: 'file.failed',
        path: f.file.path,
        key: f.file.key,
        ...f.error.toJSON(),
        ...partsOf(f.error),
      });
    reporter.json({
      type: 'summary',
      files: o.total,
      uploaded: o.results.length,
      failed: o.failures.length - interrupted.length,
      interrupted: interrupted.length,
      skipped: o.skipped.length,
      notStarted,
      bytes,
      bytesSent: sent,
      seconds: ms / 1000,
    });
    return;
  }
  const speed = ms > 0 ? (sent / ms) * 1000 : 0;
  const lines = [
    ...(mode === 'quiet'
      ? []
      : [
          `uploaded ${o.results.length} of ${o.total} files, ${formatBytes(bytes)} (${formatBytes(sent)} sent) in ${(ms / 1000).toFixed(1)} s, ${formatBytes(speed)}/s${skippedText(o.skipped)}`,
        ]),
    ...failureLines(
      o.interrupted ? o.failures.filter((f) => f.error.kind !== 'cancelled') : o.failures,
    ),
    ...(o.interrupted ? interruptLines(interrupted, notStarted) : []),
  ];
  if (lines.length > 0) reporter.line(lines.join('\n'));
}

/** `partsOnServer` and `partCount` of an interrupted multipart upload, for the JSON line. */
function partsOf(e: AppError): Record<string, number> {
  if (e.details.partCount === undefined) return {};
  return { partsOnServer: detail(e, 'partsOnServer'), partCount: detail(e, 'partCount') };
}

/** One error (with its fix) per cause: several files failing for the same cause are one line. */
function failureLines(failures: readonly FileFailure[]): string[] {
  const causes = new Map<string, FileFailure[]>();
  for (const f of failures) {
    const key =
      f.error.kind === 'fatal' || f.error.kind === 'cancelled'
        ? f.error.code
        : `${f.error.code}|${f.file.path}`;
    causes.set(key, [...(causes.get(key) ?? []), f]);
  }
  const lines: string[] = [];
  for (const group of causes.values()) {
    const first = group[0];
    if (first === undefined) continue;
    const e = first.error;
    const subject = group.length > 1 ? `${group.length} files: ` : `${first.file.path}: `;
    lines.push(`error: ${subject}${e.message}${e.hint === undefined ? '' : `\n  fix: ${e.hint}`}`);
    if (e.kind === 'fatal' || e.kind === 'transient')
      lines.push('  run the same command again to resume');
  }
  return lines;
}

/**
 * After Ctrl-C: each multipart upload kept says how many of its parts the server holds; the
 * other files (small ones restart from byte 0, some were not begun) are counted in one line.
 */
function interruptLines(interrupted: readonly FileFailure[], notStarted: number): string[] {
  if (interrupted.length === 0 && notStarted === 0) return [];
  const lines: string[] = [];
  let others = notStarted;
  for (const f of interrupted) {
    if (f.error.details.partCount === undefined) {
      others += 1;
      continue;
    }
    const n = detail(f.error, 'partsOnServer');
    const m = detail(f.error, 'partCount');
    lines.push(
      `interrupted: ${f.file.path}: ${n} of ${m} parts are on the server; run the same command to go on`,
    );
  }
  if (others > 0) {
    const what = others === 1 ? '1 file is' : `${others} files are`;
    lines.push(
      `interrupted: ${what} not uploaded yet${lines.length > 0 ? '' : '; run the same command to go on'}`,
    );
  }
  return lines;
}

/** `; 3 skipped (2 unchanged, 1 exist)`, or nothing. */
function skippedText(skipped: readonly SkippedFile[]): string {
  if (skipped.length === 0) return '';
  const unchanged = skipped.filter((s) => s.reason === 'unchanged').length;
  const why = [
    ...(unchanged > 0 ? [`${unchanged} unchanged`] : []),
    ...(skipped.length > unchanged ? [`${skipped.length - unchanged} exist`] : []),
  ];
  return `; ${skipped.length} skipped (${why.join(', ')})`;
}

/** --dry-run: what would go where, and what would be skipped; nothing is sent. */
export function printDryRun(reporter: ProgressReporter, mode: OutputMode, plan: UploadPlan): void {
  const bytes = plan.send.reduce((s, f) => s + (f.stat?.size ?? 0), 0);
  if (mode === 'json') {
    for (const f of plan.send)
      reporter.json({
        type: 'dry-run',
        action: 'upload',
        path: f.path,
        key: f.key,
        size: f.stat?.size ?? null,
      });
    for (const { file, reason } of plan.skipped)
      reporter.json({ type: 'dry-run', action: 'skip', path: file.path, key: file.key, reason });
    reporter.json({
      type: 'summary',
      dryRun: true,
      files: plan.send.length + plan.skipped.length,
      upload: plan.send.length,
      skipped: plan.skipped.length,
      bytes,
    });
    return;
  }
  if (mode === 'quiet') return;
  const lines = plan.send.map(
    (f) =>
      `would upload ${f.path} to ${reporter.where(f.key)} (${f.stat === undefined ? 'size unknown' : formatBytes(f.stat.size)})`,
  );
  for (const { file, reason } of plan.skipped)
    lines.push(
      `would skip ${file.path}: ${reason} since its upload to ${reporter.where(file.key)}`,
    );
  lines.push(
    `dry run: ${plan.send.length} files (${formatBytes(bytes)}) would be uploaded, ${plan.skipped.length} skipped; nothing was sent`,
  );
  reporter.line(lines.join('\n'));
}
