/**
 * Two reads of the queue for the API's /stats and /failures: files and bytes per job in given
 * states (what is left to send), and the parked and waiting files grouped by the code of their
 * reason (what failed, and how often). Each store answers them in one statement.
 */
import type { FileRecord } from './file-queue.js';

/** Files and their bytes. */
export interface FileTotals {
  readonly files: number;
  readonly bytes: number;
}

/** Parked and waiting files that share the code of their reason. */
export interface FailureGroup {
  /** The reason's code (ERR_… for a failure, docs/errors.md); '' for files without a reason. */
  readonly code: string;
  /** Files in the group. */
  readonly files: number;
  /** Of them, parked (the rest are waiting). */
  readonly parked: number;
  /** The file of the group that changed state last (ties: the highest id). */
  readonly newest: FileRecord;
}

/** Which failures: the files of one job, or all. */
export interface FailureQuery {
  readonly job?: string;
}
