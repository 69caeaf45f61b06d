/**
 * The file queue of the PostgreSQL journal, shared by a fleet of agents: enqueue with dedup by
 * (job, path), claims under leases that respect the pause switches, the named hold-guarded
 * transitions (file-transitions.ts builds their guarded UPDATEs from the domain table), the plan
 * of a file version, retry.
 *
 * - enqueue is an `INSERT … ON CONFLICT (job, path) DO UPDATE … WHERE`: agents that discover the
 *   same file at once make one entry, and a held file is never re-queued under its holder.
 * - a claim is an `UPDATE` of the row a `FOR UPDATE SKIP LOCKED` sub-select picked: concurrent
 *   claimers each lock a different row instead of waiting on (or taking) the same one. Expired
 *   leases (a dead holder's files) are tried first, then the oldest ready file; when jobs are given,
 *   one index probe per job (LATERAL), so a paused job's backlog is never walked. The pause
 *   switches are read by the claiming statement itself.
 * - a transition is one guarded UPDATE; with its event or history row, one transaction.
 * Queue order is `ready_at`, as in SQLite (sqlite-file-queue.ts).
 */
import {
  HELD_STATES,
  type FilePlan,
  type Hold,
  type HeldTransitionName,
} from '../../domain/file-state.js';
import type { NewEvent } from '../event-log.js';
import type {
  ClaimOptions,
  Enqueued,
  FileRecord,
  FileToQueue,
  FinalOptions,
  HeldTransitionInput,
  RetryFilter,
  Transitioned,
} from '../file-queue.js';
import {
  claimReasonSet,
  heldTransitionUpdate,
  holds,
  refusal,
  sqlStates,
  transitionValues,
} from '../file-transitions.js';
import type { JournalErrorContext } from '../journal-errors.js';
import { toFileRecord, type FileRow } from '../journal-rows.js';
import type { PgQueryable, PostgresPool } from './postgres-connection.js';
import { createPostgresEventLog } from './postgres-event-log.js';
import { insertVerifiedUpload } from './postgres-uploads.js';
import { ofFile } from '../upload-ledger.js';

const CLAIMABLE = `state IN ('queued', 'waiting')`;
const READY = `${CLAIMABLE} AND (state = 'queued' OR ready_at <= $1)`;
const HELD = `state IN (${sqlStates(HELD_STATES)})`;
/** Not under a pause switch: neither all processing nor the file's job is paused. */
const NOT_PAUSED = `NOT EXISTS (SELECT 1 FROM pauses p WHERE p.job IN ('', files.job))`;
/** The identity of the stored row differs from the one being queued. */
const CHANGED = `(f.size, f.mtime_ms, f.inode) IS DISTINCT FROM
  (excluded.size, excluded.mtime_ms, excluded.inode)`;
/** A parked file whose ctime moved since it was queued: someone fixed it (chmod, chown). */
const FIXED = `(f.state = 'parked' AND excluded.ctime_ms IS NOT NULL AND f.ctime_ms IS NOT NULL
  AND excluded.ctime_ms <> f.ctime_ms)`;
/**
 * A plan column: the plan given now (excluded, NULL when none) for a changed version or where none
 * is stored; else the stored one is kept (the first plan of a version wins).
 */
const plan = (column: string): string =>
  `${column} = CASE WHEN ${CHANGED} OR f.plan_key IS NULL THEN excluded.${column} ELSE f.${column} END`;

/**
 * Takes the row `next` picked: $1 now, $2 owner, $3 lease end. An expired 'verifying' file stays
 * 'verifying' (file-queue.ts claim); a file taken over says so in its reason.
 */
const TAKE = `UPDATE files f
  SET state = CASE f.state WHEN 'verifying' THEN 'verifying' ELSE 'uploading' END,
    ${claimReasonSet('f.')}, not_before = NULL,
    updated_at = $1, owner = $2, lease_until = $3
  FROM next WHERE f.id = next.id
  RETURNING f.*`;

const PARAMS = {
  id: '$1',
  owner: '$2',
  now: '$3::bigint',
  readyAt: '$4::bigint',
  notBefore: '$5::bigint',
  code: '$6::text',
  message: '$7::text',
  hint: '$8::text',
};

/** The SQL of the queue operations (exported so tests can EXPLAIN them). */
export const QUEUE_SQL = {
  // $8 … $12: the plan decided at enqueue (all NULL when there is none).
  enqueue: `INSERT INTO files AS f (job, path, size, mtime_ms, inode, ctime_ms, state, attempts,
      updated_at, ready_at, plan_key, plan_mode, plan_part_size, plan_checksum, plan_decided_at)
    VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $7, $8, $9, $10, $11, $12)
    ON CONFLICT (job, path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms,
      inode = excluded.inode, ctime_ms = coalesce(excluded.ctime_ms, f.ctime_ms),
      state = 'queued', reason_code = NULL, reason_message = NULL, reason_hint = NULL,
      not_before = NULL, attempts = CASE WHEN ${CHANGED} THEN 0 ELSE f.attempts END,
      updated_at = excluded.updated_at, ready_at = excluded.ready_at,
      ${plan('plan_key')}, ${plan('plan_mode')}, ${plan('plan_part_size')},
      ${plan('plan_checksum')}, ${plan('plan_decided_at')}
    WHERE f.state NOT IN (${sqlStates(HELD_STATES)})
      AND (${CHANGED} OR f.state = 'settling' OR ${FIXED})
    RETURNING f.*`,
  findFile: `SELECT * FROM files WHERE job = $1 AND path = $2`,
  // An older row without a ctime learns it, so that a later change of it is noticed.
  learnCtime: `UPDATE files SET ctime_ms = $2 WHERE id = $1 AND ctime_ms IS NULL RETURNING *`,
  // $4: the jobs, or NULL for all.
  claimExpired: `WITH next AS (
      SELECT id FROM files
      WHERE ${HELD} AND lease_until <= $1 AND ($4::text[] IS NULL OR job = ANY ($4::text[]))
        AND ${NOT_PAUSED}
      ORDER BY lease_until, id LIMIT 1
      FOR UPDATE SKIP LOCKED
    ) ${TAKE}`,
  claimReady: `WITH next AS (
      SELECT id FROM files WHERE ${READY} AND ${NOT_PAUSED}
      ORDER BY ready_at, id LIMIT 1
      FOR UPDATE SKIP LOCKED
    ) ${TAKE}`,
  claimReadyOfJobs: `WITH next AS (
      SELECT c.id FROM unnest($4::text[]) AS j (job)
      CROSS JOIN LATERAL (
        SELECT id, ready_at FROM files WHERE files.job = j.job AND ${READY} AND ${NOT_PAUSED}
        ORDER BY ready_at, id LIMIT 1
        FOR UPDATE SKIP LOCKED
      ) AS c
      ORDER BY c.ready_at, c.id LIMIT 1
    ) ${TAKE}`,
  savePlan: `UPDATE files SET plan_key = $3, plan_mode = $4, plan_part_size = $5,
      plan_checksum = $6, plan_decided_at = $7
    WHERE id = $1 AND owner = $2 AND ${HELD} AND plan_key IS NULL
    RETURNING *`,
  // One guarded statement: a file claimed meanwhile is 'uploading' and not touched.
  releaseForRetry: `UPDATE files SET state = 'queued', reason_code = NULL, reason_message = NULL,
      reason_hint = NULL, not_before = NULL, updated_at = $1, ready_at = $1
    WHERE state IN ('parked', 'waiting') AND ($2::bigint[] IS NULL OR id = ANY ($2::bigint[]))
      AND ($3::text IS NULL OR job = $3::text)
      AND ($4::text IS NULL OR coalesce(reason_code, '') = $4::text)`,
  getFile: `SELECT * FROM files WHERE id = $1`,
} as const;

type AnyInput = Partial<HeldTransitionInput['defer'] & FinalOptions> | undefined;

/** Queue operations on one database. */
export interface PostgresFileQueue {
  enqueue(file: FileToQueue, now: number, event?: NewEvent): Promise<Enqueued>;
  claim(
    now: number,
    claim: ClaimOptions,
    jobs?: readonly string[],
  ): Promise<FileRecord | undefined>;
  savePlan(hold: Hold, plan: FilePlan): Promise<FilePlan>;
  /** `retried`: an earlier attempt may have applied it (its answer was lost with the connection). */
  transition(
    name: HeldTransitionName,
    hold: Hold,
    now: number,
    input: AnyInput,
    retried: boolean,
  ): Promise<Transitioned>;
  releaseForRetry(filter: RetryFilter, now: number): Promise<number>;
}

/** Builds the queue operations on `pool`; `retention` for the events transitions record. */
export function createPostgresFileQueue(
  pool: PostgresPool,
  retention: number,
  ctx: (operation: string) => JournalErrorContext,
): PostgresFileQueue {
  const db = pool.db;
  const first = async (q: PgQueryable, sql: string, values: unknown[]) =>
    (await q.query<FileRow>(sql, values)).rows[0];
  const updates = new Map<HeldTransitionName, string>();
  const updateSql = (name: HeldTransitionName): string => {
    let sql = updates.get(name);
    if (sql === undefined)
      updates.set(name, (sql = `${heldTransitionUpdate(name, PARAMS)} RETURNING *`));
    return sql;
  };

  const transition = async (
    q: PgQueryable,
    name: HeldTransitionName,
    hold: Hold,
    now: number,
    input: AnyInput,
    retried: boolean,
  ): Promise<Transitioned> => {
    const v = transitionValues(name, now, input);
    const values = [
      hold.fileId,
      hold.owner,
      now,
      v.readyAt,
      v.notBefore,
      v.code,
      v.message,
      v.hint,
    ];
    const row = await first(q, updateSql(name), values);
    if (row === undefined) {
      const current = await first(q, QUEUE_SQL.getFile, [hold.fileId]);
      // The first attempt applied it and only its answer was lost: done, its writes with it.
      if (retried && current !== undefined && current.updated_at === now && !holds(hold, current))
        return { file: toFileRecord(current), event: undefined, history: undefined };
      throw refusal(ctx(name), name, hold, current);
    }
    if (input?.upload !== undefined)
      await insertVerifiedUpload(q, ofFile(input.upload, hold.fileId));
    const log = createPostgresEventLog(q, retention);
    const event = input?.event === undefined ? undefined : await log.append(input.event);
    const history = input?.history === undefined ? undefined : await log.addHistory(input.history);
    return { file: toFileRecord(row), event, history };
  };

  return {
    enqueue: async (file, now, event) => {
      const { job, path, size, mtimeMs, inode } = file;
      const ctime = file.ctimeMs ?? null;
      const p = file.plan;
      const values = [job, path, size, mtimeMs, inode, ctime, now, p?.key ?? null];
      values.push(p?.mode ?? null, p?.partSize ?? null, p?.checksum ?? null, p?.decidedAt ?? null);
      const queue = async (q: PgQueryable): Promise<Enqueued> => {
        const row = await first(q, QUEUE_SQL.enqueue, values);
        if (row === undefined)
          return { file: await leftAsItIs(q), queued: false, event: undefined };
        const recorded =
          event === undefined
            ? undefined
            : await createPostgresEventLog(q, retention).append(event);
        return { file: toFileRecord(row), queued: true, event: recorded };
      };
      // Left as it is (same identity, or held): the entry as it stands, its ctime learnt.
      const leftAsItIs = async (q: PgQueryable): Promise<FileRecord> => {
        const row = await first(q, QUEUE_SQL.findFile, [job, path]);
        if (row === undefined) throw new Error(`file ${job}:${path} vanished while being queued`);
        if (ctime === null || row.ctime_ms !== null) return toFileRecord(row);
        return toFileRecord((await first(q, QUEUE_SQL.learnCtime, [row.id, ctime])) ?? row);
      };
      return event === undefined ? queue(db) : pool.transaction(queue);
    },
    claim: async (now, claim, jobs) => {
      if (jobs?.length === 0) return undefined;
      const wanted = jobs === undefined ? null : [...new Set(jobs)];
      const lease = [now, claim.owner, now + claim.leaseMs];
      const expired = await first(db, QUEUE_SQL.claimExpired, [...lease, wanted]);
      const row =
        expired ??
        (wanted === null
          ? await first(db, QUEUE_SQL.claimReady, lease)
          : await first(db, QUEUE_SQL.claimReadyOfJobs, [...lease, wanted]));
      return row === undefined ? undefined : toFileRecord(row);
    },
    savePlan: async (hold, p) => {
      const values = [hold.fileId, hold.owner, p.key, p.mode, p.partSize, p.checksum, p.decidedAt];
      if ((await first(db, QUEUE_SQL.savePlan, values)) !== undefined) return p;
      const row = await first(db, QUEUE_SQL.getFile, [hold.fileId]);
      const stored = row === undefined ? null : toFileRecord(row).plan;
      // Held, and a plan is stored already: the first one wins.
      if (row !== undefined && stored !== null && holds(hold, row)) return stored;
      throw refusal(ctx('savePlan'), 'savePlan', hold, row);
    },
    transition: (name, hold, now, input, retried) =>
      input?.event === undefined && input?.history === undefined && input?.upload === undefined
        ? transition(db, name, hold, now, input, retried)
        : pool.transaction((q) => transition(q, name, hold, now, input, retried)),
    releaseForRetry: async ({ fileIds, job, code }, now) =>
      (
        await db.query(QUEUE_SQL.releaseForRetry, [
          now,
          fileIds === undefined ? null : [...fileIds],
          job ?? null,
          code ?? null,
        ])
      ).rowCount ?? 0,
  };
}
