/**
 * Server-side paging of the PostgreSQL journal's history and queue: filters, sort and a total, for
 * the API and the dashboard over 100,000 rows and more. Same semantics as sqlite-search.ts.
 *
 * The SQL is assembled from fixed fragments; only values are bound, never spliced. The page and
 * the total come from one statement (the count joined to the page, LATERAL), so they describe the
 * same snapshot, and the total is there even for a page past the end.
 *
 * Text search (q) ignores ASCII case only, like SQLite: the exact test folds A-Z with translate(),
 * since lower() and ILIKE also fold other letters under most collations. Text of three characters
 * or more is first narrowed with ILIKE (its wildcards escaped), which the trigram indexes of
 * migration 2 serve where pg_trgm is available; the exact test then decides.
 */
import {
  toEventRecord,
  toFileRecord,
  toHistoryRecord,
  type EventRow,
  type FileRow,
  type HistoryRow,
} from '../journal-rows.js';
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
import type { PgQueryable } from './postgres-connection.js';

/** SQL text and its positional values. */
export interface BuiltQuery {
  readonly sql: string;
  readonly values: readonly unknown[];
}

const SORT_COLUMNS: Record<HistorySort, string> = {
  finishedAt: 'finished_at',
  size: 'size',
  speed: 'avg_bytes_per_sec',
};

/** Shortest text a trigram index can look up. */
const TRIGRAM = 3;
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';

/** LIMIT/OFFSET: whole and not negative. */
const whole = (n: number | undefined): number => Math.max(0, Math.trunc(n ?? 0));

/** `column` with only A-Z folded to lower case, as SQL. */
const asciiLower = (column: string): string => `translate(${column}, '${UPPER}', '${LOWER}')`;

/** Collects WHERE terms and their values, numbering the placeholders. */
class Where {
  readonly terms: string[] = [];
  readonly values: unknown[] = [];
  /** Adds `value` and returns its placeholder. */
  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  get sql(): string {
    return this.terms.length === 0 ? '' : ` WHERE ${this.terms.join(' AND ')}`;
  }
}

/** Count and page in one statement: one row per item, or one row of NULLs with the total. */
function paged(table: string, where: Where, order: string, limit?: number, offset?: number) {
  const l = where.bind(whole(limit));
  const o = where.bind(whole(offset));
  const sql = `SELECT t.total, p.* FROM (SELECT count(*) AS total FROM ${table}${where.sql}) AS t
    LEFT JOIN LATERAL (SELECT * FROM ${table}${where.sql} ORDER BY ${order} LIMIT ${l} OFFSET ${o})
      AS p ON true`;
  return { sql, values: where.values };
}

/** The SQL of {@link PostgresSearch.searchHistory} for `query` (exported for query-plan tests). */
export function historySearchSql(query: HistoryQuery): BuiltQuery {
  const where = new Where();
  if (query.job !== undefined) where.terms.push(`job = ${where.bind(query.job)}`);
  if (query.result !== undefined) where.terms.push(`result = ${where.bind(query.result)}`);
  if (query.q !== undefined && query.q !== '') {
    if (query.q.length >= TRIGRAM) {
      const like = where.bind(`%${query.q.replace(/[\\%_]/g, '\\$&')}%`);
      where.terms.push(`(source_path ILIKE ${like} OR object_key ILIKE ${like})`);
    }
    const q = where.bind(query.q.replace(/[A-Z]/g, (c) => c.toLowerCase()));
    where.terms.push(
      `(strpos(${asciiLower('source_path')}, ${q}) > 0 OR strpos(${asciiLower('object_key')}, ${q}) > 0)`,
    );
  }
  if (query.since !== undefined) where.terms.push(`finished_at >= ${where.bind(query.since)}`);
  if (query.until !== undefined) where.terms.push(`finished_at < ${where.bind(query.until)}`);
  if (query.key !== undefined && query.key !== '')
    where.terms.push(`strpos(object_key, ${where.bind(query.key)}) > 0`);
  const dir = query.order === 'asc' ? 'ASC' : 'DESC';
  const order = `${SORT_COLUMNS[query.sort ?? 'finishedAt']} ${dir}, id ${dir}`;
  return paged('history', where, order, query.limit, query.offset);
}

/** The SQL of {@link PostgresSearch.pageFiles} for `query` (exported for query-plan tests). */
export function filePageSql(query: FileQuery): BuiltQuery {
  const where = new Where();
  if (query.job !== undefined) where.terms.push(`job = ${where.bind(query.job)}`);
  if (query.states !== undefined)
    where.terms.push(`state = ANY (${where.bind([...query.states])}::text[])`);
  if (query.changedSince !== undefined)
    where.terms.push(`updated_at >= ${where.bind(query.changedSince)}`);
  if (query.changedUntil !== undefined)
    where.terms.push(`updated_at < ${where.bind(query.changedUntil)}`);
  return paged('files', where, 'updated_at, id', query.limit, query.offset);
}

/**
 * The terms of {@link PostgresSearch.listEvents} with a job, time or key filter (the type alone
 * has its own statement). The retention keeps the table small: checked row by row from the newest.
 * `data` is the JSON text of the event's data (or NULL).
 */
function eventWhere(query: EventQuery): Where {
  const where = new Where();
  where.terms.push(`id < ${where.bind(query.beforeId ?? Number.MAX_SAFE_INTEGER)}`);
  if (query.type !== undefined) where.terms.push(`type = ${where.bind(query.type)}`);
  if (query.job !== undefined)
    where.terms.push(`(data::jsonb ->> 'job') = ${where.bind(query.job)}`);
  if (query.since !== undefined) where.terms.push(`at >= ${where.bind(query.since)}`);
  if (query.key !== undefined && query.key !== '')
    where.terms.push(`strpos(object_key, ${where.bind(query.key)}) > 0`);
  return where;
}

/** The SQL of a filtered page of events (exported for query-plan tests). */
export function eventSearchSql(query: EventQuery): BuiltQuery {
  const where = eventWhere(query);
  const limit = where.bind(whole(query.limit));
  return {
    sql: `SELECT * FROM events${where.sql} ORDER BY id DESC LIMIT ${limit}`,
    values: where.values,
  };
}

/** Paging operations on one database. */
export interface PostgresSearch {
  searchHistory(query: HistoryQuery): Promise<Page<HistoryRecord>>;
  pageFiles(query: FileQuery): Promise<Page<FileRecord>>;
  /** Events by {@link eventSearchSql}, newest first. */
  listEvents(query: EventQuery): Promise<EventRecord[]>;
  countEvents(query: EventQuery): Promise<number>;
}

/** The rows of a page (the row of NULLs of an empty page left out) and the total. */
async function page(
  db: PgQueryable,
  built: BuiltQuery,
): Promise<{ rows: unknown[]; total: number }> {
  const { rows } = await db.query<{ id: number | null; total: number }>(built.sql, built.values);
  return { rows: rows.filter((r) => r.id !== null), total: rows[0]?.total ?? 0 };
}

/** Builds the paging operations on `db`. */
export function createPostgresSearch(db: PgQueryable): PostgresSearch {
  return {
    searchHistory: async (query) => {
      const { rows, total } = await page(db, historySearchSql(query));
      return { items: (rows as HistoryRow[]).map(toHistoryRecord), total };
    },
    pageFiles: async (query) => {
      const { rows, total } = await page(db, filePageSql(query));
      return { items: (rows as FileRow[]).map(toFileRecord), total };
    },
    listEvents: async (query) => {
      const built = eventSearchSql(query);
      return (await db.query<EventRow>(built.sql, built.values)).rows.map(toEventRecord);
    },
    countEvents: async (query) => {
      const where = eventWhere(query);
      const sql = `SELECT count(*) AS n FROM events${where.sql}`;
      return (await db.query<{ n: number }>(sql, where.values)).rows[0]?.n ?? 0;
    },
  };
}
