/**
 * The SQLite journal's reads of queue-stats.ts: files and bytes per job in some states, and the
 * parked and waiting files grouped by the code of their reason (one statement each; the groups'
 * counts and newest file come from window functions over the `files_by_state` index's rows).
 */
import type Database from 'better-sqlite3';
import type { FileState } from '../../domain/file-state.js';
import { toFailureGroup, type FailureGroupRow } from '../journal-rows.js';
import type { FailureGroup, FailureQuery, FileTotals } from '../queue-stats.js';

/** The SQL (exported so tests can look at its plan). */
export const QUEUE_STATS_SQL = {
  sumFilesByJob: `SELECT job, count(*) AS files, coalesce(sum(size), 0) AS bytes FROM files
    WHERE state IN (SELECT value FROM json_each(@states)) GROUP BY job`,
  failureGroups: `SELECT * FROM (
      SELECT f.*, count(*) OVER g AS group_files,
        sum(CASE WHEN state = 'parked' THEN 1 ELSE 0 END) OVER g AS group_parked,
        row_number() OVER (g ORDER BY updated_at DESC, id DESC) AS group_rank
      FROM files f WHERE state IN ('parked', 'waiting') AND (@job IS NULL OR job = @job)
      WINDOW g AS (PARTITION BY coalesce(reason_code, ''))
    ) WHERE group_rank = 1 ORDER BY group_files DESC, coalesce(reason_code, '')`,
} as const;

/** The reads on `db`. */
export interface SqliteQueueStats {
  sumFilesByJob(states: readonly FileState[]): Record<string, FileTotals>;
  failureGroups(query: FailureQuery): FailureGroup[];
}

export function createSqliteQueueStats(db: Database.Database): SqliteQueueStats {
  const sums = db.prepare<{ states: string }, { job: string; files: number; bytes: number }>(
    QUEUE_STATS_SQL.sumFilesByJob,
  );
  const groups = db.prepare<{ job: string | null }, FailureGroupRow>(QUEUE_STATS_SQL.failureGroups);
  return {
    sumFilesByJob: (states) =>
      Object.fromEntries(
        sums
          .all({ states: JSON.stringify(states) })
          .map(({ job, files, bytes }) => [job, { files, bytes }]),
      ),
    failureGroups: (query) => groups.all({ job: query.job ?? null }).map(toFailureGroup),
  };
}
