/**
 * The running agent that holds a journal, as the journal itself says, so that the CLI finds it on
 * whatever port its API listens: a SQLite journal's agent lock names the holder and, once its API
 * listens, the API's address (platform/agent-lock.ts); a PostgreSQL journal's agents table carries
 * each agent's address (Fleet.announceApi), of which only an agent of this machine counts (the
 * address is the one its own machine reaches it by), heard from within its lease.
 */
import type { AgentRecord } from '../journal/journal-store.js';
import { readAgentLock } from '../platform/agent-lock.js';

/** The agent holding a journal. */
export interface JournalHolder {
  /** Where its API listens; undefined while it has not said so (starting). */
  readonly url: string | undefined;
  /** Who it is, for messages: "the agent with pid 123". */
  readonly who: string;
}

/** The live agent of this host that holds the SQLite journal `file`, from its lock. */
export function lockHolder(file: string, hostname: string): JournalHolder | undefined {
  const holder = readAgentLock(file, hostname);
  if (holder?.alive !== true) return undefined;
  return { url: holder.apiUrl, who: `the agent with pid ${holder.pid}` };
}

/**
 * The agent of this host among a shared journal's agents (PostgreSQL) that announced its API and
 * was heard from within `leaseMs`; the most recent heartbeat first.
 */
export function fleetHolder(
  agents: readonly AgentRecord[],
  o: { readonly hostname: string; readonly now: number; readonly leaseMs: number },
): JournalHolder | undefined {
  const mine = agents.find(
    (a) =>
      a.hostname === o.hostname && a.apiUrl !== undefined && o.now - a.lastHeartbeat <= o.leaseMs,
  );
  return mine === undefined
    ? undefined
    : { url: mine.apiUrl, who: `the agent ${mine.id} (pid ${mine.pid})` };
}
