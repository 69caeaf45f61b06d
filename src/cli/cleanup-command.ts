/**
 * `s3ferry cleanup --to s3://BUCKET[/PREFIX] --older-than DURATION`: aborts incomplete multipart
 * uploads that s3ferry started (by the one rule of transfer/ownership.ts: known to its journal, or
 * created by an intent it journaled and interrupted before the UploadId was written), never other
 * clients', and lists what it did.
 */
import type { Command } from 'commander';
import { transferConfig } from '../agent/destination-runtime.js';
import { destinationSchema } from '../config/destination-schema.js';
import { toAppError } from '../errors/app-error.js';
import type { JournalStore } from '../journal/journal-store.js';
import { systemClock } from '../platform/clock.js';
import { nodeFileSystem } from '../platform/node-file-system.js';
import { TransferService } from '../transfer/transfer-service.js';
import {
  addCommonOptions,
  buildTarget,
  durationOption,
  jitter,
  openJournal,
  ownerName,
  parseCommon,
  type CommonOptions,
} from './common-options.js';
import { reportError } from './output.js';

interface CleanupOptions extends CommonOptions {
  olderThan: string;
  dryRun?: boolean;
}

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

export async function runCleanup(opts: CleanupOptions): Promise<number> {
  let journal: JournalStore | undefined;
  let target: ReturnType<typeof buildTarget> | undefined;
  const json = opts.json === true;
  try {
    const settings = parseCommon(opts);
    const olderThan = durationOption('--older-than', opts.olderThan);
    journal = await openJournal(settings.journalPath);
    target = buildTarget(settings);
    const events = journal;
    const service = new TransferService(
      {
        target,
        ledger: journal,
        fs: nodeFileSystem,
        clock: systemClock,
        random: jitter,
        owner: ownerName(),
        publish: async (e) => {
          await events.appendEvent(e);
        },
      },
      // cleanup sends no upload: the destination defaults serve
      transferConfig(destinationSchema.parse({ bucket: 'defaults' })),
    );
    // the endpoint as the uploads journaled it (without a password: S3ObjectTarget.endpoint)
    const listed = await service.listUploads(settings.url.prefix);
    const cutoff = systemClock.now() - olderThan;
    let aborted = 0;
    let foreign = 0;
    let young = 0;
    for (const l of listed) {
      const u = l.upload;
      if (l.owner.kind === 'foreign') {
        foreign += 1;
        continue;
      }
      if (u.initiated > cutoff) {
        young += 1;
        continue;
      }
      const age = Math.round((systemClock.now() - u.initiated) / 60_000);
      if (opts.dryRun !== true) await service.abortUpload(l, 'aborted by s3ferry cleanup');
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
