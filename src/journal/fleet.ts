/**
 * The agents sharing a journal: heartbeats that renew the leases of the files each holds, a clean
 * leave, the hold expiry of a journal one agent owns, and the pause switches (DESIGN.md item 12),
 * kept in the journal so that they survive restarts and hold for every agent of a fleet at once.
 */
import type { FileReason } from '../domain/file-state.js';
import type { EventRecord, NewEvent } from './event-log.js';

/** A running agent, as it describes itself in its heartbeats. */
export interface AgentInfo {
  /** Unique per agent process (e.g. hostname:pid:random); the owner of the files it claims. */
  readonly id: string;
  readonly hostname: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly version: string;
}

/** An agent of the fleet and its last heartbeat. */
export interface AgentRecord extends AgentInfo {
  readonly lastHeartbeat: number;
  /** Files it holds now ('uploading' or 'verifying' with its id as owner). */
  readonly holding: number;
  /** Where its API listens, as a client on its machine reaches it; absent until announced. */
  readonly apiUrl?: string;
}

/** The reason a file shows once {@link Fleet.expireHolds} made it claimable again. */
export const HOLD_EXPIRED_REASON: FileReason = {
  code: 'hold-expired',
  message: 'held by an agent that stopped; taken up again',
  hint: null,
};

/** The reason a file shows once its agent gave it back as it stopped ({@link Fleet.leave}). */
export function leftReason(agentId: string): FileReason {
  return { code: 'released', message: `released by agent ${agentId} as it stopped`, hint: null };
}

/** What a pause switch covers: one job, or (no job) all processing. */
export interface PauseScope {
  readonly job?: string;
}

/** The pause switches that are on. */
export interface Pauses {
  /** All processing is paused. */
  readonly all: boolean;
  /** Jobs paused one by one, by name, sorted. */
  readonly jobs: string[];
}

/** The key of a switch in a store's `pauses` table: the job, or '' for all processing. */
export const pauseKey = (scope: PauseScope): string => scope.job ?? '';

/** Keys of a store's `pauses` table -> the switches that are on. */
export function toPauses(keys: readonly string[]): Pauses {
  return { all: keys.includes(''), jobs: keys.filter((k) => k !== '').sort() };
}

/** What {@link Fleet.setPaused} did. */
export interface PauseChange {
  /** The switches after the change. */
  readonly pauses: Pauses;
  /** The event recorded with it, when one was given. */
  readonly event: EventRecord | undefined;
}

/** Agents, leases and pause switches. Reject with an AppError (ERR_JOURNAL*) on storage failure. */
export interface Fleet {
  /**
   * True when several agents may share this journal at once (PostgreSQL): files held by another
   * live agent must be left alone, and a dead agent's files come back when their lease expires.
   * False for the embedded SQLite journal, which one agent owns.
   */
  readonly shared: boolean;
  /**
   * The agent is alive: records its heartbeat, and extends to now + `leaseMs` the lease of every
   * file it holds. Resolves the ids of those files: a file it believes it holds but that is not
   * among them was taken over by another agent (its lease had expired), so it must stop work on it.
   */
  heartbeat(agent: AgentInfo, now: number, leaseMs: number): Promise<number[]>;
  /** The agents that sent a heartbeat and did not leave, most recent heartbeat first. */
  listAgents(): Promise<AgentRecord[]>;
  /**
   * Records where the agent's API listens (a URL a client on the agent's machine can use), once it
   * listens; null when it stops. The CLI finds a running agent through the journal this way. An
   * agent not in the list (no heartbeat yet, or left) is not changed.
   */
  announceApi(agentId: string, apiUrl: string | null): Promise<void>;
  /**
   * A clean stop: the files the agent still holds are released (so another agent may take them at
   * once) and the agent leaves the list: 'uploading' ones go back to 'queued'; 'verifying' ones
   * stay 'verifying' with an expired lease, so that the next holder finishes them (their object
   * was verified; the after-action may already have removed the source). Resolves how many.
   */
  leave(agentId: string, now: number): Promise<number>;
  /**
   * Every held file ('uploading', 'verifying') becomes claimable at once, as if its holder's lease
   * had expired at `now`; owner cleared, state kept (see FileQueue.claim). For a journal one agent
   * owns (SQLite, behind the agent lock): what its previous run held when it stopped. Never call it
   * on a journal other live agents share. Resolves how many files.
   */
  expireHolds(now: number): Promise<number>;
  /**
   * Turns a pause switch on or off: one job's, or (no job) the one of all processing. While on,
   * no agent of the journal claims a file it covers (files keep being queued). Idempotent; the
   * event, when given, is recorded in the same transaction.
   */
  setPaused(
    scope: PauseScope,
    paused: boolean,
    now: number,
    event?: NewEvent,
  ): Promise<PauseChange>;
  /** The switches that are on. */
  pauses(): Promise<Pauses>;
}
