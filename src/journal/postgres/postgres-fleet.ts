/**
 * The fleet half of the PostgreSQL journal: heartbeats renewing the leases of an agent's files, a
 * clean leave, the expiry of holds, and the pause switches every agent's claims read (table
 * `pauses`, '' = all processing).
 */
import type { NewEvent } from '../event-log.js';
import { HELD_SQL } from '../file-transitions.js';
import {
  HOLD_EXPIRED_REASON,
  leftReason,
  pauseKey,
  toPauses,
  type AgentInfo,
  type AgentRecord,
  type PauseChange,
  type PauseScope,
  type Pauses,
} from '../fleet.js';
import { reasonValues, toAgentRecord, type AgentRow } from '../journal-rows.js';
import type { PgQueryable, PostgresPool } from './postgres-connection.js';
import { createPostgresEventLog } from './postgres-event-log.js';

/** The SQL of the fleet operations (exported so tests can EXPLAIN them). */
export const FLEET_SQL = {
  heartbeat: `WITH agent AS (
      INSERT INTO agents (id, hostname, pid, started_at, version, last_heartbeat)
      VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (id) DO UPDATE SET last_heartbeat = excluded.last_heartbeat
    )
    UPDATE files SET lease_until = $7 WHERE owner = $1 AND ${HELD_SQL}
    RETURNING id`,
  // 'verifying' stays 'verifying', claimable at once (fleet.ts leave).
  leave: `WITH released AS (
      UPDATE files SET state = CASE state WHEN 'verifying' THEN 'verifying' ELSE 'queued' END,
        owner = NULL, lease_until = CASE state WHEN 'verifying' THEN $3::bigint END,
        reason_code = $2, reason_message = $4, reason_hint = $5,
        not_before = NULL, updated_at = $3, ready_at = $3
      WHERE owner = $1 AND ${HELD_SQL}
      RETURNING 1
    ), gone AS (
      DELETE FROM agents WHERE id = $1
    )
    SELECT count(*) AS n FROM released`,
  expireHolds: `UPDATE files SET owner = NULL, lease_until = $1, reason_code = $2,
      reason_message = $3, reason_hint = $4, updated_at = $1
    WHERE ${HELD_SQL}`,
  listAgents: `SELECT a.*, (SELECT count(*) FROM files f WHERE f.owner = a.id
        AND f.${HELD_SQL}) AS holding
    FROM agents a ORDER BY last_heartbeat DESC, id`,
  announceApi: `UPDATE agents SET api_url = $2 WHERE id = $1`,
  pause: `INSERT INTO pauses (job, paused_at) VALUES ($1, $2) ON CONFLICT (job) DO NOTHING`,
  resume: `DELETE FROM pauses WHERE job = $1`,
  pauses: `SELECT job FROM pauses`,
} as const;

/** Fleet operations on one database. */
export interface PostgresFleet {
  heartbeat(agent: AgentInfo, now: number, leaseMs: number): Promise<number[]>;
  listAgents(): Promise<AgentRecord[]>;
  announceApi(agentId: string, apiUrl: string | null): Promise<void>;
  leave(agentId: string, now: number): Promise<number>;
  expireHolds(now: number): Promise<number>;
  setPaused(
    scope: PauseScope,
    paused: boolean,
    now: number,
    event?: NewEvent,
  ): Promise<PauseChange>;
  pauses(): Promise<Pauses>;
}

/** Builds the fleet operations on `pool`; `retention` for the events a pause records. */
export function createPostgresFleet(pool: PostgresPool, retention: number): PostgresFleet {
  const db = pool.db;
  const pauses = async (q: PgQueryable): Promise<Pauses> =>
    toPauses((await q.query<{ job: string }>(FLEET_SQL.pauses)).rows.map((r) => r.job));
  return {
    heartbeat: async (agent, now, leaseMs) => {
      const { id, hostname, pid, startedAt, version } = agent;
      const values = [id, hostname, pid, startedAt, version, now, now + leaseMs];
      const { rows } = await db.query<{ id: number }>(FLEET_SQL.heartbeat, values);
      return rows.map((r) => r.id);
    },
    listAgents: async () =>
      (await db.query<AgentRow>(FLEET_SQL.listAgents)).rows.map(toAgentRecord),
    announceApi: async (agentId, apiUrl) => {
      await db.query(FLEET_SQL.announceApi, [agentId, apiUrl]);
    },
    leave: async (agentId, now) => {
      const [code, message, hint] = reasonValues(leftReason(agentId));
      const values = [agentId, code, now, message, hint];
      const { rows } = await db.query<{ n: number }>(FLEET_SQL.leave, values);
      return rows[0]?.n ?? 0;
    },
    expireHolds: async (now) =>
      (await db.query(FLEET_SQL.expireHolds, [now, ...reasonValues(HOLD_EXPIRED_REASON)]))
        .rowCount ?? 0,
    setPaused: (scope, paused, now, event) =>
      pool.transaction(async (q) => {
        if (paused) await q.query(FLEET_SQL.pause, [pauseKey(scope), now]);
        else await q.query(FLEET_SQL.resume, [pauseKey(scope)]);
        const recorded =
          event === undefined
            ? undefined
            : await createPostgresEventLog(q, retention).append(event);
        return { pauses: await pauses(q), event: recorded };
      }),
    pauses: () => pauses(db),
  };
}
