/**
 * The reads of the PostgreSQL journal's files: one by id, lists by state, counts, the states of
 * given paths, files and bytes per job, the failures grouped by code (queue-stats.ts; the paged
 * lists: postgres-search.ts).
 */
import { ALL_FILE_STATES, type FileState } from '../../domain/file-state.js';
import type { FileRecord } from '../file-queue.js';
import {
  toFailureGroup,
  toFileRecord,
  type FailureGroupRow,
  type FileRow,
} from '../journal-rows.js';
import type { FailureGroup, FailureQuery, FileTotals } from '../queue-stats.js';
import type { PgQueryable } from './postgres-connection.js';

/** The SQL of the reads (exported so tests can EXPLAIN them). */
export const FILE_READ_SQL = {
  getFile: `SELECT * FROM files WHERE id = $1`,
  listFiles: `SELECT * FROM files ORDER BY updated_at, id LIMIT $1 OFFSET $2`,
  listFilesIn: `SELECT * FROM files WHERE state = ANY ($3::text[])
    ORDER BY updated_at, id LIMIT $1 OFFSET $2`,
  countFiles: `SELECT state, count(*) AS n FROM files GROUP BY state`,
  countFilesByJob: `SELECT job, state, count(*) AS n FROM files GROUP BY job, state`,
  fileStates: `SELECT path, state FROM files WHERE job = $1 AND path = ANY ($2::text[])`,
  sumFilesByJob: `SELECT job, count(*)::int AS files, coalesce(sum(size), 0)::bigint AS bytes
    FROM files WHERE state = ANY ($1::text[]) GROUP BY job`,
  failureGroups: `SELECT * FROM (
      SELECT f.*, (count(*) OVER g)::int AS group_files,
        (sum(CASE WHEN state = 'parked' THEN 1 ELSE 0 END) OVER g)::int AS group_parked,
        row_number() OVER (g ORDER BY updated_at DESC, id DESC) AS group_rank
      FROM files f WHERE state IN ('parked', 'waiting') AND ($1::text IS NULL OR job = $1)
      WINDOW g AS (PARTITION BY coalesce(reason_code, ''))
    ) grouped WHERE group_rank = 1 ORDER BY group_files DESC, coalesce(reason_code, '')`,
} as const;

/** File reads on one database. */
export interface PostgresFileReads {
  get(id: number): Promise<FileRecord | undefined>;
  list(query: {
    states?: readonly FileState[];
    limit: number;
    offset: number;
  }): Promise<FileRecord[]>;
  countByState(): Promise<Record<FileState, number>>;
  countByJob(): Promise<Record<string, Record<FileState, number>>>;
  states(job: string, paths: readonly string[]): Promise<Record<string, FileState>>;
  sumByJob(states: readonly FileState[]): Promise<Record<string, FileTotals>>;
  failureGroups(query: FailureQuery): Promise<FailureGroup[]>;
}

/** Every state with a count of 0. */
const zeroCounts = (): Record<FileState, number> =>
  Object.fromEntries(ALL_FILE_STATES.map((s) => [s, 0])) as Record<FileState, number>;

/** Builds the file reads on `db`. */
export function createPostgresFileReads(db: PgQueryable): PostgresFileReads {
  return {
    get: async (id) => {
      const row = (await db.query<FileRow>(FILE_READ_SQL.getFile, [id])).rows[0];
      return row === undefined ? undefined : toFileRecord(row);
    },
    list: async ({ states, limit, offset }) => {
      const { rows } =
        states === undefined
          ? await db.query<FileRow>(FILE_READ_SQL.listFiles, [limit, offset])
          : await db.query<FileRow>(FILE_READ_SQL.listFilesIn, [limit, offset, [...states]]);
      return rows.map(toFileRecord);
    },
    countByState: async () => {
      const counts = zeroCounts();
      const { rows } = await db.query<{ state: FileState; n: number }>(FILE_READ_SQL.countFiles);
      for (const { state, n } of rows) if (state in counts) counts[state] = n;
      return counts;
    },
    countByJob: async () => {
      const byJob: Record<string, Record<FileState, number>> = {};
      const { rows } = await db.query<{ job: string; state: FileState; n: number }>(
        FILE_READ_SQL.countFilesByJob,
      );
      for (const { job, state, n } of rows) {
        const counts = (byJob[job] ??= zeroCounts());
        if (state in counts) counts[state] = n;
      }
      return byJob;
    },
    states: async (job, paths) => {
      const { rows } = await db.query<{ path: string; state: FileState }>(
        FILE_READ_SQL.fileStates,
        [job, [...paths]],
      );
      return Object.fromEntries(rows.map((r) => [r.path, r.state]));
    },
    sumByJob: async (states) => {
      const { rows } = await db.query<{ job: string; files: number; bytes: number }>(
        FILE_READ_SQL.sumFilesByJob,
        [[...states]],
      );
      return Object.fromEntries(rows.map(({ job, files, bytes }) => [job, { files, bytes }]));
    },
    failureGroups: async (query) => {
      const { rows } = await db.query<FailureGroupRow>(FILE_READ_SQL.failureGroups, [
        query.job ?? null,
      ]);
      return rows.map(toFailureGroup);
    },
  };
}
