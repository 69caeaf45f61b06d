/**
 * The uploads half of the PostgreSQL journal: intent, UploadId, parts, completion, end. As in
 * SQLite, state moves are guarded in SQL (the WHERE names the states that allow them), so a
 * finished upload is never rewritten and a recorded UploadId is never replaced; repeating a move
 * with the same result is a no-op, so a write retried after a lost connection is harmless.
 * Each operation is one statement (its own transaction); a refusal is explained by reading the row
 * afterwards: uploads only move forward, so what it shows is what refused the move.
 */
import type { Hold } from '../../domain/file-state.js';
import { HELD_SQL } from '../file-transitions.js';
import { toPartRecord, toUploadRecord, type PartRow, type UploadRow } from '../journal-rows.js';
import type {
  Destination,
  PartRecord,
  UploadIntent,
  UploadOutcome,
  UploadRecord,
  VerifiedUpload,
} from '../journal-store.js';
import type { PgQueryable } from './postgres-connection.js';

const OPEN = `state IN ('intent', 'active', 'completed')`;

/**
 * The hold guard of a write, placeholders $h (file id) and $o (owner): true without a hold, else
 * only while that owner holds the file. FOR SHARE: a claim taking the file over waits for this
 * write to commit, and this write waits for such a claim and then sees the new owner.
 */
const held = (h: number, o: number): string =>
  `($${h}::bigint IS NULL OR EXISTS (SELECT 1 FROM files
    WHERE files.id = $${h} AND files.owner = $${o}::text AND files.${HELD_SQL} FOR SHARE))`;

/** The SQL of the upload operations (exported so tests can EXPLAIN them). */
export const UPLOAD_SQL = {
  insert: `INSERT INTO uploads (endpoint, bucket, object_key, source_path, source_size,
      source_mtime_ms, source_inode, mode, part_size, part_count, owner, state, started_at, file_id)
    SELECT $1, $2, $3, $4, $5::bigint, $6::double precision, $7::bigint, $8, $9::bigint,
      $10::integer, $11, 'intent', $12::bigint, $13::bigint
    WHERE ${held(14, 15)}
    RETURNING *`,
  setUploadId: `UPDATE uploads SET upload_id = $2, state = 'active'
    WHERE id = $1 AND state IN ('intent', 'active') AND (upload_id IS NULL OR upload_id = $2)
      AND ${held(3, 4)}`,
  // Only for a known upload (the foreign key would refuse it too, with a less helpful message).
  upsertPart: `INSERT INTO parts (upload_ref, part_number, size, etag, md5)
    SELECT $1::bigint, $2::integer, $3::bigint, $4::text, $5::text
    WHERE EXISTS (SELECT 1 FROM uploads WHERE id = $1) AND ${held(6, 7)}
    ON CONFLICT (upload_ref, part_number)
      DO UPDATE SET size = excluded.size, etag = excluded.etag, md5 = excluded.md5`,
  listParts: `SELECT part_number, size, etag, md5 FROM parts WHERE upload_ref = $1
    ORDER BY part_number`,
  markCompleted: `UPDATE uploads SET state = 'completed', etag = coalesce($2, etag)
    WHERE id = $1 AND ${OPEN} AND ${held(3, 4)}`,
  finish: `UPDATE uploads SET state = $2, finished_at = $3, etag = coalesce($4, etag), error = $5,
      version_id = coalesce($8::text, version_id)
    WHERE id = $1 AND ${OPEN} AND ${held(6, 7)}`,
  get: `SELECT * FROM uploads WHERE id = $1`,
  findOpen: `SELECT * FROM uploads
    WHERE endpoint = $1 AND bucket = $2 AND object_key = $3 AND ${OPEN}
    ORDER BY id DESC LIMIT 1`,
  findLatest: `SELECT * FROM uploads WHERE endpoint = $1 AND bucket = $2 AND object_key = $3
    ORDER BY id DESC LIMIT 1`,
  listOpen: `SELECT * FROM uploads WHERE ${OPEN} ORDER BY id`,
  listOpenIn: `SELECT * FROM uploads WHERE endpoint = $1 AND bucket = $2 AND ${OPEN} ORDER BY id`,
  knowsUploadId: `SELECT 1 AS found FROM uploads WHERE upload_id = $1 LIMIT 1`,
} as const;

/** Raises the store's error for a refused operation (the message says why). */
export type RefuseFn = (operation: string, message: string) => never;

/** Throws ERR_LEASE_LOST (or not-found) when `hold` is no longer valid; else returns. */
export type HoldCheck = (hold: Hold) => Promise<void>;

/** Upload operations on one database. A write given a hold applies only while it is valid. */
export interface PostgresUploads {
  begin(intent: UploadIntent, hold?: Hold): Promise<UploadRecord>;
  recordUploadId(id: number, uploadId: string, hold?: Hold): Promise<void>;
  recordPart(id: number, part: PartRecord, hold?: Hold): Promise<void>;
  listParts(id: number): Promise<PartRecord[]>;
  markCompleted(id: number, etag: string | null, hold?: Hold): Promise<void>;
  finish(id: number, outcome: UploadOutcome, hold?: Hold): Promise<void>;
  get(id: number): Promise<UploadRecord | undefined>;
  findOpen(destination: Destination): Promise<UploadRecord | undefined>;
  findLatest(destination: Destination): Promise<UploadRecord | undefined>;
  listOpen(filter?: { endpoint: string; bucket: string }): Promise<UploadRecord[]>;
  knowsUploadId(uploadId: string): Promise<boolean>;
}

function intentValues({ destination: d, source: s, ...intent }: UploadIntent): unknown[] {
  return [
    d.endpoint,
    d.bucket,
    d.key,
    s.path,
    s.size,
    s.mtimeMs,
    s.inode,
    intent.mode,
    intent.partSize,
    intent.partCount,
    intent.owner,
    intent.startedAt,
    intent.fileId ?? null,
  ];
}

/** The two values of a hold guard. */
const holdValues = (hold: Hold | undefined): [number | null, string | null] =>
  hold === undefined ? [null, null] : [hold.fileId, hold.owner];

/**
 * Records a verified single-part upload (its row, its part, its end) on `q`, which must be one
 * transaction: the file queue's transition, or {@link PostgresJournalCore}'s recordUpload. With a
 * hold, the insert applies only while it is valid; resolves undefined when it is not.
 */
export async function insertVerifiedUpload(
  q: PgQueryable,
  upload: VerifiedUpload,
  hold?: Hold,
): Promise<UploadRecord | undefined> {
  const values = [...intentValues(upload.intent), ...holdValues(hold)];
  const row = (await q.query<UploadRow>(UPLOAD_SQL.insert, values)).rows[0];
  if (row === undefined) return undefined;
  const { partNumber, size, etag, md5 } = upload.part;
  await q.query(UPLOAD_SQL.upsertPart, [row.id, partNumber, size, etag, md5, null, null]);
  const end = [row.id, 'verified', upload.finishedAt, upload.etag, null, null, null];
  end.push(upload.versionId ?? null);
  await q.query(UPLOAD_SQL.finish, end);
  return toUploadRecord((await q.query<UploadRow>(UPLOAD_SQL.get, [row.id])).rows[0] ?? row);
}

/** Builds the upload operations on `db`; `refuse` raises the error of a refused move. */
export function createPostgresUploads(
  db: PgQueryable,
  refuse: RefuseFn,
  checkHold: HoldCheck,
): PostgresUploads {
  const one = async (sql: string, values: unknown[]): Promise<UploadRecord | undefined> => {
    const row = (await db.query<UploadRow>(sql, values)).rows[0];
    return row === undefined ? undefined : toUploadRecord(row);
  };
  /** Why a guarded statement changed nothing: the hold lapsed, no such upload, or its state. */
  const explain = async (operation: string, id: number, hold?: Hold): Promise<never> => {
    if (hold !== undefined) await checkHold(hold);
    const row = await one(UPLOAD_SQL.get, [id]);
    const why =
      row === undefined
        ? `upload ${id} is not in the journal`
        : `upload ${id} is ${row.state}${row.uploadId === null ? '' : ` with UploadId ${row.uploadId}`}, which refuses ${operation}`;
    return refuse(operation, why);
  };
  const guarded = async (
    operation: string,
    id: number,
    hold: Hold | undefined,
    sql: string,
    values: unknown[],
  ) => {
    if ((await db.query(sql, [...values, ...holdValues(hold)])).rowCount === 0)
      await explain(operation, id, hold);
  };

  return {
    begin: async (intent, hold) => {
      const rec = await one(UPLOAD_SQL.insert, [...intentValues(intent), ...holdValues(hold)]);
      if (rec !== undefined) return rec;
      if (hold !== undefined) await checkHold(hold);
      throw new Error('INSERT … RETURNING returned no row');
    },
    recordUploadId: (id, uploadId, hold) =>
      guarded('recordUploadId', id, hold, UPLOAD_SQL.setUploadId, [id, uploadId]),
    recordPart: (id, { partNumber, size, etag, md5 }, hold) =>
      guarded('recordPart', id, hold, UPLOAD_SQL.upsertPart, [id, partNumber, size, etag, md5]),
    listParts: async (id) =>
      (await db.query<PartRow>(UPLOAD_SQL.listParts, [id])).rows.map(toPartRecord),
    markCompleted: (id, etag, hold) =>
      guarded('markCompleted', id, hold, UPLOAD_SQL.markCompleted, [id, etag]),
    finish: async (id, { state, finishedAt, etag, error, versionId }, hold) => {
      const values = [id, state, finishedAt, etag ?? null, error ?? null, ...holdValues(hold)];
      values.push(versionId ?? null);
      if ((await db.query(UPLOAD_SQL.finish, values)).rowCount !== 0) return;
      if (hold !== undefined) await checkHold(hold);
      // Ending it again the same way (a retried write, two cleanups) is a no-op: the first record
      // stands. Ending it another way is refused.
      if ((await one(UPLOAD_SQL.get, [id]))?.state !== state) await explain('finishUpload', id);
    },
    get: (id) => one(UPLOAD_SQL.get, [id]),
    findOpen: ({ endpoint, bucket, key }) => one(UPLOAD_SQL.findOpen, [endpoint, bucket, key]),
    findLatest: ({ endpoint, bucket, key }) => one(UPLOAD_SQL.findLatest, [endpoint, bucket, key]),
    listOpen: async (filter) => {
      const { rows } =
        filter === undefined
          ? await db.query<UploadRow>(UPLOAD_SQL.listOpen)
          : await db.query<UploadRow>(UPLOAD_SQL.listOpenIn, [filter.endpoint, filter.bucket]);
      return rows.map(toUploadRecord);
    },
    knowsUploadId: async (uploadId) =>
      (await db.query(UPLOAD_SQL.knowsUploadId, [uploadId])).rows.length > 0,
  };
}
