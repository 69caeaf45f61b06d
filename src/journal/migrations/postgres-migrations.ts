/**
 * The PostgreSQL journal schema, as an ordered, append-only list of migrations (see migration.ts).
 * Tables live in the connection's current schema (`search_path`, normally `public`). Columns and
 * indexes mirror the SQLite schema (same snake_case names, so both stores map rows alike):
 * BIGINT for sizes, times (ms since the epoch) and inodes; DOUBLE PRECISION for mtimes (they keep
 * sub-millisecond precision) and speeds. Version 1 is the whole schema the SQLite journal reached
 * in six steps; the lists are independent from here on.
 */
import type { Migration } from './migration.js';
import { parseReasonsSql } from './reason-migration.js';

/** The ledger's table comment: tells our schema from another program's `schema_migrations`. */
export const POSTGRES_LEDGER_MARK = 's3ferry journal';

/**
 * The ledger: one row per migration run. Created by the migrator itself (under its lock) before
 * the first migration, since version 1 is recorded in it.
 */
export const POSTGRES_LEDGER_SQL = `
CREATE TABLE schema_migrations (
  version    INTEGER     PRIMARY KEY,
  name       TEXT        NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
COMMENT ON TABLE schema_migrations IS '${POSTGRES_LEDGER_MARK}';
`;

const OPEN = `state IN ('intent', 'active', 'completed')`;
const CLAIMABLE = `state IN ('queued', 'waiting')`;
const HELD = `state IN ('uploading', 'verifying')`;

const V1_INITIAL = `
CREATE TABLE uploads (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  endpoint        TEXT             NOT NULL,
  bucket          TEXT             NOT NULL,
  object_key      TEXT             NOT NULL,
  source_path     TEXT             NOT NULL,
  source_size     BIGINT           NOT NULL,
  source_mtime_ms DOUBLE PRECISION NOT NULL,
  source_inode    BIGINT           NOT NULL,
  mode            TEXT             NOT NULL CHECK (mode IN ('single', 'multipart')),
  part_size       BIGINT           NOT NULL,
  part_count      INTEGER          NOT NULL,
  owner           TEXT             NOT NULL,
  upload_id       TEXT,
  state           TEXT             NOT NULL
    CHECK (state IN ('intent', 'active', 'completed', 'verified', 'aborted', 'failed')),
  etag            TEXT,
  started_at      BIGINT           NOT NULL,
  finished_at     BIGINT,
  error           TEXT
);
-- findOpenUpload, listOpenUploads: only open uploads are indexed, so these stay small.
CREATE INDEX uploads_open_by_destination ON uploads (endpoint, bucket, object_key, id) WHERE ${OPEN};
CREATE INDEX uploads_open ON uploads (id) WHERE ${OPEN};
-- findLatestUpload: the newest upload of a destination in any state.
CREATE INDEX uploads_by_destination ON uploads (endpoint, bucket, object_key, id);
-- knowsUploadId (cleanup must never abort an upload it did not start).
CREATE INDEX uploads_by_upload_id ON uploads (upload_id) WHERE upload_id IS NOT NULL;

-- upload_ref is the journal's uploads.id; uploads.upload_id is S3's UploadId.
CREATE TABLE parts (
  upload_ref  BIGINT  NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
  part_number INTEGER NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
  size        BIGINT  NOT NULL,
  etag        TEXT    NOT NULL,
  md5         TEXT    NOT NULL,
  PRIMARY KEY (upload_ref, part_number)
);

-- Newest first is id DESC (the primary key); data is the JSON text of NewEvent.data.
CREATE TABLE events (
  id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         BIGINT NOT NULL,
  type       TEXT   NOT NULL,
  level      TEXT   NOT NULL CHECK (level IN ('info', 'warn', 'error')),
  message    TEXT   NOT NULL,
  path       TEXT,
  object_key TEXT,
  data       TEXT
);
CREATE INDEX events_by_type ON events (type, id);

-- job is NULL for one-shot uploads. Each filter and sort key of searchHistory has an index.
CREATE TABLE history (
  id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_path       TEXT             NOT NULL,
  endpoint          TEXT             NOT NULL,
  bucket            TEXT             NOT NULL,
  object_key        TEXT             NOT NULL,
  size              BIGINT           NOT NULL,
  started_at        BIGINT           NOT NULL,
  finished_at       BIGINT           NOT NULL,
  avg_bytes_per_sec DOUBLE PRECISION NOT NULL,
  attempts          INTEGER          NOT NULL,
  etag              TEXT,
  checksum          TEXT,
  result            TEXT             NOT NULL
    CHECK (result IN ('done', 'failed', 'skipped', 'cancelled')),
  error             TEXT,
  job               TEXT
);
CREATE INDEX history_newest_first ON history (finished_at DESC, id DESC);
CREATE INDEX history_by_source ON history (source_path, finished_at DESC, id DESC);
CREATE INDEX history_by_checksum ON history (checksum, finished_at DESC, id DESC)
  WHERE result = 'done';
CREATE INDEX history_by_job ON history (job, finished_at DESC, id DESC);
CREATE INDEX history_by_result ON history (result, finished_at DESC, id DESC);
CREATE INDEX history_by_size ON history (size, id);
CREATE INDEX history_by_speed ON history (avg_bytes_per_sec, id);

-- ready_at: when the file became claimable (queued: when queued; waiting: its not_before), the
-- queue order. owner/lease_until: who holds an 'uploading'/'verifying' file, until when.
CREATE TABLE files (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job         TEXT             NOT NULL,
  path        TEXT             NOT NULL,
  size        BIGINT           NOT NULL,
  mtime_ms    DOUBLE PRECISION NOT NULL,
  inode       BIGINT           NOT NULL,
  state       TEXT             NOT NULL CHECK (state IN ('discovered', 'settling', 'queued',
    'uploading', 'verifying', 'done', 'skipped', 'waiting', 'parked', 'cancelled')),
  reason      TEXT,
  not_before  BIGINT,
  attempts    INTEGER          NOT NULL DEFAULT 0,
  updated_at  BIGINT           NOT NULL,
  ready_at    BIGINT           NOT NULL,
  owner       TEXT,
  lease_until BIGINT,
  UNIQUE (job, path)
);
-- Claims walk only claimable files, oldest ready first: all jobs, or one job at a time (so the
-- backlog of a paused job, or of one behind an unhealthy destination, is never walked).
CREATE INDEX files_claimable ON files (ready_at, id) WHERE ${CLAIMABLE};
CREATE INDEX files_claimable_by_job ON files (job, ready_at, id) WHERE ${CLAIMABLE};
-- Expired leases (a dead holder's files), and the files of one holder (heartbeat, leave).
CREATE INDEX files_leased ON files (lease_until, id) WHERE ${HELD};
CREATE INDEX files_by_owner ON files (owner) WHERE owner IS NOT NULL;
-- listFiles / pageFiles by state and job.
CREATE INDEX files_by_state ON files (state, updated_at, id);
CREATE INDEX files_by_job_state ON files (job, state, updated_at, id);

CREATE TABLE agents (
  id             TEXT    PRIMARY KEY,
  hostname       TEXT    NOT NULL,
  pid            INTEGER NOT NULL,
  started_at     BIGINT  NOT NULL,
  version        TEXT    NOT NULL,
  last_heartbeat BIGINT  NOT NULL
);
`;

// Text search of the history (q): trigram GIN indexes, which serve ILIKE '%text%'. pg_trgm is a
// trusted extension (PostgreSQL 13+): the database's owner may create it. Where it cannot be had
// (no contrib package, a role that may not create it, an extension schema off the search_path),
// the search still works, by reading the rows: the migration says so in a NOTICE and goes on.
const V2_HISTORY_TRIGRAMS = `
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
  CREATE INDEX history_source_trgm ON history USING gin (source_path gin_trgm_ops);
  CREATE INDEX history_key_trgm ON history USING gin (object_key gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 's3ferry: no trigram index for the history search (%): it reads the rows instead',
    SQLERRM;
END
$$;
`;

// Files by role (domain/file-state.ts), as SQLite's migration 8: the plan of a file version, the
// reason as code, message and hint (the old text parsed once: reason-migration.ts), the ctime a
// file had when queued, the file an upload sends, the pause switches ('' = all processing).
// 'discovered' was never set by any code: such rows settle again, and the state leaves the CHECK.
const V3_FILES_BY_ROLE = `
ALTER TABLE files
  ADD COLUMN ctime_ms DOUBLE PRECISION,
  ADD COLUMN reason_code TEXT,
  ADD COLUMN reason_message TEXT,
  ADD COLUMN reason_hint TEXT,
  ADD COLUMN plan_key TEXT,
  ADD COLUMN plan_mode TEXT CHECK (plan_mode IN ('single', 'multipart')),
  ADD COLUMN plan_part_size BIGINT,
  ADD COLUMN plan_checksum TEXT,
  ADD COLUMN plan_decided_at BIGINT;
${parseReasonsSql('postgres')}
ALTER TABLE files DROP COLUMN reason;
UPDATE files SET state = 'settling' WHERE state = 'discovered';
ALTER TABLE files DROP CONSTRAINT files_state_check;
ALTER TABLE files ADD CONSTRAINT files_state_check CHECK (state IN ('settling', 'queued',
  'uploading', 'verifying', 'done', 'skipped', 'waiting', 'parked', 'cancelled'));
ALTER TABLE uploads ADD COLUMN file_id BIGINT;
CREATE TABLE pauses (
  job       TEXT   PRIMARY KEY,
  paused_at BIGINT NOT NULL
);
`;

// The address of each agent's API, once it listens (as SQLite's migration 9): the CLI of an
// agent's machine finds it through the journal.
const V4_AGENT_API = `
ALTER TABLE agents ADD COLUMN api_url TEXT;
`;

// The version of the object each upload stored (as SQLite's migration 10): NULL on an
// unversioned bucket and for older rows.
const V5_VERSION_IDS = `
ALTER TABLE history ADD COLUMN version_id TEXT;
ALTER TABLE uploads ADD COLUMN version_id TEXT;
`;

// What each destination's store accepts, as the agent's capability probe last found it (as
// SQLite's migration 11).
const V6_CAPABILITIES = `
CREATE TABLE capabilities (
  endpoint        TEXT    NOT NULL,
  bucket          TEXT    NOT NULL,
  probed_at       BIGINT  NOT NULL,
  agent           TEXT    NOT NULL,
  conditional_put BOOLEAN NOT NULL,
  tagging         BOOLEAN NOT NULL,
  object_lock     BOOLEAN NOT NULL,
  versioning      BOOLEAN NOT NULL,
  checksum_crc32  BOOLEAN NOT NULL,
  md5_etags       BOOLEAN NOT NULL,
  PRIMARY KEY (endpoint, bucket)
);
`;

/** Every migration of the PostgreSQL journal, oldest first. Append only. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial-schema', sql: V1_INITIAL },
  { version: 2, name: 'history-trigrams', sql: V2_HISTORY_TRIGRAMS },
  { version: 3, name: 'files-by-role', sql: V3_FILES_BY_ROLE },
  { version: 4, name: 'agent-api', sql: V4_AGENT_API },
  { version: 5, name: 'version-ids', sql: V5_VERSION_IDS },
  { version: 6, name: 'capabilities', sql: V6_CAPABILITIES },
];
