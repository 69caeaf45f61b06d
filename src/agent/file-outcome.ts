/**
 * What a file's final transition records: its event (one per transition: file.done carries the
 * key, size, ETag and duration) and its history row (DESIGN.md item 10), built from the upload's
 * result, a server-side copy, or an upload the journal already holds verified.
 */
import type {
  EventLevel,
  FileRecord,
  HistoryEntry,
  HistoryRecord,
  NewEvent,
  UploadRecord,
} from '../journal/journal-store.js';
import type { AppError } from '../errors/app-error.js';
import { historyRow } from '../transfer/history-row.js';
import type { UploadResult } from '../transfer/transfer-types.js';
import type { Copied, Sending } from './execute.js';
import type { Done } from './finish.js';
import type { JobRuntime } from './job-runtime.js';

/** An event about `file` at `at`, to record with its transition. */
export function fileEvent(
  at: number,
  type: string,
  level: EventLevel,
  message: string,
  file: Pick<FileRecord, 'path'>,
  about: { readonly key?: string | undefined; readonly data?: Record<string, unknown> } = {},
): NewEvent {
  return {
    at,
    type,
    level,
    message,
    path: file.path,
    ...(about.key === undefined ? {} : { key: about.key }),
    ...(about.data === undefined ? {} : { data: about.data }),
  };
}

/** `s3://bucket/key` of the job's destination. */
export function objectUrl(job: JobRuntime, key: string): string {
  return `s3://${job.destination.target.bucket}/${key}`;
}

/** The row subject of a sent file: its checksum is the plan's (the dedupe digest) when known. */
function subject(s: Sending, key: string) {
  const checksum = s.plan.checksum;
  return {
    path: s.file.path,
    key,
    job: s.job.name,
    ...(checksum === null ? {} : { checksum }),
  };
}

/** Uploaded now: done, with the upload's row and (single part) its ledger record. */
export function uploadDone(s: Sending, result: UploadResult, at: number): Done {
  const multipart =
    result.mode === 'multipart'
      ? { partsSent: result.partsSent, partsReused: result.partsReused, resumed: result.resumed }
      : {};
  const data = {
    job: s.job.name,
    size: result.size,
    etag: result.etag,
    versionId: result.versionId ?? null,
    durationMs: result.finishedAt - result.startedAt,
    mode: result.mode,
    ...multipart,
  };
  const text = `${s.file.path} is in ${objectUrl(s.job, result.key)}`;
  return {
    event: fileEvent(at, 'file.done', 'info', text, s.file, { key: result.key, data }),
    history: historyRow(s.job.destination.target, subject(s, result.key), { result }),
    ...(result.record === undefined ? {} : { upload: result.record }),
  };
}

/** Copied server-side from `dup`: done, with the copy's row. */
export function copyDone(s: Sending, dup: HistoryRecord, c: Copied, at: number): Done {
  const { target } = s.job.destination;
  const size = s.st.size;
  const history: HistoryEntry = {
    sourcePath: s.file.path,
    endpoint: target.endpoint,
    bucket: target.bucket,
    key: s.plan.key,
    size,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    avgBytesPerSec: size / Math.max(0.001, (c.finishedAt - c.startedAt) / 1000),
    attempts: 1,
    etag: c.etag,
    checksum: s.plan.checksum,
    result: 'done',
    error: null,
    job: s.job.name,
    versionId: c.versionId,
  };
  const from = objectUrl(s.job, dup.key);
  const text = `${s.file.path}: copied server-side from ${from} to ${objectUrl(s.job, s.plan.key)}`;
  const durationMs = c.finishedAt - c.startedAt;
  const { etag, versionId } = c;
  const data = { job: s.job.name, size, etag, versionId, durationMs, copiedFrom: dup.key };
  return {
    event: fileEvent(at, 'file.done', 'info', text, s.file, { key: s.plan.key, data }),
    history,
  };
}

/** The history row of an upload the journal holds verified (found after a crash or a takeover). */
export function historyOfUpload(
  upload: UploadRecord,
  job: string,
  checksum: string | null,
  now: number,
): HistoryEntry {
  const { destination: d, source } = upload;
  const finishedAt = upload.finishedAt ?? now;
  const fallback =
    upload.etag === null ? null : `${upload.mode === 'single' ? 'md5' : 'etag'}:${upload.etag}`;
  return {
    sourcePath: source.path,
    endpoint: d.endpoint,
    bucket: d.bucket,
    key: d.key,
    size: source.size,
    startedAt: upload.startedAt,
    finishedAt,
    avgBytesPerSec: source.size / Math.max(0.001, (finishedAt - upload.startedAt) / 1000),
    attempts: 1,
    etag: upload.etag,
    checksum: checksum ?? fallback,
    result: 'done',
    error: null,
    job,
    versionId: upload.versionId,
  };
}

/** Uploaded and verified before (a crash, a stop or a takeover came after): done, not sent again. */
export function alreadyDone(s: Sending, upload: UploadRecord, at: number): Done {
  const key = upload.destination.key;
  const data = {
    job: s.job.name,
    size: s.st.size,
    etag: upload.etag,
    versionId: upload.versionId,
    alreadyUploaded: true,
  };
  const text = `${s.file.path} is in ${objectUrl(s.job, key)}`;
  return {
    event: fileEvent(at, 'file.done', 'info', text, s.file, { key, data }),
    history: historyOfUpload(upload, s.job.name, s.plan.checksum, at),
  };
}

/**
 * Taken over in 'verifying' with its source gone: done. `upload` is the journal's verified upload
 * at the plan's key (its row is written now); `shownKey` the key to name when there is none.
 */
export function takenOverDone(
  file: FileRecord,
  job: JobRuntime,
  upload: UploadRecord | undefined,
  shownKey: string | undefined,
  at: number,
): Done {
  const key = upload?.destination.key ?? shownKey;
  const where = key === undefined ? '' : ` is in ${objectUrl(job, key)}`;
  const text =
    `${file.path}${where}: uploaded and verified by an agent that stopped before recording it ` +
    '(the source was moved or deleted after the upload)';
  const data = { job: job.name, takenOver: true };
  const event = fileEvent(at, 'file.done', 'info', text, file, { key, data });
  if (upload === undefined) return { event };
  return { event, history: historyOfUpload(upload, job.name, file.plan?.checksum ?? null, at) };
}

/** The history row of an upload that failed for good (the file is parked). */
export function failedRow(
  job: JobRuntime,
  file: FileRecord,
  key: string,
  err: AppError,
  startedAt: number,
  at: number,
): HistoryEntry {
  const row = { path: file.path, key, job: job.name };
  return historyRow(job.destination.target, row, { error: err, startedAt, finishedAt: at });
}
