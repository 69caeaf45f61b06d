/**
 * Row shapes of the journal tables (snake_case, as stored) and their mapping to the camelCase
 * records of journal-store.ts. Both stores have the same columns: SQLite's integers and PostgreSQL's
 * BIGINTs (parsed back to numbers by the PostgreSQL store) read the same. The schemas' CHECK
 * constraints guarantee the enum columns.
 */
import type { FilePlan, FileReason } from '../domain/file-state.js';
import type {
  AgentRecord,
  EventLevel,
  EventRecord,
  FailureGroup,
  FileRecord,
  FileState,
  HistoryEntry,
  HistoryRecord,
  PartRecord,
  UploadMode,
  UploadRecord,
  UploadState,
} from './journal-store.js';

/** A row of `uploads`. */
export interface UploadRow {
  id: number;
  endpoint: string;
  bucket: string;
  object_key: string;
  source_path: string;
  source_size: number;
  source_mtime_ms: number;
  source_inode: number;
  mode: UploadMode;
  part_size: number;
  part_count: number;
  owner: string;
  upload_id: string | null;
  state: UploadState;
  etag: string | null;
  started_at: number;
  finished_at: number | null;
  error: string | null;
  file_id: number | null;
  version_id: string | null;
}

/** A row of `parts` without its upload reference. */
export interface PartRow {
  part_number: number;
  size: number;
  etag: string;
  md5: string;
}

/** A row of `events`. */
export interface EventRow {
  id: number;
  at: number;
  type: string;
  level: EventLevel;
  message: string;
  path: string | null;
  object_key: string | null;
  data: string | null;
}

/** A row of `history`. */
export interface HistoryRow {
  id: number;
  source_path: string;
  endpoint: string;
  bucket: string;
  object_key: string;
  size: number;
  started_at: number;
  finished_at: number;
  avg_bytes_per_sec: number;
  attempts: number;
  etag: string | null;
  checksum: string | null;
  result: HistoryEntry['result'];
  error: string | null;
  job: string | null;
  version_id: string | null;
}

/** A row of `files`. */
export interface FileRow {
  id: number;
  job: string;
  path: string;
  size: number;
  mtime_ms: number;
  inode: number;
  ctime_ms: number | null;
  state: FileState;
  reason_code: string | null;
  reason_message: string | null;
  reason_hint: string | null;
  not_before: number | null;
  attempts: number;
  updated_at: number;
  ready_at: number;
  owner: string | null;
  lease_until: number | null;
  plan_key: string | null;
  plan_mode: FilePlan['mode'] | null;
  plan_part_size: number | null;
  plan_checksum: string | null;
  plan_decided_at: number | null;
}

/** agents row (with the count of files it holds). */
export interface AgentRow {
  id: string;
  hostname: string;
  pid: number;
  started_at: number;
  version: string;
  last_heartbeat: number;
  holding: number;
  api_url: string | null;
}

/** agents row -> AgentRecord. */
export function toAgentRecord(row: AgentRow): AgentRecord {
  return {
    id: row.id,
    hostname: row.hostname,
    pid: row.pid,
    startedAt: row.started_at,
    version: row.version,
    lastHeartbeat: row.last_heartbeat,
    holding: row.holding,
    ...(row.api_url === null ? {} : { apiUrl: row.api_url }),
  };
}

/** uploads row -> UploadRecord. */
export function toUploadRecord(row: UploadRow): UploadRecord {
  return {
    id: row.id,
    destination: { endpoint: row.endpoint, bucket: row.bucket, key: row.object_key },
    source: {
      path: row.source_path,
      size: row.source_size,
      mtimeMs: row.source_mtime_ms,
      inode: row.source_inode,
    },
    mode: row.mode,
    partSize: row.part_size,
    partCount: row.part_count,
    startedAt: row.started_at,
    owner: row.owner,
    uploadId: row.upload_id,
    state: row.state,
    etag: row.etag,
    finishedAt: row.finished_at,
    error: row.error,
    fileId: row.file_id,
    versionId: row.version_id,
  };
}

/** parts row -> PartRecord. */
export function toPartRecord(row: PartRow): PartRecord {
  return { partNumber: row.part_number, size: row.size, etag: row.etag, md5: row.md5 };
}

/** events row -> EventRecord; absent optional fields stay absent. */
export function toEventRecord(row: EventRow): EventRecord {
  return {
    id: row.id,
    at: row.at,
    type: row.type,
    level: row.level,
    message: row.message,
    ...(row.path === null ? {} : { path: row.path }),
    ...(row.object_key === null ? {} : { key: row.object_key }),
    ...(row.data === null ? {} : { data: JSON.parse(row.data) as Record<string, unknown> }),
  };
}

/** history row -> HistoryRecord. */
export function toHistoryRecord(row: HistoryRow): HistoryRecord {
  return {
    id: row.id,
    sourcePath: row.source_path,
    endpoint: row.endpoint,
    bucket: row.bucket,
    key: row.object_key,
    size: row.size,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    avgBytesPerSec: row.avg_bytes_per_sec,
    attempts: row.attempts,
    etag: row.etag,
    checksum: row.checksum,
    result: row.result,
    error: row.error,
    ...(row.job === null ? {} : { job: row.job }),
    versionId: row.version_id,
  };
}

/** files row -> FileRecord (ready_at is internal queue order, not part of the record). */
export function toFileRecord(row: FileRow): FileRecord {
  return {
    id: row.id,
    job: row.job,
    path: row.path,
    size: row.size,
    mtimeMs: row.mtime_ms,
    inode: row.inode,
    ctimeMs: row.ctime_ms,
    state: row.state,
    reason: toReason(row),
    notBefore: row.not_before,
    attempts: row.attempts,
    updatedAt: row.updated_at,
    owner: row.owner,
    leaseUntil: row.lease_until,
    plan: toPlan(row),
  };
}

/** The three reason columns -> FileReason (null when there is no reason). */
function toReason(row: FileRow): FileReason | null {
  if (row.reason_code === null) return null;
  return { code: row.reason_code, message: row.reason_message ?? '', hint: row.reason_hint };
}

/** The plan columns -> FilePlan (null until a plan was saved). */
function toPlan(row: FileRow): FilePlan | null {
  if (row.plan_key === null || row.plan_mode === null) return null;
  return {
    key: row.plan_key,
    mode: row.plan_mode,
    partSize: row.plan_part_size ?? 0,
    checksum: row.plan_checksum,
    decidedAt: row.plan_decided_at ?? 0,
  };
}

/** A reason as the three bound values of its columns: code, message, hint. */
export function reasonValues(
  reason: FileReason | null | undefined,
): [string | null, string | null, string | null] {
  return reason == null ? [null, null, null] : [reason.code, reason.message, reason.hint];
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
