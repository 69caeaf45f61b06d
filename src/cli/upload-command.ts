/**
 * `s3ferry upload PATHS... --to s3://BUCKET[/PREFIX]`: a one-shot transfer with a progress bar.
 * Exit 0 only when every file is uploaded and verified. Running the same command again after an
 * interruption resumes where it stopped (the journal remembers every accepted part).
 */
import type { Command } from 'commander';
import { formatBytes } from '../domain/duration.js';
import { AppError, toAppError } from '../errors/app-error.js';
import type { JournalStore } from '../journal/journal-store.js';
import { systemClock } from '../platform/clock.js';
import { md5Workers, Md5WorkerPool } from '../platform/md5-worker-pool.js';
import { nodeFileSystem } from '../platform/node-file-system.js';
import { historyRow } from '../transfer/history-row.js';
import { withRetry } from '../transfer/retry.js';
import { TransferService } from '../transfer/transfer-service.js';
import type { UploadResult } from '../transfer/transfer-types.js';
import {
  buildTarget,
  jitter,
  openJournal,
  ownerName,
  parseCommon,
  type CommonSettings,
} from './common-options.js';
import { expandPaths, type FileToUpload } from './expand-paths.js';
import { exitCodeFor, reportError } from './output.js';
import { ProgressReporter, type OutputMode } from './progress-reporter.js';
import { checkKey } from './s3-url.js';
import { addUploadOptions, transferConfig, type UploadOptions } from './upload-options.js';

/** Registers `s3ferry upload`. */
export function registerUpload(program: Command): void {
  addUploadOptions(
    program
      .command('upload')
      .description('upload files, directories (recursive) or globs, with resume')
      .argument('<paths...>'),
  ).action(async (paths: string[], opts: UploadOptions) => {
    process.exitCode = await runUpload(paths, opts);
  });
}

/** Runs the command; returns the exit code. */
export async function runUpload(paths: readonly string[], opts: UploadOptions): Promise<number> {
  let common: CommonSettings | undefined;
  let journal: JournalStore | undefined;
  let target: ReturnType<typeof buildTarget> | undefined;
  let service: TransferService | undefined;
  const hasher = new Md5WorkerPool({ workers: md5Workers() });
  const controller = new AbortController();
  const onSignal = (): void => {
    controller.abort(new Error('interrupted'));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    common = parseCommon(opts);
    const config = transferConfig(opts);
    const files = await expandPaths(paths, common.url.prefix);
    journal = await openJournal(common.journalPath);
    target = buildTarget(common, { maxSockets: Math.max(16, config.concurrency * 2) });
    const probeTarget = target;
    await withRetry(
      'HeadBucket',
      () => probeTarget.probe(controller.signal),
      { ...config.retry, retryUnreachable: false },
      { clock: systemClock, random: jitter },
      controller.signal,
    );
    const mode: OutputMode = common.json ? 'json' : common.env.isTerminal ? 'tty' : 'plain';
    const reporter = new ProgressReporter({
      mode,
      out: process.stdout,
      err: process.stderr,
      clock: systemClock,
      totalBytes: await sumSizes(files),
      totalFiles: files.length,
    });
    const ledger = journal;
    service = new TransferService(
      {
        target,
        ledger,
        fs: nodeFileSystem,
        clock: systemClock,
        random: jitter,
        hasher,
        owner: ownerName(),
        publish: async (e) => {
          await ledger.appendEvent(e);
        },
        observer: reporter,
      },
      config,
    );
    service.start();
    const transfer = service;
    const started = systemClock.now();
    const { results, errors } = await uploadAll(
      files,
      config.concurrency,
      controller,
      async (f) => {
        const startedAt = systemClock.now();
        try {
          const result = await transfer.upload(
            { path: f.path, key: f.key, ifNoneMatch: opts.ifNoneMatch === true },
            controller.signal,
          );
          await ledger.addHistory(historyRow(transfer.target, f, { result }));
          return result;
        } catch (raw) {
          const error = toAppError(raw);
          if (!error.code.startsWith('ERR_JOURNAL')) {
            const outcome = { error, startedAt, finishedAt: systemClock.now() };
            await ledger.addHistory(historyRow(transfer.target, f, outcome));
          }
          throw error;
        }
      },
    );
    reporter.finish();
    summarize(reporter, mode, results, errors, systemClock.now() - started);
    return exitCodeFor(errors.map((e) => e.error));
  } catch (err) {
    return reportError(err, common?.json ?? opts.json === true);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await service?.close();
    target?.destroy();
    await hasher.close();
    await journal?.close();
  }
}

/** Stats in flight while sizing the batch: one at a time took about a second per 10,000 files. */
const SIZE_STATS_IN_FLIGHT = 32;

async function sumSizes(files: readonly FileToUpload[]): Promise<number> {
  let total = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let f = files[next++]; f !== undefined; f = files[next++])
      total += (await nodeFileSystem.stat(f.path).catch(() => ({ size: 0 }))).size;
  };
  await Promise.all(Array.from({ length: Math.min(SIZE_STATS_IN_FLIGHT, files.length) }, worker));
  return total;
}

interface FileFailure {
  readonly file: FileToUpload;
  readonly error: AppError;
}

/**
 * Uploads files `concurrency` at a time. A destination-level error stops everything (every file
 * would fail the same way); other failures are collected and the rest go on.
 */
async function uploadAll(
  files: readonly FileToUpload[],
  concurrency: number,
  controller: AbortController,
  one: (f: FileToUpload) => Promise<UploadResult>,
): Promise<{ results: UploadResult[]; errors: FileFailure[] }> {
  const results: UploadResult[] = [];
  const errors: FileFailure[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length && !controller.signal.aborted) {
      const file = files[next];
      next += 1;
      if (file === undefined) break;
      try {
        checkKey(file.key, file.path);
        results.push(await one(file));
      } catch (raw) {
        const error = toAppError(raw);
        errors.push({ file, error });
        if (error.kind === 'fatal') controller.abort(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return { results, errors };
}

function summarize(
  reporter: ProgressReporter,
  mode: OutputMode,
  results: readonly UploadResult[],
  errors: readonly FileFailure[],
  ms: number,
): void {
  const bytes = results.reduce((s, r) => s + r.size, 0);
  const sent = results.reduce((s, r) => s + r.bytesSent, 0);
  // Several files failing for the same cause are reported once.
  const causes = new Map<string, FileFailure[]>();
  for (const e of errors) {
    const key =
      e.error.kind === 'fatal' || e.error.kind === 'cancelled'
        ? e.error.code
        : `${e.error.code}|${e.file.path}`;
    causes.set(key, [...(causes.get(key) ?? []), e]);
  }
  if (mode === 'json') {
    for (const e of errors)
      reporter.json({
        type: 'file.failed',
        path: e.file.path,
        key: e.file.key,
        ...e.error.toJSON(),
      });
    reporter.json({
      type: 'summary',
      files: results.length + errors.length,
      uploaded: results.length,
      failed: errors.length,
      bytes,
      bytesSent: sent,
      seconds: ms / 1000,
    });
    return;
  }
  const speed = ms > 0 ? (sent / ms) * 1000 : 0;
  const lines = [
    `uploaded ${results.length} of ${results.length + errors.length} files, ${formatBytes(bytes)} (${formatBytes(sent)} sent) in ${(ms / 1000).toFixed(1)} s, ${formatBytes(speed)}/s`,
  ];
  for (const group of causes.values()) {
    const first = group[0];
    if (first === undefined) continue;
    const e = first.error;
    const subject = group.length > 1 ? `${group.length} files: ` : `${first.file.path}: `;
    lines.push(`error: ${subject}${e.message}${e.hint === undefined ? '' : `\n  fix: ${e.hint}`}`);
    if (e.kind === 'cancelled' || e.kind === 'fatal' || e.kind === 'transient')
      lines.push('  run the same command again to resume');
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}
