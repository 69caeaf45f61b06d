/**
 * The reads of the PostgreSQL journal's files: one by id, lists by state, counts, the states of
 * given paths (the paged lists: postgres-search.ts).
 */
import { ALL_FILE_STATES, type FileState } from '../../domain/file-state.js';
import type { FileRecord } from '../file-queue.js';
import { toFileRecord, type FileRow } from '../journal-rows.js';
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
  };
}
