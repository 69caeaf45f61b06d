/**
 * The flags of `s3ferry upload` and the transfer configuration they make. Their defaults come from
 * the destination schema (TRANSFER_DEFAULTS): the agent and the command agree.
 */
import { Option, type Command } from 'commander';
import { TRANSFER_DEFAULTS } from '../config/destination-schema.js';
import { checkMetadata } from '../domain/metadata.js';
import { MIB } from '../domain/part-size.js';
import { AppError } from '../errors/app-error.js';
import { CANNED_ACLS, checkHeaderValue, isCannedAcl } from '../domain/object-headers.js';
import type { WriteOptions } from '../object-store/object-target.js';
import { DEFAULT_BACKOFF_POLICY, type TransferConfig } from '../transfer/transfer-types.js';
import {
  addCommonOptions,
  durationOption,
  intOption,
  sizeOption,
  type CommonOptions,
} from './common-options.js';
import { addLockOptions, lockRuleOf, type LockOptions } from './lock-options.js';
import { filterOption, type FilterSpec } from './upload-filters.js';

/** The upload command's options as commander gives them. */
export interface UploadOptions extends CommonOptions, LockOptions {
  partSize: string;
  multipartThreshold: string;
  concurrency: string;
  partBuffers: string;
  bwlimit?: string;
  resume: boolean;
  verify: string;
  retryTimeout: string;
  storageClass?: string;
  sse?: string;
  sseKmsKeyId?: string;
  metadata?: string[];
  tag?: string[];
  contentType?: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  acl?: string;
  ifNoneMatch?: boolean;
  exclude?: (FilterSpec & { at: number })[];
  include?: (FilterSpec & { at: number })[];
  dryRun?: boolean;
  quiet?: boolean;
  progress: boolean;
  force?: boolean;
}

/** Adds the common and the upload flags to `cmd`. */
export function addUploadOptions(cmd: Command): Command {
  return selectionFlags(objectFlags(transferFlags(addCommonOptions(cmd))));
}

/** How the bytes go: parts, concurrency, memory, bandwidth, resume, retries, verification. */
function transferFlags(cmd: Command): Command {
  return cmd
    .option(
      '--part-size <size>',
      'preferred multipart part size (raised so no upload exceeds 10,000 parts)',
      TRANSFER_DEFAULTS.partSize,
    )
    .option(
      '--multipart-threshold <size>',
      'files of at least this size are uploaded in parts',
      TRANSFER_DEFAULTS.multipartThreshold,
    )
    .option(
      '--concurrency <n>',
      'requests in flight over all files (small files need no part buffer)',
      String(TRANSFER_DEFAULTS.concurrency),
    )
    .option(
      '--part-buffers <n>',
      'parts in memory at once; they use about n x part size of memory',
      String(TRANSFER_DEFAULTS.partBuffers),
    )
    .option('--bwlimit <rate>', 'bandwidth limit in bytes per second, e.g. 10MiB')
    .option('--no-resume', 'abort uploads an earlier run left unfinished and start over')
    .option(
      '--retry-timeout <duration>',
      'give up on a request after transient errors for this long',
      '15m',
    )
    .addOption(
      new Option(
        '--verify <how>',
        "etag: the PUT's or Complete's ETag proves the bytes (HeadObject only where it cannot); head: always HeadObject",
      )
        .choices(['etag', 'head'])
        .default(TRANSFER_DEFAULTS.verify),
    );
}

/** What every object is written with. */
function objectFlags(cmd: Command): Command {
  cmd
    .option('--storage-class <class>', 'e.g. STANDARD_IA, GLACIER_IR')
    .addOption(new Option('--sse <mode>', 'server-side encryption').choices(['AES256', 'aws:kms']))
    .option('--sse-kms-key-id <id>', 'KMS key for --sse aws:kms')
    .option('--metadata <key=value...>', 'object metadata (x-amz-meta-*)')
    .option('--tag <key=value...>', 'object tags')
    .option('--content-type <type>', 'content type (default: from the file extension)')
    .option('--cache-control <value>', 'Cache-Control of every object, e.g. "max-age=3600"')
    .option('--content-disposition <value>', 'Content-Disposition, e.g. "attachment"')
    .option(
      '--content-encoding <value>',
      'Content-Encoding, e.g. gzip (the bytes are sent as they are)',
    )
    .addOption(new Option('--acl <acl>', 'canned ACL of every object').choices(CANNED_ACLS));
  return addLockOptions(cmd);
}

/** Which files go, and what is shown. */
function selectionFlags(cmd: Command): Command {
  return cmd
    .option(
      '--if-none-match',
      'never overwrite an existing key (conditional PUT): a key taken is skipped',
    )
    .option(
      '--exclude <glob>',
      'leave out files matching the glob (repeatable; later filters win)',
      filterOption('exclude'),
    )
    .option(
      '--include <glob>',
      'take files matching the glob again (repeatable; later filters win)',
      filterOption('include'),
    )
    .option('--force', 'send files again that the journal knows as uploaded and unchanged')
    .option('--dry-run', 'print what would go where; send nothing')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--no-progress', 'no progress bar (the lines of each file and the summary stay)');
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

/** The transfer service's configuration from the flags; refuses bad values before any work. */
export function transferConfig(opts: UploadOptions): TransferConfig {
  const bwlimit =
    opts.bwlimit === undefined
      ? undefined
      : sizeOption('--bwlimit', opts.bwlimit.replace(/\/s$/i, ''));
  const objectLock = lockRuleOf(opts);
  return {
    partSize: sizeOption('--part-size', opts.partSize),
    multipartThreshold: Math.max(
      5 * MIB,
      sizeOption('--multipart-threshold', opts.multipartThreshold),
    ),
    concurrency: intOption('--concurrency', opts.concurrency),
    partBuffers: intOption('--part-buffers', opts.partBuffers),
    ...(bwlimit === undefined ? {} : { bwlimit }),
    resume: opts.resume,
    retry: {
      backoff: DEFAULT_BACKOFF_POLICY,
      maxElapsedMs: durationOption('--retry-timeout', opts.retryTimeout),
    },
    verify: opts.verify === 'head' ? 'head' : 'etag',
    write: writeOptions(opts), // refuses bad --metadata/--tag
    ...(opts.contentType === undefined ? {} : { contentType: opts.contentType }),
    ...(objectLock === undefined ? {} : { objectLock }),
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
    ...headerOptions(opts),
  };
}

/** --cache-control, --content-disposition, --content-encoding, --acl; refuses bad values. */
function headerOptions(
  opts: UploadOptions,
): Pick<WriteOptions, 'cacheControl' | 'contentDisposition' | 'contentEncoding' | 'acl'> {
  const out: {
    -readonly [K in 'cacheControl' | 'contentDisposition' | 'contentEncoding']?: string;
  } = {};
  for (const [flag, name] of [
    ['--cache-control', 'cacheControl'],
    ['--content-disposition', 'contentDisposition'],
    ['--content-encoding', 'contentEncoding'],
  ] as const) {
    const value = opts[name];
    if (value === undefined) continue;
    const error = checkHeaderValue(value);
    if (error !== undefined)
      throw new AppError('ERR_USAGE', `${flag} ${error}`, {
        hint: "HTTP headers carry printable ASCII only: percent-encode other characters (e.g. filename*=UTF-8''caf%C3%A9.txt)",
      });
    out[name] = value;
  }
  // commander refuses another value (choices); the check narrows the type
  const acl = opts.acl !== undefined && isCannedAcl(opts.acl) ? opts.acl : undefined;
  return { ...out, ...(acl === undefined ? {} : { acl }) };
}
