/**
 * Two reads of the queue for the API's /stats and /failures: files and bytes per job in given
 * states (what is left to send), and the parked and waiting files grouped by the code of their
 * reason (what failed, and how often). Each store answers them in one statement.
 */
import type { FileRecord } from './file-queue.js';
import { toFileRecord, type FileRow } from './journal-rows.js';

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

/** A row of failureGroups: the newest file of its group, and the group's counts. */
export interface FailureGroupRow extends FileRow {
  readonly group_files: number;
  readonly group_parked: number;
}

/** The row of a group -> FailureGroup (both stores: their SQL names the columns so). */
export function toFailureGroup(row: FailureGroupRow): FailureGroup {
  return {
    code: row.reason_code ?? '',
    files: row.group_files,
    parked: row.group_parked,
    newest: toFileRecord(row),
  };
}
