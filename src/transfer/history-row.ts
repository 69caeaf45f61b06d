/**
 * The history row of an upload (DESIGN.md item 10), built from what the transfer service returned
 * or threw. The service writes no history: its callers (the agent's processor, `s3ferry upload`)
 * write this row, each as part of recording the file's outcome.
 */
import type { AppError } from '../errors/app-error.js';
import type { HistoryEntry } from '../journal/journal-store.js';
import type { ObjectTarget } from '../object-store/object-target.js';
import type { UploadResult } from './transfer-types.js';

/** What the row is about. */
export interface HistorySubject {
  readonly path: string;
  readonly key: string;
  readonly job?: string;
  /** The content checksum the caller computed (e.g. 'sha256:…'); the upload's own otherwise. */
  readonly checksum?: string;
}

/** The outcome: the result, or the error with when the upload began and ended. */
export type HistoryOutcome =
  | { readonly result: UploadResult }
  | { readonly error: AppError; readonly startedAt: number; readonly finishedAt: number };

export function historyRow(
  target: Pick<ObjectTarget, 'endpoint' | 'bucket'>,
  subject: HistorySubject,
  outcome: HistoryOutcome,
): HistoryEntry {
  const base = {
    sourcePath: subject.path,
    endpoint: target.endpoint,
    bucket: target.bucket,
    key: subject.key,
    ...(subject.job === undefined ? {} : { job: subject.job }),
  };
  if ('result' in outcome) {
    const r = outcome.result;
    return {
      ...base,
      size: r.size,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      avgBytesPerSec: r.size / Math.max(0.001, (r.finishedAt - r.startedAt) / 1000),
      attempts: r.attempts,
      etag: r.etag,
      checksum: subject.checksum ?? r.checksum,
      result: 'done',
      error: null,
      versionId: r.versionId ?? null,
    };
  }
  const { error: err, startedAt, finishedAt } = outcome;
  const attempts = err.details.attempts;
  return {
    ...base,
    size: 0,
    startedAt,
    finishedAt,
    avgBytesPerSec: 0,
    attempts: typeof attempts === 'number' ? attempts : 1,
    etag: null,
    checksum: subject.checksum ?? null,
    result: err.kind === 'cancelled' ? 'cancelled' : 'failed',
    error: `${err.code}: ${err.message}`,
  };
}
