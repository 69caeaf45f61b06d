/**
 * `s3ferry upload PATHS... --to s3://BUCKET[/PREFIX]`: a one-shot transfer with a progress bar,
 * with the habits of `aws s3 cp` and `rclone copy` (filters, dry run, files unchanged since their
 * upload skipped, one file to a named key, standard input). Exit 0 only when every file is
 * uploaded and verified or skipped. Running the same command again after an interruption resumes
 * where it stopped (the journal remembers every accepted part).
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
import type { TransferConfig } from '../transfer/transfer-types.js';
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
import { filterSpecs, PathFilters } from './upload-filters.js';
import { probedCapabilities } from './lock-options.js';
import { addUploadOptions, transferConfig, type UploadOptions } from './upload-options.js';
import { planUpload, totalBytes, type UploadPlan } from './upload-plan.js';
import { stdinKey, stdinLimits, STDIN_NAME, uploadStdin } from './upload-stdin.js';
import { printDryRun, summarize } from './upload-summary.js';

/** How often the progress bar is drawn again while no byte moves, ms. */
const TICK_MS = 500;

/** Registers `s3ferry upload`. */
export function registerUpload(program: Command): void {
  addUploadOptions(
    program
      .command('upload')
      .description(
        'upload files, directories (recursive), globs, or standard input (-), with resume',
      )
      .argument('<paths...>'),
  ).action(async (paths: string[], opts: UploadOptions) => {
    process.exitCode = await runUpload(paths, opts);
  });
}

/** What a run holds open; close() releases it all, in reverse order. */
class Session {
  readonly hasher = new Md5WorkerPool({ workers: md5Workers() });
  journal: JournalStore | undefined;
  target: ReturnType<typeof buildTarget> | undefined;
  service: TransferService | undefined;
  ticker: NodeJS.Timeout | undefined;

  async close(): Promise<void> {
    clearInterval(this.ticker);
    await this.service?.close();
    this.target?.destroy();
    await this.hasher.close();
    await this.journal?.close();
  }
}

/** Runs the command; returns the exit code. */
export async function runUpload(paths: readonly string[], opts: UploadOptions): Promise<number> {
  endOutputQuietly();
  const session = new Session();
  const controller = new AbortController();
  const interrupt = new AppError('ERR_CANCELLED', 'interrupted', {
    hint: 'run the same command again to go on',
  });
  // The reason every aborted operation rejects with: an AppError of kind 'cancelled', so nothing
  // takes an interrupt for a bug (an upload failing with a bug is abandoned; an interrupted one is
  // kept for the next run). A second Ctrl-C quits at once (the handlers are `once`).
  const onSignal = (): void => {
    if (!controller.signal.aborted) controller.abort(interrupt);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let json = opts.json === true;
  try {
    const common = parseCommon(opts);
    json = common.json;
    const config = transferConfig(opts);
    const run = { opts, common, config, session, controller };
    const interrupted = (): boolean => controller.signal.reason === interrupt;
    const key = stdinKey(paths, common.url);
    if (key !== undefined) return await runStdin(key, run, interrupted);
    return await runFiles(paths, run, interrupted);
  } catch (err) {
    return reportError(err, json);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await session.close();
  }
}

/** What every part of a run shares. */
interface Run {
  readonly opts: UploadOptions;
  readonly common: CommonSettings;
  readonly config: TransferConfig;
  readonly session: Session;
  readonly controller: AbortController;
}

/** Files, directories and globs: plan, then upload the files to send. */
async function runFiles(
  paths: readonly string[],
  run: Run,
  interrupted: () => boolean,
): Promise<number> {
  const { opts, common, config, session, controller } = run;
  const filters = new PathFilters(filterSpecs(opts.exclude, opts.include));
  const files = await expandPaths(paths, common.url);
  const journal = (session.journal = await openJournal(common.journalPath));
  const plan = await planUpload(files, {
    fs: nodeFileSystem,
    journal,
    endpoint: common.connection.endpoint ?? '',
    bucket: common.url.bucket,
    filters,
    force: opts.force === true,
  });
  const reporter = makeReporter(run, plan.send.length, totalBytes(plan.send));
  if (opts.dryRun === true) {
    printDryRun(reporter.reporter, reporter.mode, plan);
    return EXIT.ok;
  }
  for (const s of plan.skipped) reporter.reporter.skipped(s);
  const service = await openService(run, reporter.reporter, plan);
  const started = systemClock.now();
  const batch = await uploadBatch(plan.send, {
    service,
    journal,
    clock: systemClock,
    controller,
    concurrency: config.concurrency,
    ifNoneMatch: opts.ifNoneMatch === true,
    onSkip: (s) => {
      reporter.reporter.skipped(s);
    },
  });
  reporter.reporter.finish();
  const outcome = {
    ...batch,
    skipped: [...plan.skipped, ...batch.skipped],
    total: plan.send.length + plan.skipped.length,
    interrupted: interrupted(),
  };
  summarize(reporter.reporter, reporter.mode, outcome, systemClock.now() - started);
  return interrupted() ? EXIT.interrupted : exitCodeFor(batch.failures.map((f) => f.error));
}

/** Standard input to one key. */
async function runStdin(key: string, run: Run, interrupted: () => boolean): Promise<number> {
  const { opts, common, config, session, controller } = run;
  const { reporter, mode } = makeReporter(run, 1, undefined);
  if (opts.dryRun === true) {
    if (mode === 'json')
      reporter.json({ type: 'dry-run', action: 'upload', path: STDIN_NAME, key, size: null });
    else if (mode !== 'quiet')
      reporter.line(
        `would upload standard input to ${reporter.where(key)} (${stdinLimits(config.partSize)})`,
      );
    return EXIT.ok;
  }
  // a Ctrl-C while standard input is silent: end the read (the upload is then aborted, not
  // completed: every read checks for the interrupt)
  controller.signal.addEventListener(
    'abort',
    () => {
      process.stdin.destroy();
    },
    { once: true },
  );
  session.journal = await openJournal(common.journalPath);
  const service = await openService(run, reporter, undefined);
  const code = await uploadStdin(key, {
    service,
    journal: session.journal,
    clock: systemClock,
    signal: controller.signal,
    reporter,
    mode,
    ifNoneMatch: opts.ifNoneMatch === true,
    interrupted,
  });
  reporter.finish();
  return code;
}

/** The reporter of the run, ticking on a terminal. */
function makeReporter(
  run: Run,
  totalFiles: number,
  bytes: number | undefined,
): { reporter: ProgressReporter; mode: OutputMode } {
  const { opts, common, session } = run;
  const mode: OutputMode = common.json
    ? 'json'
    : opts.quiet === true
      ? 'quiet'
      : common.env.isTerminal && opts.progress
        ? 'tty'
        : 'plain';
  const reporter = new ProgressReporter({
    mode,
    out: process.stdout,
    err: process.stderr,
    clock: systemClock,
    bucketUrl: `s3://${common.url.bucket}/`,
    totalBytes: bytes,
    totalFiles,
    ...(opts.ifNoneMatch === true ? { skipCodes: new Set(['ERR_S3_PRECONDITION_FAILED']) } : {}),
  });
  // twice a second: the speed and ETA move on while no byte does (a stalled store)
  if (mode === 'tty')
    session.ticker = setInterval(() => {
      reporter.tick();
    }, TICK_MS).unref();
  return { reporter, mode };
}

/**
 * The destination, checked with one HeadBucket (a wrong key, bucket or endpoint is said once,
 * before any file), and the run's transfer service. Nothing is built when nothing is to be sent.
 */
async function openService(
  run: Run,
  reporter: ProgressReporter,
  plan: UploadPlan | undefined,
): Promise<TransferService> {
  const { common, config, session, controller } = run;
  const journal = session.journal;
  if (journal === undefined) throw new AppError('ERR_INTERNAL', 'the journal is not open');
  const target = (session.target = buildTarget(common, {
    maxSockets: Math.max(16, config.concurrency * 2),
  }));
  if (plan === undefined || plan.send.length > 0)
    await withRetry(
      'HeadBucket',
      () => target.probe(controller.signal),
      { ...config.retry, retryUnreachable: false },
      { clock: systemClock, random: jitter },
      controller.signal,
    );
  // retention or never-overwrite asked for: what the store accepts is probed and followed (the
  // bucket must keep the retention; If-None-Match is not kept by every store)
  const probed = config.objectLock !== undefined || run.opts.ifNoneMatch === true;
  const capabilities =
    !probed || (plan !== undefined && plan.send.length === 0)
      ? undefined
      : await probedCapabilities(
          target,
          common.url.prefix,
          config.objectLock,
          systemClock,
          (operation, fn) =>
            withRetry(
              operation,
              fn,
              { ...config.retry, retryUnreachable: false },
              { clock: systemClock, random: jitter },
              controller.signal,
            ),
          controller.signal,
        );
  const service = new TransferService(
    {
      target,
      ...(capabilities === undefined ? {} : { capabilities }),
      ledger: journal,
      fs: nodeFileSystem,
      clock: systemClock,
      random: jitter,
      hasher: session.hasher,
      owner: ownerName(),
      publish: async (e) => {
        await journal.appendEvent(e);
      },
      observer: reporter,
    },
    config,
  );
  service.start();
  session.service = service;
  return service;
}
