/**
 * The SQLite journal schema, as an ordered, append-only list of migrations (see migration.ts).
 * Columns are snake_case; the store maps them to the camelCase records of journal-store.ts.
 * Times are integer ms since the epoch; mtimes are REAL to keep sub-millisecond precision.
 */
import type { Migration } from './migration.js';
import { parseReasonsSql } from './reason-migration.js';

/** `PRAGMA application_id` of an s3ferry journal ('S3FY'): tells our file from other databases. */
export const SQLITE_APPLICATION_ID = 0x53334659;

const V1_INITIAL = `
CREATE TABLE uploads (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint        TEXT    NOT NULL,
  bucket          TEXT    NOT NULL,
  object_key      TEXT    NOT NULL,
  source_path     TEXT    NOT NULL,
  source_size     INTEGER NOT NULL,
  source_mtime_ms REAL    NOT NULL,
  source_inode    INTEGER NOT NULL,
  mode            TEXT    NOT NULL CHECK (mode IN ('single', 'multipart')),
  part_size       INTEGER NOT NULL,
  part_count      INTEGER NOT NULL,
  owner           TEXT    NOT NULL,
  upload_id       TEXT,
  state           TEXT    NOT NULL
    CHECK (state IN ('intent', 'active', 'completed', 'verified', 'aborted', 'failed')),
  etag            TEXT,
  started_at      INTEGER NOT NULL,
  finished_at     INTEGER,
  error           TEXT
);
-- findOpenUpload / listOpenUploads: only open uploads are indexed, so the index stays small.
CREATE INDEX uploads_open_by_destination ON uploads (endpoint, bucket, object_key, id)
  WHERE state IN ('intent', 'active', 'completed');
-- knowsUploadId (cleanup must never abort an upload it did not start).
CREATE INDEX uploads_by_upload_id ON uploads (upload_id) WHERE upload_id IS NOT NULL;

-- upload_ref is the journal's uploads.id; uploads.upload_id is S3's UploadId.
CREATE TABLE parts (
  upload_ref  INTEGER NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
  part_number INTEGER NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
  size        INTEGER NOT NULL,
  etag        TEXT    NOT NULL,
  md5         TEXT    NOT NULL,
  PRIMARY KEY (upload_ref, part_number)
) WITHOUT ROWID;

-- Newest first is id DESC: the primary key serves it, no other index needed.
CREATE TABLE events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  type       TEXT    NOT NULL,
  level      TEXT    NOT NULL CHECK (level IN ('info', 'warn', 'error')),
  message    TEXT    NOT NULL,
  path       TEXT,
  object_key TEXT,
  data       TEXT
);

CREATE TABLE history (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  source_path        TEXT    NOT NULL,
  endpoint           TEXT    NOT NULL,
  bucket             TEXT    NOT NULL,
  object_key         TEXT    NOT NULL,
  size               INTEGER NOT NULL,
  started_at         INTEGER NOT NULL,
  finished_at        INTEGER NOT NULL,
  avg_bytes_per_sec  REAL    NOT NULL,
  attempts           INTEGER NOT NULL,
  etag               TEXT,
  checksum           TEXT,
  result             TEXT    NOT NULL CHECK (result IN ('done', 'failed', 'skipped', 'cancelled')),
  error              TEXT
);
CREATE INDEX history_newest_first ON history (finished_at DESC, id DESC);

CREATE TABLE files (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  job        TEXT    NOT NULL,
  path       TEXT    NOT NULL,
  size       INTEGER NOT NULL,
  mtime_ms   REAL    NOT NULL,
  inode      INTEGER NOT NULL,
  state      TEXT    NOT NULL CHECK (state IN ('discovered', 'settling', 'queued', 'uploading',
    'verifying', 'done', 'skipped', 'waiting', 'parked', 'cancelled')),
  reason     TEXT,
  not_before INTEGER,
  attempts   INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  -- When the file became claimable (queued: when queued; waiting: its not_before): queue order.
  ready_at   INTEGER NOT NULL,
  UNIQUE (job, path)
);
-- claimNextFile: only claimable files are indexed, walked oldest-ready first.
CREATE INDEX files_claimable ON files (ready_at, id) WHERE state IN ('queued', 'waiting');
-- listFiles by state, countFiles.
CREATE INDEX files_by_state ON files (state, updated_at, id);

PRAGMA application_id = ${SQLITE_APPLICATION_ID};
`;

// findLatestUpload: the newest upload of a destination in any state (the agent asks whether an
// unchanged file was already uploaded and verified, e.g. before a crash stopped its after-action).
const V2_UPLOADS_BY_DESTINATION = `
CREATE INDEX uploads_by_destination ON uploads (endpoint, bucket, object_key, id);
`;

// listHistory({ sourcePath }): the uploads of one file, newest first (`s3ferry link FILE`).
const V3_HISTORY_BY_SOURCE = `
CREATE INDEX history_by_source ON history (source_path, finished_at DESC, id DESC);
`;

// findDoneByChecksum: content dedupe looks up an earlier upload of the same content.
const V4_HISTORY_BY_CHECKSUM = `
CREATE INDEX history_by_checksum ON history (checksum, finished_at DESC, id DESC) WHERE result = 'done';
`;

// The API pages, filters and sorts the history on the server (100,000 rows and more): the job of
// each upload is recorded (NULL for older rows and one-shot uploads); each filter and sort key has
// an index; text search on source path and key goes through a trigram index (FTS5, external
// content: the text stays in `history`, detail=none keeps the index small). The queue is paged by
// job and state, events are filtered by type.
const V5_HISTORY_SEARCH = `
ALTER TABLE history ADD COLUMN job TEXT;
CREATE INDEX history_by_job ON history (job, finished_at DESC, id DESC);
CREATE INDEX history_by_result ON history (result, finished_at DESC, id DESC);
CREATE INDEX history_by_size ON history (size, id);
CREATE INDEX history_by_speed ON history (avg_bytes_per_sec, id);
CREATE VIRTUAL TABLE history_text USING fts5 (
  source_path, object_key, content = 'history', content_rowid = 'id', tokenize = 'trigram',
  detail = 'none'
);
INSERT INTO history_text (history_text) VALUES ('rebuild');
CREATE TRIGGER history_text_insert AFTER INSERT ON history BEGIN
  INSERT INTO history_text (rowid, source_path, object_key)
    VALUES (new.id, new.source_path, new.object_key);
END;
CREATE TRIGGER history_text_delete AFTER DELETE ON history BEGIN
  INSERT INTO history_text (history_text, rowid, source_path, object_key)
    VALUES ('delete', old.id, old.source_path, old.object_key);
END;
CREATE INDEX files_by_job_state ON files (job, state, updated_at, id);
CREATE INDEX events_by_type ON events (type, id);
`;

// Claims with leases (fleet mode shares the contract): the holder of an 'uploading'/'verifying'
// file and until when its claim holds. Claims walk one job's ready files at a time, so a big
// backlog of a paused job or one behind an unhealthy destination costs nothing to skip. The
// agents table lists the agents and their last heartbeat.
const V6_CLAIM_LEASES = `
ALTER TABLE files ADD COLUMN owner TEXT;
ALTER TABLE files ADD COLUMN lease_until INTEGER;
CREATE INDEX files_claimable_by_job ON files (job, ready_at, id) WHERE state IN ('queued', 'waiting');
CREATE INDEX files_leased ON files (lease_until) WHERE state IN ('uploading', 'verifying');
CREATE INDEX files_by_owner ON files (owner) WHERE owner IS NOT NULL;
CREATE TABLE agents (
  id             TEXT    PRIMARY KEY,
  hostname       TEXT    NOT NULL,
  pid            INTEGER NOT NULL,
  started_at     INTEGER NOT NULL,
  version        TEXT    NOT NULL,
  last_heartbeat INTEGER NOT NULL
);
`;

// The trigram index of the history's text is brought up to date in batches instead of by a
// trigger on every insert (sqlite-history-text.ts): through the trigger each row cost about
// 0.14 ms of CPU (FTS5 writes a segment per transaction), a third of the journal's cost of a
// small file; a batch costs about 0.003 ms a row. `history_text_state` records the last history
// id the index holds; a deleted row is removed from the index only if it was in it.
const V7_HISTORY_TEXT_BATCHED = `
DROP TRIGGER history_text_insert;
DROP TRIGGER history_text_delete;
CREATE TABLE history_text_state (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_through INTEGER NOT NULL
);
INSERT INTO history_text_state (id, indexed_through) SELECT 1, coalesce(max(id), 0) FROM history;
CREATE TRIGGER history_text_delete AFTER DELETE ON history
  WHEN old.id <= (SELECT indexed_through FROM history_text_state)
BEGIN
  INSERT INTO history_text (history_text, rowid, source_path, object_key)
    VALUES ('delete', old.id, old.source_path, old.object_key);
END;
`;

// Files by role (domain/file-state.ts): the plan of a file version (key, mode, part size, checksum,
// when decided), the reason as code, message and hint (the old text `CODE: message (fix: hint)` is
// parsed here, once: reason-migration.ts), the ctime a file had when queued (a parked file whose
// ctime changed is queued again), the file an upload sends, and the pause switches ('' = all
// processing). 'discovered' was never set by any code: such rows would settle again. The CHECK of
// files.state keeps allowing it: SQLite can change a CHECK only by rebuilding the table.
const V8_FILES_BY_ROLE = `
ALTER TABLE files ADD COLUMN ctime_ms REAL;
ALTER TABLE files ADD COLUMN reason_code TEXT;
ALTER TABLE files ADD COLUMN reason_message TEXT;
ALTER TABLE files ADD COLUMN reason_hint TEXT;
ALTER TABLE files ADD COLUMN plan_key TEXT;
ALTER TABLE files ADD COLUMN plan_mode TEXT CHECK (plan_mode IN ('single', 'multipart'));
ALTER TABLE files ADD COLUMN plan_part_size INTEGER;
ALTER TABLE files ADD COLUMN plan_checksum TEXT;
ALTER TABLE files ADD COLUMN plan_decided_at INTEGER;
${parseReasonsSql('sqlite')}
ALTER TABLE files DROP COLUMN reason;
UPDATE files SET state = 'settling' WHERE state = 'discovered';
ALTER TABLE uploads ADD COLUMN file_id INTEGER;
CREATE TABLE pauses (
  job       TEXT    PRIMARY KEY,
  paused_at INTEGER NOT NULL
);
`;

// The address of each agent's API, once it listens (Fleet.announceApi): the CLI of the agent's
// machine finds a running agent through the journal it holds, whatever port the agent uses.
const V9_AGENT_API = `
ALTER TABLE agents ADD COLUMN api_url TEXT;
`;

// The version of the object each upload stored, where the bucket keeps versions (S3's VersionId;
// NULL on an unversioned bucket and for older rows): in the history (links to the exact version,
// reports, manifests) and in the uploads (the history row of an upload found verified after a
// crash or a takeover is built from it).
const V10_VERSION_IDS = `
ALTER TABLE history ADD COLUMN version_id TEXT;
ALTER TABLE uploads ADD COLUMN version_id TEXT;
`;

// What each destination's store accepts, as the agent's capability probe last found it
// (journal/capability-log.ts): one row per endpoint and bucket.
const V11_CAPABILITIES = `
CREATE TABLE capabilities (
  endpoint        TEXT    NOT NULL,
  bucket          TEXT    NOT NULL,
  probed_at       INTEGER NOT NULL,
  agent           TEXT    NOT NULL,
  conditional_put INTEGER NOT NULL,
  tagging         INTEGER NOT NULL,
  object_lock     INTEGER NOT NULL,
  versioning      INTEGER NOT NULL,
  checksum_crc32  INTEGER NOT NULL,
  md5_etags       INTEGER NOT NULL,
  PRIMARY KEY (endpoint, bucket)
);
`;

/** Every migration of the SQLite journal, oldest first. Append only. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial-schema', sql: V1_INITIAL },
  { version: 2, name: 'uploads-by-destination', sql: V2_UPLOADS_BY_DESTINATION },
  { version: 3, name: 'history-by-source', sql: V3_HISTORY_BY_SOURCE },
  { version: 4, name: 'history-by-checksum', sql: V4_HISTORY_BY_CHECKSUM },
  { version: 5, name: 'history-search', sql: V5_HISTORY_SEARCH },
  { version: 6, name: 'claim-leases', sql: V6_CLAIM_LEASES },
  { version: 7, name: 'history-text-batched', sql: V7_HISTORY_TEXT_BATCHED },
  { version: 8, name: 'files-by-role', sql: V8_FILES_BY_ROLE },
  { version: 9, name: 'agent-api', sql: V9_AGENT_API },
  { version: 10, name: 'version-ids', sql: V10_VERSION_IDS },
  { version: 11, name: 'capabilities', sql: V11_CAPABILITIES },
];
