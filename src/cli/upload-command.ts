/**
 * `s3ferry upload PATHS... --to s3://BUCKET[/PREFIX]`: a one-shot transfer with a progress bar.
 * Exit 0 only when every file is uploaded and verified. Running the same command again after an
 * interruption resumes where it stopped (the journal remembers every accepted part).
 */
import type { Command } from 'commander';
import { AppError } from '../errors/app-error.js';
import { EXIT } from '../errors/codes.js';
import type { JournalStore } from '../journal/journal-store.js';
import { systemClock } from '../platform/clock.js';
import { md5Workers, Md5WorkerPool } from '../platform/md5-worker-pool.js';
import { nodeFileSystem } from '../platform/node-file-system.js';
import { withRetry } from '../transfer/retry.js';
import { TransferService } from '../transfer/transfer-service.js';
import {
  buildTarget,
  jitter,
  openJournal,
  ownerName,
  parseCommon,
  type CommonSettings,
} from './common-options.js';
import { expandPaths } from './expand-paths.js';
import { endOutputQuietly, exitCodeFor, reportError } from './output.js';
import { ProgressReporter, type OutputMode } from './progress-reporter.js';
import { uploadBatch } from './upload-batch.js';
import { statFiles, totalBytes } from './upload-plan.js';
import { addUploadOptions, transferConfig, type UploadOptions } from './upload-options.js';
import { summarize } from './upload-summary.js';

/** How often the progress bar is drawn again while no byte moves, ms. */
const TICK_MS = 500;

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
  endOutputQuietly();
  let common: CommonSettings | undefined;
  let journal: JournalStore | undefined;
  let target: ReturnType<typeof buildTarget> | undefined;
  let service: TransferService | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const hasher = new Md5WorkerPool({ workers: md5Workers() });
  const controller = new AbortController();
  const INTERRUPTED = new AppError('ERR_CANCELLED', 'interrupted', {
    hint: 'run the same command again to go on',
  });
  // The reason every aborted operation rejects with: an AppError of kind 'cancelled', so nothing
  // takes an interrupt for a bug (an upload failing with a bug is abandoned; an interrupted one is
  // kept for the next run). A second Ctrl-C quits at once (the handlers are `once`).
  const onSignal = (): void => {
    if (!controller.signal.aborted) controller.abort(INTERRUPTED);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    common = parseCommon(opts);
    const config = transferConfig(opts);
    const files = await statFiles(await expandPaths(paths, common.url.prefix), nodeFileSystem);
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
      totalBytes: totalBytes(files),
      totalFiles: files.length,
    });
    // twice a second: the speed and ETA move on while no byte does (a stalled store)
    if (mode === 'tty')
      ticker = setInterval(() => {
        reporter.tick();
      }, TICK_MS).unref();
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
    const started = systemClock.now();
    const { results, failures } = await uploadBatch(files, {
      service,
      journal,
      clock: systemClock,
      controller,
      concurrency: config.concurrency,
      ifNoneMatch: opts.ifNoneMatch === true,
    });
    reporter.finish();
    const interrupted = controller.signal.reason === INTERRUPTED;
    const outcome = { total: files.length, interrupted, results, failures };
    summarize(reporter, mode, outcome, systemClock.now() - started);
    return interrupted ? EXIT.interrupted : exitCodeFor(failures.map((f) => f.error));
  } catch (err) {
    return reportError(err, common?.json ?? opts.json === true);
  } finally {
    clearInterval(ticker);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await service?.close();
    target?.destroy();
    await hasher.close();
    await journal?.close();
  }
}
