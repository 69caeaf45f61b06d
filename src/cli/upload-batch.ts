/**
 * The files of one `s3ferry upload` run, `concurrency` at a time, through one transfer service;
 * each outcome is written to the journal's history. A destination-level error stops the run (every
 * file would fail the same way); other failures are collected and the rest go on.
 */
import { toAppError } from '../errors/app-error.js';
import type { JournalStore } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import { historyRow } from '../transfer/history-row.js';
import type { TransferService } from '../transfer/transfer-service.js';
import type { UploadResult } from '../transfer/transfer-types.js';
import type { FileToUpload } from './expand-paths.js';
import { checkKey } from './s3-url.js';
import type { SkippedFile } from './upload-plan.js';
import type { FileFailure } from './upload-summary.js';

/** What the batch runs with. */
export interface BatchDeps {
  readonly service: TransferService;
  readonly journal: JournalStore;
  readonly clock: Clock;
  /** Aborted by Ctrl-C, or by the batch itself on a destination-level error. */
  readonly controller: AbortController;
  readonly concurrency: number;
  /** Never replace an object at the key: a key taken is a skip (--if-none-match). */
  readonly ifNoneMatch: boolean;
  /** Told of each file skipped because its key is taken. */
  readonly onSkip: (skipped: SkippedFile) => void;
}

/** What the batch did with its files. */
export interface BatchResult {
  readonly results: UploadResult[];
  readonly failures: FileFailure[];
  readonly skipped: SkippedFile[];
}

/** Uploads `files`; resolves when every file is done or the run was stopped. */
export async function uploadBatch(
  files: readonly FileToUpload[],
  deps: BatchDeps,
): Promise<BatchResult> {
  const results: UploadResult[] = [];
  const failures: FileFailure[] = [];
  const skipped: SkippedFile[] = [];
  const { controller } = deps;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length && !controller.signal.aborted) {
      const file = files[next];
      next += 1;
      if (file === undefined) break;
      try {
        checkKey(file.key, file.path);
        const result = await uploadOne(file, deps);
        if (result === 'exists') {
          skipped.push({ file, reason: 'exists' });
          deps.onSkip({ file, reason: 'exists' });
        } else results.push(result);
      } catch (raw) {
        const error = toAppError(raw);
        failures.push({ file, error });
        if (error.kind === 'fatal') controller.abort(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency, files.length) }, worker));
  return { results, failures, skipped };
}

/**
 * One file, with its history row (none when the journal itself failed). Under --if-none-match a
 * key another writer took is 'exists': the file is skipped, and its row says so.
 */
async function uploadOne(f: FileToUpload, deps: BatchDeps): Promise<UploadResult | 'exists'> {
  const { service, journal, clock } = deps;
  const startedAt = clock.now();
  try {
    const result = await service.upload(
      { path: f.path, key: f.key, ifNoneMatch: deps.ifNoneMatch },
      deps.controller.signal,
    );
    await journal.addHistory(historyRow(service.target, f, { result }));
    return result;
  } catch (raw) {
    const error = toAppError(raw);
    if (error.code.startsWith('ERR_JOURNAL')) throw error;
    const row = historyRow(service.target, f, { error, startedAt, finishedAt: clock.now() });
    const taken = deps.ifNoneMatch && error.code === 'ERR_S3_PRECONDITION_FAILED';
    await journal.addHistory(taken ? { ...row, result: 'skipped' } : row);
    if (taken) return 'exists';
    throw error;
  }
}
