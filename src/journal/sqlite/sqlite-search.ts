/**
 * Server-side paging of the SQLite journal's history and queue: filters, sort and a total, for the
 * API and the dashboard over 100,000 rows and more.
 *
 * The SQL is assembled from fixed fragments (only values are bound, never spliced), one text per
 * combination of filters, so each combination gets the plan that uses its index: `job`, `result`
 * and each sort key have one (migration 5), and text of three characters or more is looked up in
 * the trigram index `history_text`, whose candidates are then checked exactly (`instr`), since a
 * `%` or `_` in the text would widen the LIKE and the trigram index keeps no positions.
 */
import type Database from 'better-sqlite3';
import type {
  EventQuery,
  EventRecord,
  FileQuery,
  FileRecord,
  HistoryQuery,
  HistoryRecord,
  HistorySort,
  Page,
} from '../journal-store.js';
import {
  toEventRecord,
  toFileRecord,
  toHistoryRecord,
  type EventRow,
  type FileRow,
  type HistoryRow,
} from '../journal-rows.js';

/** SQL text and its named parameters. */
export interface BuiltQuery {
  readonly select: string;
  readonly count: string;
  readonly params: Record<string, string | number>;
}

const SORT_COLUMNS: Record<HistorySort, string> = {
  finishedAt: 'finished_at',
  size: 'size',
  speed: 'avg_bytes_per_sec',
};

/** Shortest text the trigram index can look up (UTF-16 units: shorter only costs a scan). */
const TRIGRAM = 3;

/** LIMIT/OFFSET as SQLite wants them: whole and not negative (SQLite reads -1 as "no limit"). */
const whole = (n: number | undefined): number => Math.max(0, Math.trunc(n ?? 0));

/** The SQL of {@link SqliteSearch.searchHistory} for `query` (exported for query-plan tests). */
export function historySearchSql(query: HistoryQuery): BuiltQuery {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  if (query.job !== undefined) {
    where.push('job = @job');
    params.job = query.job;
  }
  if (query.result !== undefined) {
    where.push('result = @result');
    params.result = query.result;
  }
  if (query.q !== undefined && query.q !== '') {
    if (query.q.length >= TRIGRAM) {
      where.push(
        'id IN (SELECT rowid FROM history_text WHERE source_path LIKE @like OR object_key LIKE @like)',
      );
      params.like = `%${query.q}%`;
    }
    where.push(
      '(instr(lower(source_path), lower(@q)) > 0 OR instr(lower(object_key), lower(@q)) > 0)',
    );
    params.q = query.q;
  }
  if (query.since !== undefined) {
    where.push('finished_at >= @since');
    params.since = query.since;
  }
  if (query.until !== undefined) {
    where.push('finished_at < @until');
    params.until = query.until;
  }
  if (query.key !== undefined && query.key !== '') {
    where.push('instr(object_key, @key) > 0');
    params.key = query.key;
  }
  const filter = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
  const dir = query.order === 'asc' ? 'ASC' : 'DESC';
  const column = SORT_COLUMNS[query.sort ?? 'finishedAt'];
  return {
    select: `SELECT * FROM history${filter} ORDER BY ${column} ${dir}, id ${dir} LIMIT @limit OFFSET @offset`,
    count: `SELECT count(*) AS n FROM history${filter}`,
    params,
  };
}

/** The SQL of {@link SqliteSearch.pageFiles} for `query` (exported for query-plan tests). */
export function filePageSql(query: FileQuery): BuiltQuery {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  if (query.job !== undefined) {
    where.push('job = @job');
    params.job = query.job;
  }
  if (query.states !== undefined) {
    where.push('state IN (SELECT value FROM json_each(@states))');
    params.states = JSON.stringify(query.states);
  }
  if (query.changedSince !== undefined) {
    where.push('updated_at >= @changedSince');
    params.changedSince = query.changedSince;
  }
  if (query.changedUntil !== undefined) {
    where.push('updated_at < @changedUntil');
    params.changedUntil = query.changedUntil;
  }
  const filter = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
  return {
    select: `SELECT * FROM files${filter} ORDER BY updated_at, id LIMIT @limit OFFSET @offset`,
    count: `SELECT count(*) AS n FROM files${filter}`,
    params,
  };
}

/**
 * The SQL of {@link SqliteSearch.listEvents} with a job, time or key filter (the type alone has
 * its own statement on its index). The retention keeps the table small: the filters are checked
 * row by row from the newest.
 */
export function eventSearchSql(query: EventQuery): BuiltQuery {
  const where = ['id < @beforeId'];
  const params: Record<string, string | number> = {
    beforeId: query.beforeId ?? Number.MAX_SAFE_INTEGER,
  };
  if (query.type !== undefined) {
    where.push('type = @type');
    params.type = query.type;
  }
  if (query.job !== undefined) {
    where.push("json_extract(data, '$.job') = @job");
    params.job = query.job;
  }
  if (query.since !== undefined) {
    where.push('at >= @since');
    params.since = query.since;
  }
  if (query.key !== undefined && query.key !== '') {
    where.push('instr(object_key, @key) > 0');
    params.key = query.key;
  }
  const filter = ` WHERE ${where.join(' AND ')}`;
  return {
    select: `SELECT * FROM events${filter} ORDER BY id DESC LIMIT @limit`,
    count: `SELECT count(*) AS n FROM events${filter}`,
    params,
  };
}

/** Synchronous paging operations; the store wraps them into its async contract. */
export interface SqliteSearch {
  searchHistory(query: HistoryQuery): Page<HistoryRecord>;
  pageFiles(query: FileQuery): Page<FileRecord>;
  /** Events by {@link eventSearchSql}, newest first. */
  listEvents(query: EventQuery): EventRecord[];
  countEvents(query: EventQuery): number;
}

/** Builds the paging operations on a connection; statements are prepared once per SQL text. */
export function createSearch(db: Database.Database): SqliteSearch {
  const cache = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let stmt = cache.get(sql);
    if (stmt === undefined) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
  // Both statements in one read transaction, so the total describes the page's snapshot.
  const page = db.transaction(
    (built: BuiltQuery, limit: number | undefined, offset: number | undefined) => {
      const paging = { limit: whole(limit), offset: whole(offset) };
      const rows = prepared(built.select).all({ ...built.params, ...paging });
      const counted = prepared(built.count).get(built.params) as { n: number } | undefined;
      return { rows, total: counted?.n ?? 0 };
    },
  );
  return {
    searchHistory: (query) => {
      const { rows, total } = page(historySearchSql(query), query.limit, query.offset);
      return { items: (rows as HistoryRow[]).map(toHistoryRecord), total };
    },
    pageFiles: (query) => {
      const { rows, total } = page(filePageSql(query), query.limit, query.offset);
      return { items: (rows as FileRow[]).map(toFileRecord), total };
    },
    listEvents: (query) => {
      const built = eventSearchSql(query);
      const rows = prepared(built.select).all({ ...built.params, limit: whole(query.limit) });
      return (rows as EventRow[]).map(toEventRecord);
    },
    countEvents: (query) => {
      const built = eventSearchSql(query);
      return (prepared(built.count).get(built.params) as { n: number } | undefined)?.n ?? 0;
    },
  };
}
