/**
 * The file queue of the PostgreSQL journal, shared by a fleet of agents: enqueue with dedup by
 * (job, path), claims under leases, state moves fenced by the holder, heartbeats, leave.
 *
 * Every operation is one statement, so it is atomic on its own:
 * - enqueue is an `INSERT … ON CONFLICT (job, path) DO UPDATE … WHERE`: agents that discover the
 *   same file at once make one entry, and a held file is never re-queued under its holder.
 * - a claim is an `UPDATE` of the row a `FOR UPDATE SKIP LOCKED` sub-select picked: concurrent
 *   claimers each lock a different row instead of waiting on (or taking) the same one. Expired
 *   leases (a dead holder's files) are tried first, then the oldest ready file; when jobs are given,
 *   one index probe per job (LATERAL), so a paused job's backlog is never walked.
 * Queue order is `ready_at`, as in SQLite (sqlite-file-queue.ts).
 */
import { toAgentRecord, toFileRecord, type AgentRow, type FileRow } from '../journal-rows.js';
import {
  FILE_STATES,
  HOLD_EXPIRED_REASON,
  type AgentInfo,
  type AgentRecord,
  type ClaimOptions,
  type FileRecord,
  type FileState,
  type FileToQueue,
} from '../journal-store.js';
import type { PgQueryable } from './postgres-connection.js';

const CLAIMABLE = `state IN ('queued', 'waiting')`;
const READY = `${CLAIMABLE} AND (state = 'queued' OR ready_at <= $1)`;
const HELD = `state IN ('uploading', 'verifying')`;
/** The identity of the stored row differs from the one being queued. */
const CHANGED = `(f.size, f.mtime_ms, f.inode) IS DISTINCT FROM
  (excluded.size, excluded.mtime_ms, excluded.inode)`;

/**
 * Takes the row `next` picked: $1 now, $2 owner, $3 lease end. An expired 'verifying' file stays
 * 'verifying' (journal-store.ts claimNextFile).
 */
const TAKE = `UPDATE files f
  SET state = CASE f.state WHEN 'verifying' THEN 'verifying' ELSE 'uploading' END,
    reason = NULL, not_before = NULL,
    updated_at = $1, owner = $2, lease_until = $3
  FROM next WHERE f.id = next.id
  RETURNING f.*`;

/** The SQL of the queue operations (exported so tests can EXPLAIN them). */
export const QUEUE_SQL = {
  enqueue: `INSERT INTO files AS f (job, path, size, mtime_ms, inode, state, attempts, updated_at,
      ready_at)
    VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $6)
    ON CONFLICT (job, path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms,
      inode = excluded.inode, state = 'queued', reason = NULL, not_before = NULL,
      attempts = CASE WHEN ${CHANGED} THEN 0 ELSE f.attempts END,
      updated_at = excluded.updated_at, ready_at = excluded.ready_at
    WHERE f.state NOT IN ('uploading', 'verifying')
      AND (${CHANGED} OR f.state IN ('discovered', 'settling'))
    RETURNING f.*`,
  findFile: `SELECT * FROM files WHERE job = $1 AND path = $2`,
  // $4: the jobs, or NULL for all.
  claimExpired: `WITH next AS (
      SELECT id FROM files
      WHERE ${HELD} AND lease_until <= $1 AND ($4::text[] IS NULL OR job = ANY ($4::text[]))
      ORDER BY lease_until, id LIMIT 1
      FOR UPDATE SKIP LOCKED
    ) ${TAKE}`,
  claimReady: `WITH next AS (
      SELECT id FROM files WHERE ${READY}
      ORDER BY ready_at, id LIMIT 1
      FOR UPDATE SKIP LOCKED
    ) ${TAKE}`,
  claimReadyOfJobs: `WITH next AS (
      SELECT c.id FROM unnest($4::text[]) AS j (job)
      CROSS JOIN LATERAL (
        SELECT id, ready_at FROM files WHERE files.job = j.job AND ${READY}
        ORDER BY ready_at, id LIMIT 1
        FOR UPDATE SKIP LOCKED
      ) AS c
      ORDER BY c.ready_at, c.id LIMIT 1
    ) ${TAKE}`,
  // $8: apply only while this agent holds the file (NULL: whoever holds it).
  setState: `UPDATE files SET state = $2, reason = $3, not_before = $4,
      attempts = attempts + $5, updated_at = $6, ready_at = $7,
      owner = CASE WHEN $2 IN ('uploading', 'verifying') THEN owner END,
      lease_until = CASE WHEN $2 IN ('uploading', 'verifying') THEN lease_until END
    WHERE id = $1 AND ($8::text IS NULL OR owner = $8::text)`,
  exists: `SELECT 1 AS found FROM files WHERE id = $1`,
  heartbeat: `WITH agent AS (
      INSERT INTO agents (id, hostname, pid, started_at, version, last_heartbeat)
      VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (id) DO UPDATE SET last_heartbeat = excluded.last_heartbeat
    )
    UPDATE files SET lease_until = $7 WHERE owner = $1 AND ${HELD}
    RETURNING id`,
  // 'verifying' stays 'verifying', claimable at once (journal-store.ts leave).
  leave: `WITH released AS (
      UPDATE files SET state = CASE state WHEN 'verifying' THEN 'verifying' ELSE 'queued' END,
        owner = NULL, lease_until = CASE state WHEN 'verifying' THEN $3::bigint END, reason = $2,
        not_before = NULL, updated_at = $3, ready_at = $3
      WHERE owner = $1 AND ${HELD}
      RETURNING 1
    ), gone AS (
      DELETE FROM agents WHERE id = $1
    )
    SELECT count(*) AS n FROM released`,
  expireHolds: `UPDATE files SET owner = NULL, lease_until = $1, reason = $2, updated_at = $1
    WHERE ${HELD}`,
  listAgents: `SELECT a.*, (SELECT count(*) FROM files f WHERE f.owner = a.id
        AND f.state IN ('uploading', 'verifying')) AS holding
    FROM agents a ORDER BY last_heartbeat DESC, id`,
  getFile: `SELECT * FROM files WHERE id = $1`,
  listFiles: `SELECT * FROM files ORDER BY updated_at, id LIMIT $1 OFFSET $2`,
  listFilesIn: `SELECT * FROM files WHERE state = ANY ($3::text[])
    ORDER BY updated_at, id LIMIT $1 OFFSET $2`,
  countFiles: `SELECT state, count(*) AS n FROM files GROUP BY state`,
  countFilesByJob: `SELECT job, state, count(*) AS n FROM files GROUP BY job, state`,
  fileStates: `SELECT path, state FROM files WHERE job = $1 AND path = ANY ($2::text[])`,
} as const;

/** Extra facts of a state move (see JournalStore.setFileState). */
export interface FileStateExtra {
  readonly reason?: string | null;
  readonly notBefore?: number | null;
  readonly countAttempt?: boolean;
  /** Apply only while this agent holds the file. */
  readonly owner?: string;
}

/** Queue operations on one database. */
export interface PostgresFileQueue {
  enqueue(file: FileToQueue, now: number): Promise<FileRecord>;
  claimNext(
    now: number,
    jobs?: readonly string[],
    claim?: ClaimOptions,
  ): Promise<FileRecord | undefined>;
  /** 'applied'; 'not-held' when `owner` no longer holds the file; 'unknown' for no such file. */
  setState(
    id: number,
    state: FileState,
    now: number,
    extra: FileStateExtra,
  ): Promise<'applied' | 'not-held' | 'unknown'>;
  heartbeat(agent: AgentInfo, now: number, leaseMs: number): Promise<number[]>;
  listAgents(): Promise<AgentRecord[]>;
  leave(agentId: string, now: number): Promise<number>;
  expireHolds(now: number): Promise<number>;
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
  Object.fromEntries(Object.values(FILE_STATES).map((s) => [s, 0])) as Record<FileState, number>;

/** Builds the queue operations on `db`. */
export function createPostgresFileQueue(db: PgQueryable): PostgresFileQueue {
  const first = async (sql: string, values: unknown[]): Promise<FileRecord | undefined> => {
    const row = (await db.query<FileRow>(sql, values)).rows[0];
    return row === undefined ? undefined : toFileRecord(row);
  };
  return {
    enqueue: async ({ job, path, size, mtimeMs, inode }, now) => {
      const changed = await first(QUEUE_SQL.enqueue, [job, path, size, mtimeMs, inode, now]);
      if (changed !== undefined) return changed;
      // Left as it is (same identity, or held): the entry as it stands.
      const row = await first(QUEUE_SQL.findFile, [job, path]);
      if (row === undefined) throw new Error(`file ${job}:${path} vanished while being queued`);
      return row;
    },
    claimNext: async (now, jobs, claim) => {
      if (jobs?.length === 0) return undefined;
      const wanted = jobs === undefined ? null : [...new Set(jobs)];
      const owner = claim?.owner ?? null;
      const leaseUntil = claim === undefined ? null : now + claim.leaseMs;
      const expired = await first(QUEUE_SQL.claimExpired, [now, owner, leaseUntil, wanted]);
      if (expired !== undefined) return expired;
      return wanted === null
        ? first(QUEUE_SQL.claimReady, [now, owner, leaseUntil])
        : first(QUEUE_SQL.claimReadyOfJobs, [now, owner, leaseUntil, wanted]);
    },
    setState: async (id, state, now, extra) => {
      const notBefore = extra.notBefore ?? null;
      const readyAt = state === 'waiting' ? (notBefore ?? now) : now;
      const values = [
        id,
        state,
        extra.reason ?? null,
        notBefore,
        extra.countAttempt === true ? 1 : 0,
        now,
        readyAt,
        extra.owner ?? null,
      ];
      if ((await db.query(QUEUE_SQL.setState, values)).rowCount !== 0) return 'applied';
      return (await db.query(QUEUE_SQL.exists, [id])).rows.length === 0 ? 'unknown' : 'not-held';
    },
    heartbeat: async (agent, now, leaseMs) => {
      const { id, hostname, pid, startedAt, version } = agent;
      const values = [id, hostname, pid, startedAt, version, now, now + leaseMs];
      const { rows } = await db.query<{ id: number }>(QUEUE_SQL.heartbeat, values);
      return rows.map((r) => r.id);
    },
    listAgents: async () =>
      (await db.query<AgentRow>(QUEUE_SQL.listAgents)).rows.map(toAgentRecord),
    leave: async (agentId, now) => {
      const reason = `released by agent ${agentId} as it stopped`;
      const { rows } = await db.query<{ n: number }>(QUEUE_SQL.leave, [agentId, reason, now]);
      return rows[0]?.n ?? 0;
    },
    expireHolds: async (now) =>
      (await db.query(QUEUE_SQL.expireHolds, [now, HOLD_EXPIRED_REASON])).rowCount ?? 0,
    get: (id) => first(QUEUE_SQL.getFile, [id]),
    list: async ({ states, limit, offset }) => {
      const { rows } =
        states === undefined
          ? await db.query<FileRow>(QUEUE_SQL.listFiles, [limit, offset])
          : await db.query<FileRow>(QUEUE_SQL.listFilesIn, [limit, offset, [...states]]);
      return rows.map(toFileRecord);
    },
    countByState: async () => {
      const counts = zeroCounts();
      const { rows } = await db.query<{ state: FileState; n: number }>(QUEUE_SQL.countFiles);
      for (const { state, n } of rows) counts[state] = n;
      return counts;
    },
    countByJob: async () => {
      const byJob: Record<string, Record<FileState, number>> = {};
      const { rows } = await db.query<{ job: string; state: FileState; n: number }>(
        QUEUE_SQL.countFilesByJob,
      );
      for (const { job, state, n } of rows) (byJob[job] ??= zeroCounts())[state] = n;
      return byJob;
    },
    states: async (job, paths) => {
      const { rows } = await db.query<{ path: string; state: FileState }>(QUEUE_SQL.fileStates, [
        job,
        [...paths],
      ]);
      return Object.fromEntries(rows.map((r) => [r.path, r.state]));
    },
  };
}
