/**
 * The read side of the journal, for the API, the CLI and the dashboard: files, events, history,
 * agents, open uploads and pause switches. Reads only.
 */
import type { FileState } from '../domain/file-state.js';
import type { EventRecord, HistoryRecord, HistoryResult } from './event-log.js';
import type { FileRecord } from './file-queue.js';
import type { AgentRecord, Pauses } from './fleet.js';
import type { FailureGroup, FailureQuery, FileTotals } from './queue-stats.js';
import type { UploadRecord } from './upload-ledger.js';

/** What the history can be sorted by: finish time, size, average speed. */
export const HISTORY_SORTS = ['finishedAt', 'size', 'speed'] as const;
export type HistorySort = (typeof HISTORY_SORTS)[number];

/** A page of the history: filters, sort and paging, all applied by the store. */
export interface HistoryQuery {
  readonly limit: number;
  readonly offset?: number;
  /** Only uploads of this job. */
  readonly job?: string;
  readonly result?: HistoryResult;
  /**
   * Only rows whose source path or key contains this text, ignoring ASCII case. Three characters
   * or more are looked up in an index; shorter text is checked row by row.
   */
  readonly q?: string;
  /** Only uploads that finished at or after this time, ms since the epoch. */
  readonly since?: number;
  /** Only uploads that finished before this time, ms since the epoch. */
  readonly until?: number;
  /** Only uploads whose object key contains this text (case as given: keys are case-sensitive). */
  readonly key?: string;
  /** Default 'finishedAt'. Ties are broken by id, in the same direction. */
  readonly sort?: HistorySort;
  /** Default 'desc' (newest, largest, fastest first). */
  readonly order?: 'asc' | 'desc';
}

/** Files of the queue, filtered by state and job, oldest first. */
export interface FileQuery {
  readonly states?: readonly FileState[];
  readonly job?: string;
  /** Only files whose last state change was at or after this time, ms since the epoch. */
  readonly changedSince?: number;
  /** Only files whose last state change was before this time, ms since the epoch. */
  readonly changedUntil?: number;
  readonly limit: number;
  readonly offset?: number;
}

/** Which events: all filters are applied by the store. */
export interface EventFilter {
  /** Only events of this exact type, e.g. 'file.done'. */
  readonly type?: string;
  /** Only events about this job (the job of their data). */
  readonly job?: string;
  /** Only events at or after this time, ms since the epoch. */
  readonly since?: number;
  /** Only events whose object key contains this text (case as given). */
  readonly key?: string;
}

/** A page of events, newest first; `beforeId` pages backwards. */
export interface EventQuery extends EventFilter {
  readonly limit: number;
  readonly beforeId?: number;
}

/** True when a filter needs more than the type (the stores' general event query). */
export function filtersEvents(f: EventFilter): boolean {
  return f.job !== undefined || f.since !== undefined || f.key !== undefined;
}

/** One page of a list and how many rows the whole filtered list has. */
export interface Page<T> {
  readonly items: T[];
  readonly total: number;
}

/** The reads. Reject with an AppError (ERR_JOURNAL*) on storage failure. */
export interface JournalQueries {
  getFile(id: number): Promise<FileRecord | undefined>;
  /** Files in the given states (all when absent), oldest first. */
  listFiles(query: {
    states?: readonly FileState[];
    limit: number;
    offset?: number;
  }): Promise<FileRecord[]>;
  /** One page of files in the given states (all when absent) and job, oldest first, with the total. */
  pageFiles(query: FileQuery): Promise<Page<FileRecord>>;
  /** Count of files per state (every state present). */
  countFiles(): Promise<Record<FileState, number>>;
  /** Count of files per state, per job (jobs with no file are absent; every state is present). */
  countFilesByJob(): Promise<Record<string, Record<FileState, number>>>;
  /** Files in `states` and their bytes, per job (jobs with none are absent). */
  sumFilesByJob(states: readonly FileState[]): Promise<Record<string, FileTotals>>;
  /**
   * Parked and waiting files grouped by the code of their reason, each group with its newest
   * file; the largest group first (ties: by code).
   */
  failureGroups(query?: FailureQuery): Promise<FailureGroup[]>;
  /** The state of each of `paths` the job knows (paths it does not know are absent). */
  fileStates(job: string, paths: readonly string[]): Promise<Record<string, FileState>>;
  /** Newest first; `beforeId` pages backwards; the filters keep only the events they match. */
  listEvents(query: EventQuery): Promise<EventRecord[]>;
  /** How many of the kept events the filter matches (all when empty). */
  countEvents(query?: EventFilter): Promise<number>;
  /** Newest first; only the uploads of one source file when `sourcePath` is given. */
  listHistory(query: {
    limit: number;
    offset?: number;
    sourcePath?: string;
  }): Promise<HistoryRecord[]>;
  /** One page of the history, filtered and sorted, with the total of the filtered list. */
  searchHistory(query: HistoryQuery): Promise<Page<HistoryRecord>>;
  /** The newest successful upload whose content checksum (e.g. 'sha256:…') is this one. */
  findDoneByChecksum(checksum: string): Promise<HistoryRecord | undefined>;
  /** The agents that sent a heartbeat and did not leave, most recent heartbeat first. */
  listAgents(): Promise<AgentRecord[]>;
  /** All open uploads, optionally for one endpoint+bucket, oldest first. */
  listOpenUploads(filter?: { endpoint: string; bucket: string }): Promise<UploadRecord[]>;
  /** The pause switches that are on. */
  pauses(): Promise<Pauses>;
}
