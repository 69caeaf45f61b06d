/**
 * The journal's record of what happened: events (the newest N kept) and the history of finished
 * uploads (DESIGN.md item 10). This port holds the writes; reading is JournalQueries'.
 * A file's transition may carry its event and history row, written in the same transaction as
 * the move (file-queue.ts): these two are for everything else.
 */

export const EVENT_LEVELS = { info: 'info', warn: 'warn', error: 'error' } as const;
export type EventLevel = (typeof EVENT_LEVELS)[keyof typeof EVENT_LEVELS];

/** An event to record (time, type, what it is about, a human message). */
export interface NewEvent {
  readonly at: number;
  /** e.g. 'upload.started', 'upload.finished', 'upload.failed', 'upload.retry', 'upload.resumed'. */
  readonly type: string;
  readonly level: EventLevel;
  readonly message: string;
  readonly path?: string;
  readonly key?: string;
  /** JSON-safe extra facts; never secrets. */
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface EventRecord extends NewEvent {
  readonly id: number;
}

/** How an upload ended, as the history records it. */
export const HISTORY_RESULTS = ['done', 'failed', 'skipped', 'cancelled'] as const;
export type HistoryResult = (typeof HISTORY_RESULTS)[number];

/** One row of upload history, written when an upload ends (success or not). */
export interface HistoryEntry {
  readonly sourcePath: string;
  readonly endpoint: string;
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** Bytes per second over the whole upload (size / duration). */
  readonly avgBytesPerSec: number;
  readonly attempts: number;
  readonly etag: string | null;
  /** e.g. 'md5:…' or 'sha256:…' of the content, where known. */
  readonly checksum: string | null;
  readonly result: HistoryResult;
  readonly error: string | null;
  /** The agent job the upload belonged to; absent for one-shot uploads and older rows. */
  readonly job?: string;
  /**
   * The version of the object the upload stored, where the bucket keeps versions (S3's VersionId);
   * null or absent on an unversioned bucket, for failures and for older rows.
   */
  readonly versionId?: string | null;
}

export interface HistoryRecord extends HistoryEntry {
  readonly id: number;
  readonly versionId: string | null;
}

/** The writes of events and history. Reject with an AppError (ERR_JOURNAL*) on storage failure. */
export interface EventLog {
  /** Appends an event; keeps only the newest `eventRetention` events. */
  appendEvent(event: NewEvent): Promise<EventRecord>;
  addHistory(entry: HistoryEntry): Promise<HistoryRecord>;
}
