/**
 * The fleet half of the SQLite journal: heartbeats and leases, a clean leave, the expiry of the
 * holds a previous run left, and the pause switches (table `pauses`, '' = all processing).
 */
import type Database from 'better-sqlite3';
import type { NewEvent } from '../event-log.js';
import {
  HOLD_EXPIRED_REASON,
  leftReason,
  pauseKey,
  toPauses,
  type AgentInfo,
  type PauseChange,
  type PauseScope,
  type Pauses,
} from '../fleet.js';
import { reasonValues } from '../journal-rows.js';
import type { SqliteEventLog } from './sqlite-event-log.js';
import type { SqliteStatements } from './sqlite-statements.js';

/** Synchronous fleet operations; the store wraps them into its async contract. */
export interface SqliteFleet {
  heartbeat(agent: AgentInfo, now: number, leaseMs: number): number[];
  announceApi(agentId: string, apiUrl: string | null): void;
  leave(agentId: string, now: number): number;
  expireHolds(now: number): number;
  setPaused(scope: PauseScope, paused: boolean, now: number, event?: NewEvent): PauseChange;
  pauses(): Pauses;
}

/** Builds the fleet operations on a connection, its statements and its event log. */
export function createFleet(
  db: Database.Database,
  stmts: SqliteStatements,
  events: SqliteEventLog,
): SqliteFleet {
  const pauseStmt = db.prepare<{ job: string; now: number }>(
    'INSERT INTO pauses (job, paused_at) VALUES (@job, @now) ON CONFLICT (job) DO NOTHING',
  );
  const resumeStmt = db.prepare<[string]>('DELETE FROM pauses WHERE job = ?');
  const announceStmt = db.prepare<{ id: string; apiUrl: string | null }>(
    'UPDATE agents SET api_url = @apiUrl WHERE id = @id',
  );
  const listPauses = db.prepare<[], { job: string }>('SELECT job FROM pauses');
  const pauses = (): Pauses => toPauses(listPauses.all().map((r) => r.job));

  const heartbeatTx = db.transaction((agent: AgentInfo, now: number, leaseMs: number) => {
    const { id, hostname, pid, startedAt, version } = agent;
    stmts.upsertAgent.run({ id, hostname, pid, startedAt, version, now });
    return stmts.renewLeases.all({ id, leaseUntil: now + leaseMs }).map((r) => r.id);
  });

  const leaveTx = db.transaction((agentId: string, now: number): number => {
    const [code, message, hint] = reasonValues(leftReason(agentId));
    const released = stmts.releaseFiles.run({ id: agentId, code, message, hint, now }).changes;
    stmts.deleteAgent.run(agentId);
    return released;
  });

  const setPausedTx = db.transaction(
    (scope: PauseScope, paused: boolean, now: number, event?: NewEvent): PauseChange => {
      if (paused) pauseStmt.run({ job: pauseKey(scope), now });
      else resumeStmt.run(pauseKey(scope));
      return { pauses: pauses(), event: event === undefined ? undefined : events.append(event) };
    },
  );

  return {
    heartbeat: (agent, now, leaseMs) => heartbeatTx.immediate(agent, now, leaseMs),
    announceApi: (id, apiUrl) => {
      announceStmt.run({ id, apiUrl });
    },
    leave: (agentId, now) => leaveTx.immediate(agentId, now),
    expireHolds: (now) => {
      const [code, message, hint] = reasonValues(HOLD_EXPIRED_REASON);
      return stmts.expireHolds.run({ now, code, message, hint }).changes;
    },
    setPaused: (scope, paused, now, event) => setPausedTx.immediate(scope, paused, now, event),
    pauses,
  };
}
