/**
 * `s3ferry upload PATHS... --to s3://BUCKET[/PREFIX]`: a one-shot transfer with a progress bar.
 * Exit 0 only when every file is uploaded and verified. Running the same command again after an
 * interruption resumes where it stopped (the journal remembers every accepted part).
 */
import { Option, type Command } from 'commander';
import mime from 'mime-types';
import { randomInt } from 'node:crypto';
import { formatBytes } from '../domain/duration.js';
import { checkMetadata } from '../domain/metadata.js';
import { choosePartSize, MIB } from '../domain/part-size.js';
import { AppError, toAppError } from '../errors/app-error.js';
import type { JournalStore } from '../journal/journal-store.js';
import { systemClock } from '../platform/clock.js';
import { md5Workers, Md5WorkerPool } from '../platform/md5-worker-pool.js';
import { nodeFileSystem } from '../platform/node-file-system.js';
import type { WriteOptions } from '../object-store/object-target.js';
import { BandwidthLimiter } from '../transfer/bandwidth-limiter.js';
import { BufferPool } from '../transfer/buffer-pool.js';
import { FileUploader } from '../transfer/file-uploader.js';
import { withRetry } from '../transfer/retry.js';
import { Semaphore } from '../transfer/semaphore.js';
import {
  DEFAULT_BACKOFF_POLICY,
  type TransferSettings,
  type UploadResult,
} from '../transfer/transfer-types.js';
import {
  addCommonOptions,
  buildTarget,
  durationOption,
  intOption,
  openJournal,
  ownerName,
  parseCommon,
  sizeOption,
  type CommonOptions,
  type CommonSettings,
} from './common-options.js';
import { expandPaths, type FileToUpload } from './expand-paths.js';
import { exitCodeFor, reportError } from './output.js';
import { ProgressReporter, type OutputMode } from './progress-reporter.js';
import { checkKey } from './s3-url.js';

/** Uniform in [0, 1) for retry jitter. */
const jitter = (): number => randomInt(0, 1_000_000) / 1_000_000;

/**
 * Requests in flight. Small files are bound by the store's latency, not by memory: they take
 * no part buffer, so many may be in flight (peers use 10 to 16).
 */
const DEFAULT_CONCURRENCY = 16;
/** Part buffers in memory at once: 6 x 8 MiB keeps a 1 GiB upload under 150 MiB of memory. */
const DEFAULT_PART_BUFFERS = 6;

interface UploadOptions extends CommonOptions {
  partSize: string;
  multipartThreshold: string;
  concurrency: string;
  partBuffers: string;
  bwlimit?: string;
  resume: boolean;
  retryTimeout: string;
  storageClass?: string;
  sse?: string;
  sseKmsKeyId?: string;
  metadata?: string[];
  tag?: string[];
  contentType?: string;
  ifNoneMatch?: boolean;
}

export function registerUpload(program: Command): void {
  addCommonOptions(
    program
      .command('upload')
      .description('upload files, directories (recursive) or globs, with resume')
      .argument('<paths...>'),
  )
    .option(
      '--part-size <size>',
      'preferred multipart part size (raised so no upload exceeds 10,000 parts)',
      '8MiB',
    )
    .option(
      '--multipart-threshold <size>',
      'files of at least this size are uploaded in parts',
      '8MiB',
    )
    .option(
      '--concurrency <n>',
      'requests in flight over all files (small files need no part buffer)',
      String(DEFAULT_CONCURRENCY),
    )
    .option(
      '--part-buffers <n>',
      'parts in memory at once; they use about n x part size of memory',
      String(DEFAULT_PART_BUFFERS),
    )
    .option('--bwlimit <rate>', 'bandwidth limit in bytes per second, e.g. 10MiB')
    .option('--no-resume', 'abort uploads an earlier run left unfinished and start over')
    .option(
      '--retry-timeout <duration>',
      'give up on a request after transient errors for this long',
      '15m',
    )
    .option('--storage-class <class>', 'e.g. STANDARD_IA, GLACIER_IR')
    .addOption(new Option('--sse <mode>', 'server-side encryption').choices(['AES256', 'aws:kms']))
    .option('--sse-kms-key-id <id>', 'KMS key for --sse aws:kms')
    .option('--metadata <key=value...>', 'object metadata (x-amz-meta-*)')
    .option('--tag <key=value...>', 'object tags')
    .option('--content-type <type>', 'content type (default: from the file extension)')
    .option('--if-none-match', 'never overwrite an existing key (conditional PUT)')
    .action(async (paths: string[], opts: UploadOptions) => {
      process.exitCode = await runUpload(paths, opts);
    });
}

function pairs(list: readonly string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const i = item.indexOf('=');
    if (i <= 0) throw new AppError('ERR_USAGE', `${what} "${item}" is not key=value`);
    out[item.slice(0, i).toLowerCase()] = item.slice(i + 1);
  }
  return out;
}

function transferSettings(opts: UploadOptions): TransferSettings {
  const partSize = sizeOption('--part-size', opts.partSize);
  choosePartSize(0, partSize); // refuses sizes S3 cannot take before any work
  return {
    partSize,
    multipartThreshold: Math.max(
      5 * MIB,
      sizeOption('--multipart-threshold', opts.multipartThreshold),
    ),
    partConcurrency: intOption('--concurrency', opts.concurrency),
    resume: opts.resume,
    retry: {
      backoff: DEFAULT_BACKOFF_POLICY,
      maxElapsedMs: durationOption('--retry-timeout', opts.retryTimeout),
    },
    maxChangedRestarts: 3,
    unjournaledWindowMs: 15 * 60_000,
    ifNoneMatch: opts.ifNoneMatch === true,
  };
}

/** What every object of the run carries but its content type; refuses bad --metadata/--tag. */
function writeOptions(opts: UploadOptions): Omit<WriteOptions, 'contentType'> {
  const metadata = pairs(opts.metadata, '--metadata');
  for (const [name, value] of Object.entries(metadata)) {
    const error = checkMetadata(name, value);
    if (error !== undefined)
      throw new AppError('ERR_USAGE', `--metadata ${error}`, {
        hint: 'S3 carries metadata in HTTP headers: write non-ASCII text in an encoding of your choice (e.g. percent-encoding)',
      });
  }
  const tags = pairs(opts.tag, '--tag');
  return {
    ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
    ...(opts.storageClass === undefined ? {} : { storageClass: opts.storageClass }),
    ...(opts.sse === 'AES256' || opts.sse === 'aws:kms'
      ? {
          sse: {
            mode: opts.sse,
            ...(opts.sseKmsKeyId === undefined ? {} : { kmsKeyId: opts.sseKmsKeyId }),
          },
        }
      : {}),
    ...(Object.keys(tags).length === 0 ? {} : { tagging: new URLSearchParams(tags).toString() }),
  };
}

/** Runs the command; returns the exit code. */
export async function runUpload(paths: readonly string[], opts: UploadOptions): Promise<number> {
  let common: CommonSettings | undefined;
  let journal: JournalStore | undefined;
  let target: ReturnType<typeof buildTarget> | undefined;
  const hasher = new Md5WorkerPool({ workers: md5Workers() });
  const controller = new AbortController();
  const onSignal = (): void => {
    controller.abort(new Error('interrupted'));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    common = parseCommon(opts);
    const settings = transferSettings(opts);
    const partBuffers = intOption('--part-buffers', opts.partBuffers);
    const bwlimit =
      opts.bwlimit === undefined
        ? undefined
        : sizeOption('--bwlimit', opts.bwlimit.replace(/\/s$/i, ''));
    const write = writeOptions(opts); // refuses bad --metadata/--tag before any work
    const files = await expandPaths(paths, common.url.prefix);
    journal = await openJournal(common.journalPath);
    target = buildTarget(common, { maxSockets: Math.max(16, settings.partConcurrency * 2) });
    const probeTarget = target;
    await withRetry(
      'HeadBucket',
      () => probeTarget.probe(controller.signal),
      { ...settings.retry, retryUnreachable: false },
      { clock: systemClock, random: jitter },
      controller.signal,
    );
    const mode: OutputMode = common.json ? 'json' : common.env.isTerminal ? 'tty' : 'plain';
    const totalBytes = await sumSizes(files);
    const reporter = new ProgressReporter({
      mode,
      out: process.stdout,
      err: process.stderr,
      clock: systemClock,
      totalBytes,
      totalFiles: files.length,
    });
    const uploader = new FileUploader(
      {
        target,
        journal,
        fs: nodeFileSystem,
        clock: systemClock,
        random: jitter,
        slots: new Semaphore(settings.partConcurrency),
        bufferSlots: new Semaphore(partBuffers),
        buffers: new BufferPool(partBuffers),
        hasher,
        ...(bwlimit === undefined
          ? {}
          : { limiter: new BandwidthLimiter({ clock: systemClock, bytesPerSec: bwlimit }) }),
        owner: ownerName(),
        observer: reporter,
      },
      settings,
    );
    const started = systemClock.now();
    const { results, errors } = await uploadAll(
      files,
      settings.partConcurrency,
      controller,
      async (f) =>
        uploader.upload(
          {
            path: f.path,
            key: f.key,
            write: {
              ...write,
              contentType: opts.contentType ?? (mime.lookup(f.path) || 'application/octet-stream'),
            },
          },
          controller.signal,
        ),
    );
    reporter.finish();
    summarize(reporter, mode, results, errors, systemClock.now() - started);
    return exitCodeFor(errors.map((e) => e.error));
  } catch (err) {
    return reportError(err, common?.json ?? opts.json === true);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
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
