/**
 * Events (the newest N kept) and upload history of the PostgreSQL journal.
 */
import { toEventRecord, toHistoryRecord, type EventRow, type HistoryRow } from '../journal-rows.js';
import type { EventRecord, HistoryEntry, HistoryRecord, NewEvent } from '../journal-store.js';
import type { PgQueryable } from './postgres-connection.js';

/** The SQL of the event and history operations (exported so tests can EXPLAIN them). */
export const EVENT_SQL = {
  // Identity ids only grow and are never reused, and the newest row is never deleted, so the
  // newest N events are those with id > id - N: one indexed range delete, in the same statement.
  // (Agents appending at once may commit out of id order; the range still keeps at most N.)
  append: `WITH added AS (
      INSERT INTO events (at, type, level, message, path, object_key, data)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      RETURNING *
    ), pruned AS (
      DELETE FROM events WHERE id <= (SELECT id FROM added) - $8
    )
    SELECT * FROM added`,
  list: `SELECT * FROM events WHERE id < $1 ORDER BY id DESC LIMIT $2`,
  listOfType: `SELECT * FROM events WHERE type = $3 AND id < $1 ORDER BY id DESC LIMIT $2`,
  count: `SELECT count(*) AS n FROM events`,
  countOfType: `SELECT count(*) AS n FROM events WHERE type = $1`,
  addHistory: `INSERT INTO history (source_path, endpoint, bucket, object_key, size, started_at,
      finished_at, avg_bytes_per_sec, attempts, etag, checksum, result, error, job, version_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
    RETURNING *`,
  listHistory: `SELECT * FROM history ORDER BY finished_at DESC, id DESC LIMIT $1 OFFSET $2`,
  listHistoryBySource: `SELECT * FROM history WHERE source_path = $3
    ORDER BY finished_at DESC, id DESC LIMIT $1 OFFSET $2`,
  findDoneByChecksum: `SELECT * FROM history WHERE checksum = $1 AND result = 'done'
    ORDER BY finished_at DESC, id DESC LIMIT 1`,
} as const;

/** Event and history operations on one database. */
export interface PostgresEventLog {
  append(event: NewEvent): Promise<EventRecord>;
  listEvents(limit: number, beforeId: number | undefined, type?: string): Promise<EventRecord[]>;
  countEvents(type?: string): Promise<number>;
  addHistory(entry: HistoryEntry): Promise<HistoryRecord>;
  listHistory(limit: number, offset: number, sourcePath?: string): Promise<HistoryRecord[]>;
  findDoneByChecksum(checksum: string): Promise<HistoryRecord | undefined>;
}

function returned<T>(row: T | undefined): T {
  if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
  return row;
}

/** Builds the event log on `db`; `retention` is how many events to keep (>= 1). */
export function createPostgresEventLog(db: PgQueryable, retention: number): PostgresEventLog {
  return {
    append: async (e) => {
      const values = [
        e.at,
        e.type,
        e.level,
        e.message,
        e.path ?? null,
        e.key ?? null,
        e.data === undefined ? null : JSON.stringify(e.data),
        retention,
      ];
      return toEventRecord(returned((await db.query<EventRow>(EVENT_SQL.append, values)).rows[0]));
    },
    listEvents: async (limit, beforeId, type) => {
      const values: unknown[] = [beforeId ?? Number.MAX_SAFE_INTEGER, limit];
      const { rows } =
        type === undefined
          ? await db.query<EventRow>(EVENT_SQL.list, values)
          : await db.query<EventRow>(EVENT_SQL.listOfType, [...values, type]);
      return rows.map(toEventRecord);
    },
    countEvents: async (type) => {
      const { rows } =
        type === undefined
          ? await db.query<{ n: number }>(EVENT_SQL.count)
          : await db.query<{ n: number }>(EVENT_SQL.countOfType, [type]);
      return rows[0]?.n ?? 0;
    },
    addHistory: async (e) => {
      const values = [
        e.sourcePath,
        e.endpoint,
        e.bucket,
        e.key,
        e.size,
        e.startedAt,
        e.finishedAt,
        e.avgBytesPerSec,
        e.attempts,
        e.etag,
        e.checksum,
        e.result,
        e.error,
        e.job ?? null,
        e.versionId ?? null,
      ];
      const row = (await db.query<HistoryRow>(EVENT_SQL.addHistory, values)).rows[0];
      return toHistoryRecord(returned(row));
    },
    listHistory: async (limit, offset, sourcePath) => {
      const { rows } =
        sourcePath === undefined
          ? await db.query<HistoryRow>(EVENT_SQL.listHistory, [limit, offset])
          : await db.query<HistoryRow>(EVENT_SQL.listHistoryBySource, [limit, offset, sourcePath]);
      return rows.map(toHistoryRecord);
    },
    findDoneByChecksum: async (checksum) => {
      const row = (await db.query<HistoryRow>(EVENT_SQL.findDoneByChecksum, [checksum])).rows[0];
      return row === undefined ? undefined : toHistoryRecord(row);
    },
  };
}
