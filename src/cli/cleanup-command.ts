/**
 * `s3ferry cleanup --to s3://BUCKET[/PREFIX] --older-than DURATION`: aborts incomplete multipart
 * uploads that s3ferry started (known to its journal, or created by an intent it journaled and
 * interrupted before the UploadId was written), never other clients', and lists what it did.
 */
import type { Command } from 'commander';
import { toAppError } from '../errors/app-error.js';
import type { JournalStore, UploadRecord } from '../journal/journal-store.js';
import { systemClock } from '../platform/clock.js';
import type { MultipartUploadInfo } from '../object-store/object-target.js';
import {
  addCommonOptions,
  buildTarget,
  durationOption,
  openJournal,
  parseCommon,
  type CommonOptions,
} from './common-options.js';
import { reportError } from './output.js';

interface CleanupOptions extends CommonOptions {
  olderThan: string;
  dryRun?: boolean;
}

/** How close to a journaled intent an unrecorded upload must start to be ours. */
const INTENT_WINDOW_MS = 15 * 60_000;

export function registerCleanup(program: Command): void {
  addCommonOptions(
    program
      .command('cleanup')
      .description('abort incomplete multipart uploads that s3ferry started'),
  )
    .requiredOption(
      '--older-than <duration>',
      'only uploads initiated at least this long ago, e.g. 1d',
    )
    .option('--dry-run', 'list what would be aborted, abort nothing')
    .action(async (opts: CleanupOptions) => {
      process.exitCode = await runCleanup(opts);
    });
}

/** Which open journal upload, if any, an S3 upload belongs to. */
async function ownerOf(
  u: MultipartUploadInfo,
  open: readonly UploadRecord[],
  journal: JournalStore,
): Promise<UploadRecord | 'known' | undefined> {
  const byId = open.find((r) => r.uploadId === u.uploadId);
  if (byId !== undefined) return byId;
  if (await journal.knowsUploadId(u.uploadId)) return 'known';
  return open.find(
    (r) =>
      r.uploadId === null &&
      r.mode === 'multipart' &&
      r.destination.key === u.key &&
      Math.abs(u.initiated - r.startedAt) <= INTENT_WINDOW_MS,
  );
}

export async function runCleanup(opts: CleanupOptions): Promise<number> {
  let journal: JournalStore | undefined;
  let target: ReturnType<typeof buildTarget> | undefined;
  const json = opts.json === true;
  try {
    const settings = parseCommon(opts);
    const olderThan = durationOption('--older-than', opts.olderThan);
    journal = await openJournal(settings.journalPath);
    target = buildTarget(settings);
    // the endpoint as the uploads journaled it (without a password: S3ObjectTarget.endpoint)
    const open = await journal.listOpenUploads({
      endpoint: target.endpoint,
      bucket: settings.url.bucket,
    });
    const uploads = await target.listMultipartUploads(settings.url.prefix);
    const cutoff = systemClock.now() - olderThan;
    let aborted = 0;
    let foreign = 0;
    let young = 0;
    for (const u of uploads) {
      const owner = await ownerOf(u, open, journal);
      if (owner === undefined) {
        foreign += 1;
        continue;
      }
      if (u.initiated > cutoff) {
        young += 1;
        continue;
      }
      const age = Math.round((systemClock.now() - u.initiated) / 60_000);
      if (opts.dryRun !== true) {
        await target.abortMultipartUpload(u.key, u.uploadId);
        if (owner !== 'known') {
          await journal.finishUpload(owner.id, {
            state: 'aborted',
            finishedAt: systemClock.now(),
            error: 'aborted by s3ferry cleanup',
          });
        }
      }
      aborted += 1;
      const verb = opts.dryRun === true ? 'would abort' : 'aborted';
      if (json)
        process.stdout.write(
          `${JSON.stringify({ type: opts.dryRun === true ? 'cleanup.would-abort' : 'cleanup.aborted', key: u.key, uploadId: u.uploadId, initiated: new Date(u.initiated).toISOString() })}\n`,
        );
      else
        process.stdout.write(
          `${verb} s3://${settings.url.bucket}/${u.key} (upload ${u.uploadId}, started ${age} min ago)\n`,
        );
    }
    if (json)
      process.stdout.write(
        `${JSON.stringify({ type: 'summary', aborted, keptYounger: young, notOurs: foreign, dryRun: opts.dryRun === true })}\n`,
      );
    else
      process.stdout.write(
        `${opts.dryRun === true ? 'would abort' : 'aborted'} ${aborted}; kept ${young} younger than --older-than; left ${foreign} not started by s3ferry\n`,
      );
    return 0;
  } catch (err) {
    return reportError(toAppError(err), json);
  } finally {
    target?.destroy();
    await journal?.close();
  }
}
