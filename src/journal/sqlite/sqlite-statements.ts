/**
 * Every SQL statement of the SQLite journal, prepared once per connection. Named parameters are
 * camelCase (`@uploadId`), columns snake_case. Queries that must use a partial index repeat the
 * index's WHERE term literally, since SQLite only uses a partial index when the query states it.
 */
import type Database from 'better-sqlite3';
import { claimReasonSet } from '../file-transitions.js';
import type { FileState } from '../journal-store.js';
import type {
  AgentRow,
  EventRow,
  FileRow,
  HistoryRow,
  PartRow,
  UploadRow,
} from '../journal-rows.js';

const OPEN = `state IN ('intent', 'active', 'completed')`;
const CLAIMABLE = `state IN ('queued', 'waiting')`;
/** States in which an agent holds a file (its claim, under a lease). */
const HELD = `state IN ('uploading', 'verifying')`;

/** A plan column on requeue: the new plan for a new version or where none is stored, else kept. */
const newPlan = (column: string, value: string): string =>
  `${column} = CASE WHEN @newVersion OR plan_key IS NULL THEN ${value} ELSE ${column} END`;

/** The SQL text of every statement (exported so tests can EXPLAIN QUERY PLAN them). */
export const SQL = {
  insertUpload: `INSERT INTO uploads (endpoint, bucket, object_key, source_path, source_size,
      source_mtime_ms, source_inode, mode, part_size, part_count, owner, state, started_at, file_id)
    VALUES (@endpoint, @bucket, @key, @path, @size, @mtimeMs, @inode, @mode, @partSize,
      @partCount, @owner, 'intent', @startedAt, @fileId)
    RETURNING *`,
  setUploadId: `UPDATE uploads SET upload_id = @uploadId, state = 'active'
    WHERE id = @id AND state IN ('intent', 'active') AND (upload_id IS NULL OR upload_id = @uploadId)`,
  upsertPart: `INSERT INTO parts (upload_ref, part_number, size, etag, md5)
    VALUES (@id, @partNumber, @size, @etag, @md5)
    ON CONFLICT (upload_ref, part_number)
      DO UPDATE SET size = excluded.size, etag = excluded.etag, md5 = excluded.md5`,
  listParts: `SELECT part_number, size, etag, md5 FROM parts WHERE upload_ref = ? ORDER BY part_number`,
  markCompleted: `UPDATE uploads SET state = 'completed', etag = coalesce(@etag, etag)
    WHERE id = @id AND ${OPEN}`,
  finishUpload: `UPDATE uploads SET state = @state, finished_at = @finishedAt,
      etag = coalesce(@etag, etag), error = @error, version_id = coalesce(@versionId, version_id)
    WHERE id = @id AND ${OPEN}`,
  getUpload: `SELECT * FROM uploads WHERE id = ?`,
  findOpenUpload: `SELECT * FROM uploads
    WHERE endpoint = @endpoint AND bucket = @bucket AND object_key = @key AND ${OPEN}
    ORDER BY id DESC LIMIT 1`,
  // INDEXED BY: read only the (few) open uploads, not every upload ever made.
  listOpenUploads: `SELECT * FROM uploads INDEXED BY uploads_open_by_destination
    WHERE ${OPEN} ORDER BY id`,
  listOpenUploadsIn: `SELECT * FROM uploads INDEXED BY uploads_open_by_destination
    WHERE endpoint = @endpoint AND bucket = @bucket AND ${OPEN}
    ORDER BY id`,
  findLatestUpload: `SELECT * FROM uploads INDEXED BY uploads_by_destination
    WHERE endpoint = @endpoint AND bucket = @bucket AND object_key = @key
    ORDER BY id DESC LIMIT 1`,
  knowsUploadId: `SELECT 1 AS found FROM uploads WHERE upload_id = ? LIMIT 1`,

  insertEvent: `INSERT INTO events (at, type, level, message, path, object_key, data)
    VALUES (@at, @type, @level, @message, @path, @key, @data)
    RETURNING *`,
  pruneEvents: `DELETE FROM events WHERE id <= ?`,
  listEvents: `SELECT * FROM events WHERE id < @beforeId ORDER BY id DESC LIMIT @limit`,
  listEventsOfType: `SELECT * FROM events INDEXED BY events_by_type
    WHERE type = @type AND id < @beforeId ORDER BY id DESC LIMIT @limit`,
  countEvents: `SELECT count(*) AS n FROM events`,
  countEventsOfType: `SELECT count(*) AS n FROM events WHERE type = @type`,

  insertHistory: `INSERT INTO history (source_path, endpoint, bucket, object_key, size, started_at,
      finished_at, avg_bytes_per_sec, attempts, etag, checksum, result, error, job, version_id)
    VALUES (@sourcePath, @endpoint, @bucket, @key, @size, @startedAt, @finishedAt,
      @avgBytesPerSec, @attempts, @etag, @checksum, @result, @error, @job, @versionId)
    RETURNING *`,
  listHistory: `SELECT * FROM history ORDER BY finished_at DESC, id DESC LIMIT @limit OFFSET @offset`,
  findDoneByChecksum: `SELECT * FROM history INDEXED BY history_by_checksum
    WHERE checksum = @checksum AND result = 'done' ORDER BY finished_at DESC, id DESC LIMIT 1`,
  listHistoryBySource: `SELECT * FROM history WHERE source_path = @sourcePath
    ORDER BY finished_at DESC, id DESC LIMIT @limit OFFSET @offset`,

  findFile: `SELECT * FROM files WHERE job = @job AND path = @path`,
  // @planKey … @planDecidedAt: the plan decided at enqueue (all NULL when there is none).
  insertFile: `INSERT INTO files (job, path, size, mtime_ms, inode, ctime_ms, state, attempts,
      updated_at, ready_at, plan_key, plan_mode, plan_part_size, plan_checksum, plan_decided_at)
    VALUES (@job, @path, @size, @mtimeMs, @inode, @ctimeMs, 'queued', 0, @now, @now, @planKey,
      @planMode, @planPartSize, @planChecksum, @planDecidedAt)
    RETURNING *`,
  // A changed file is a new version: its plan goes with the old one (@newVersion = 1), and the
  // plan given now (if any) takes its place; the same version keeps a plan it has (first wins).
  requeueFile: `UPDATE files SET size = @size, mtime_ms = @mtimeMs, inode = @inode,
      ctime_ms = coalesce(@ctimeMs, ctime_ms), state = 'queued', reason_code = NULL,
      reason_message = NULL, reason_hint = NULL, not_before = NULL, attempts = @attempts,
      updated_at = @now, ready_at = @now,
      ${newPlan('plan_key', '@planKey')}, ${newPlan('plan_mode', '@planMode')},
      ${newPlan('plan_part_size', '@planPartSize')},
      ${newPlan('plan_checksum', '@planChecksum')},
      ${newPlan('plan_decided_at', '@planDecidedAt')}
    WHERE id = @id
    RETURNING *`,
  // An older row without a ctime learns it, so that a later change of it is noticed.
  learnCtime: `UPDATE files SET ctime_ms = @ctimeMs WHERE id = @id AND ctime_ms IS NULL
    RETURNING *`,
  // INDEXED BY: walk the claimable files in queue order and stop at the first match. Without
  // it the planner may prefer files_by_state and sort every queued file on each claim.
  nextClaimable: `SELECT id, ready_at FROM files INDEXED BY files_claimable
    WHERE ${CLAIMABLE} AND (state = 'queued' OR ready_at <= @now)
      AND NOT EXISTS (SELECT 1 FROM pauses p WHERE p.job = files.job)
    ORDER BY ready_at, id LIMIT 1`,
  // One job's claimable files only: a paused job's backlog is never walked.
  nextClaimableOfJob: `SELECT id, ready_at FROM files INDEXED BY files_claimable_by_job
    WHERE job = @job AND ${CLAIMABLE} AND (state = 'queued' OR ready_at <= @now)
    ORDER BY ready_at, id LIMIT 1`,
  // Held files whose lease ran out: their holder stopped renewing them (it died).
  nextExpired: `SELECT id, job FROM files INDEXED BY files_leased
    WHERE ${HELD} AND lease_until <= @now ORDER BY lease_until, id`,
  // An expired 'verifying' file stays 'verifying' (file-queue.ts claim); a file taken over says
  // so in its reason. The pause switches are read in this statement: a pause committed by any
  // agent stops this claim.
  claimFile: `UPDATE files SET state = CASE state WHEN 'verifying' THEN 'verifying' ELSE 'uploading' END,
      ${claimReasonSet('')}, not_before = NULL,
      updated_at = @now, owner = @owner, lease_until = @leaseUntil
    WHERE id = @id AND (${CLAIMABLE} OR (${HELD} AND lease_until <= @now))
      AND NOT EXISTS (SELECT 1 FROM pauses p WHERE p.job IN ('', files.job))
    RETURNING *`,
  upsertAgent: `INSERT INTO agents (id, hostname, pid, started_at, version, last_heartbeat)
    VALUES (@id, @hostname, @pid, @startedAt, @version, @now)
    ON CONFLICT (id) DO UPDATE SET last_heartbeat = excluded.last_heartbeat`,
  renewLeases: `UPDATE files SET lease_until = @leaseUntil WHERE owner = @id AND ${HELD}
    RETURNING id`,
  listAgents: `SELECT a.*, (SELECT count(*) FROM files f WHERE f.owner = a.id
        AND f.state IN ('uploading', 'verifying')) AS holding
    FROM agents a ORDER BY last_heartbeat DESC, id`,
  // 'verifying' stays 'verifying', claimable at once (fleet.ts leave).
  releaseFiles: `UPDATE files SET state = CASE state WHEN 'verifying' THEN 'verifying' ELSE 'queued' END,
      owner = NULL, lease_until = CASE state WHEN 'verifying' THEN @now END,
      reason_code = @code, reason_message = @message, reason_hint = @hint, not_before = NULL,
      updated_at = @now, ready_at = @now
    WHERE owner = @id AND ${HELD}`,
  expireHolds: `UPDATE files SET owner = NULL, lease_until = @now, reason_code = @code,
      reason_message = @message, reason_hint = @hint, updated_at = @now
    WHERE ${HELD}`,
  deleteAgent: `DELETE FROM agents WHERE id = ?`,
  getFile: `SELECT * FROM files WHERE id = ?`,
  listFiles: `SELECT * FROM files ORDER BY updated_at, id LIMIT @limit OFFSET @offset`,
  listFilesIn: `SELECT * FROM files WHERE state IN (SELECT value FROM json_each(@states))
    ORDER BY updated_at, id LIMIT @limit OFFSET @offset`,
  countFiles: `SELECT state, count(*) AS n FROM files GROUP BY state`,
  countFilesByJob: `SELECT job, state, count(*) AS n FROM files GROUP BY job, state`,
  fileStates: `SELECT path, state FROM files
    WHERE job = @job AND path IN (SELECT value FROM json_each(@paths))`,
} as const;

type Params = Record<string, string | number | null>;

/** Prepares every statement of {@link SQL} on `db`, typed by its parameters and rows. */
export function prepareStatements(db: Database.Database) {
  return {
    insertUpload: db.prepare<Params, UploadRow>(SQL.insertUpload),
    setUploadId: db.prepare<{ id: number; uploadId: string }>(SQL.setUploadId),
    upsertPart: db.prepare<Params>(SQL.upsertPart),
    listParts: db.prepare<[number], PartRow>(SQL.listParts),
    markCompleted: db.prepare<{ id: number; etag: string | null }>(SQL.markCompleted),
    finishUpload: db.prepare<Params>(SQL.finishUpload),
    getUpload: db.prepare<[number], UploadRow>(SQL.getUpload),
    findOpenUpload: db.prepare<{ endpoint: string; bucket: string; key: string }, UploadRow>(
      SQL.findOpenUpload,
    ),
    listOpenUploads: db.prepare<[], UploadRow>(SQL.listOpenUploads),
    listOpenUploadsIn: db.prepare<{ endpoint: string; bucket: string }, UploadRow>(
      SQL.listOpenUploadsIn,
    ),
    findLatestUpload: db.prepare<{ endpoint: string; bucket: string; key: string }, UploadRow>(
      SQL.findLatestUpload,
    ),
    knowsUploadId: db.prepare<[string], { found: 1 }>(SQL.knowsUploadId),
    insertEvent: db.prepare<Params, EventRow>(SQL.insertEvent),
    pruneEvents: db.prepare<[number]>(SQL.pruneEvents),
    listEvents: db.prepare<{ beforeId: number; limit: number }, EventRow>(SQL.listEvents),
    listEventsOfType: db.prepare<{ beforeId: number; limit: number; type: string }, EventRow>(
      SQL.listEventsOfType,
    ),
    countEvents: db.prepare<[], { n: number }>(SQL.countEvents),
    countEventsOfType: db.prepare<{ type: string }, { n: number }>(SQL.countEventsOfType),
    insertHistory: db.prepare<Params, HistoryRow>(SQL.insertHistory),
    listHistory: db.prepare<{ limit: number; offset: number }, HistoryRow>(SQL.listHistory),
    findDoneByChecksum: db.prepare<{ checksum: string }, HistoryRow>(SQL.findDoneByChecksum),
    listHistoryBySource: db.prepare<
      { limit: number; offset: number; sourcePath: string },
      HistoryRow
    >(SQL.listHistoryBySource),
    findFile: db.prepare<{ job: string; path: string }, FileRow>(SQL.findFile),
    insertFile: db.prepare<Params, FileRow>(SQL.insertFile),
    requeueFile: db.prepare<Params, FileRow>(SQL.requeueFile),
    learnCtime: db.prepare<{ id: number; ctimeMs: number }, FileRow>(SQL.learnCtime),
    nextClaimable: db.prepare<{ now: number }, { id: number; ready_at: number }>(SQL.nextClaimable),
    nextClaimableOfJob: db.prepare<{ now: number; job: string }, { id: number; ready_at: number }>(
      SQL.nextClaimableOfJob,
    ),
    nextExpired: db.prepare<{ now: number }, { id: number; job: string }>(SQL.nextExpired),
    claimFile: db.prepare<Params, FileRow>(SQL.claimFile),
    upsertAgent: db.prepare<Params>(SQL.upsertAgent),
    renewLeases: db.prepare<{ id: string; leaseUntil: number }, { id: number }>(SQL.renewLeases),
    listAgents: db.prepare<[], AgentRow>(SQL.listAgents),
    releaseFiles: db.prepare<Params>(SQL.releaseFiles),
    expireHolds: db.prepare<Params>(SQL.expireHolds),
    deleteAgent: db.prepare<[string]>(SQL.deleteAgent),
    getFile: db.prepare<[number], FileRow>(SQL.getFile),
    listFiles: db.prepare<{ limit: number; offset: number }, FileRow>(SQL.listFiles),
    listFilesIn: db.prepare<{ states: string; limit: number; offset: number }, FileRow>(
      SQL.listFilesIn,
    ),
    countFiles: db.prepare<[], { state: string; n: number }>(SQL.countFiles),
    countFilesByJob: db.prepare<[], { job: string; state: string; n: number }>(SQL.countFilesByJob),
    fileStates: db.prepare<{ job: string; paths: string }, { path: string; state: FileState }>(
      SQL.fileStates,
    ),
  };
}

/** The prepared statements of one connection. */
export type SqliteStatements = ReturnType<typeof prepareStatements>;
