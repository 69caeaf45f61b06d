/**
 * The agent as a member of the agents sharing its journal: it holds the files it claimed under a
 * lease, renews the lease by a heartbeat every third of it, and stops work on a file whose lease
 * it lost (it was silent too long, another agent took the file over and resumes its upload).
 *
 * Each held file gets a {@link HoldGuard}, which the processor checks right before every outside
 * effect: valid while its signal is not aborted and the clock is before the end of the file's
 * lease (the later of its claim and the last heartbeat that renewed it, plus the lease) minus a
 * margin (hold-guard.ts).
 *
 * With the embedded SQLite journal the agent is the only member; the heartbeat still shows it in
 * the API and keeps its claims fresh, so the same code runs in both modes.
 */
import { AppError, isAppError } from '../errors/app-error.js';
import type { AgentInfo, FileQueue, Fleet } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { EventSink } from './event-sink.js';
import { HoldGuard, holdMargin } from './hold-guard.js';

export interface FleetMemberDeps {
  readonly journal: Fleet & Pick<FileQueue, 'release'>;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly info: AgentInfo;
  /** How long a claim holds without a heartbeat, ms. */
  readonly leaseMs: number;
  /** Called after each heartbeat the journal took: it answers (again). */
  readonly onBeat?: () => void;
}

/** How this agent shows in the fleet list: its id, host, process, start and version. */
export function agentInfo(deps: {
  readonly owner: string;
  readonly hostname: string;
  readonly clock: Clock;
  readonly version?: string | undefined;
}): AgentInfo {
  return {
    id: deps.owner,
    hostname: deps.hostname,
    pid: process.pid,
    startedAt: deps.clock.now(),
    version: deps.version ?? '0.0.0',
  };
}

/** Why a file's work was stopped when its lease was lost (never retried: kind 'cancelled'). */
export function leaseLost(path: string, agentId: string): AppError {
  return new AppError(
    'ERR_LEASE_LOST',
    `${path}: another agent took this file over (the lease of ${agentId} expired)`,
    { hint: 'nothing to do: the other agent resumes the upload from the shared journal' },
  );
}

export class FleetMember {
  readonly #held = new Map<number, { path: string; abort: AbortController }>();
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  /** When the last heartbeat the journal took was sent: it renewed every lease to then + lease. */
  #lastBeat = 0;
  #orphans = new Set<number>();

  constructor(private readonly deps: FleetMemberDeps) {}

  get id(): string {
    return this.deps.info.id;
  }

  /** The claim options of this agent. */
  get claim(): { owner: string; leaseMs: number } {
    return { owner: this.deps.info.id, leaseMs: this.deps.leaseMs };
  }

  /** Sends the first heartbeat (the agent appears in the list) and starts the loop. */
  async start(): Promise<void> {
    await this.#beat();
    this.#loop = this.#run();
  }

  /** True when this process already works on the file (a claim of its own expired lease). */
  holds(fileId: number): boolean {
    return this.#held.has(fileId);
  }

  /**
   * Work on a file claimed at `claimedAt` (the time the claim gave the journal) begins. Its guard's
   * signal aborts when its lease is lost or `parent` aborts (the agent stops).
   */
  hold(file: { id: number; path: string }, claimedAt: number, parent: AbortSignal): HoldGuard {
    const abort = new AbortController();
    this.#held.set(file.id, { path: file.path, abort });
    const { leaseMs } = this.deps;
    const margin = holdMargin(leaseMs);
    return new HoldGuard({ fileId: file.id, owner: this.id }, file.path, {
      clock: this.deps.clock,
      signal: AbortSignal.any([parent, abort.signal]),
      validUntil: () => Math.max(claimedAt, this.#lastBeat) + leaseMs - margin,
    });
  }

  release(fileId: number): void {
    this.#held.delete(fileId);
  }

  async #run(): Promise<void> {
    const every = Math.max(1000, Math.floor(this.deps.leaseMs / 3));
    while (!this.#stop.signal.aborted) {
      try {
        await this.deps.clock.sleep(every, this.#stop.signal);
      } catch {
        return;
      }
      await this.#beat();
    }
  }

  async #beat(): Promise<void> {
    const { journal, clock, info, leaseMs, events } = this.deps;
    // Only files held before the heartbeat asked: one claimed meanwhile may not be in its answer.
    const before = [...this.#held.keys()];
    const now = clock.now();
    let kept: Set<number>;
    try {
      kept = new Set(await journal.heartbeat(info, now, leaseMs));
      this.#lastBeat = now;
    } catch (err) {
      await events
        .emit('agent.heartbeat-failed', 'warn', `heartbeat failed: ${String(err)}`)
        .catch(() => undefined);
      // Silent for a whole lease: another agent may be taking our files; stop work on them.
      if (journal.shared && clock.now() - this.#lastBeat >= leaseMs) this.#loseAll(before);
      return;
    }
    this.#loseAll(before.filter((id) => !kept.has(id)));
    this.deps.onBeat?.();
    await this.#releaseOrphans(kept, now);
  }

  /**
   * Files the journal says this agent holds but no worker of it works on: a worker whose journal
   * failed could not give its file back, or a claim's answer was lost with the connection. The
   * heartbeat would renew them forever. Released once two heartbeats in a row found them so (a
   * claim that has just been answered is not yet registered with hold()).
   */
  async #releaseOrphans(kept: ReadonlySet<number>, now: number): Promise<void> {
    const orphans = [...kept].filter((id) => !this.#held.has(id));
    const confirmed = orphans.filter((id) => this.#orphans.has(id));
    this.#orphans = new Set(orphans.filter((id) => !confirmed.includes(id)));
    for (const id of confirmed) {
      const reason = {
        code: 'released',
        message: 'given back: no worker of its agent was working on it',
        hint: null,
      };
      await this.deps.journal
        .release({ fileId: id, owner: this.deps.info.id }, now, { reason })
        .catch((err: unknown) => {
          // Lost meanwhile: nothing to give back. Else the journal still fails: next time.
          if (!isAppError(err, 'ERR_LEASE_LOST')) this.#orphans.add(id);
        });
    }
  }

  #loseAll(ids: readonly number[]): void {
    for (const id of ids) {
      const h = this.#held.get(id);
      if (h === undefined) continue;
      this.#held.delete(id);
      h.abort.abort(leaseLost(h.path, this.deps.info.id));
      void this.deps.events
        .emit('file.taken-over', 'warn', `${h.path}: lease lost, another agent takes it over`, {
          path: h.path,
          data: { agent: this.deps.info.id },
        })
        .catch(() => undefined);
    }
  }

  /** Stops the heartbeat; releases the files still held for other agents, and leaves the list. */
  async leave(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    await this.deps.journal.leave(this.deps.info.id, this.deps.clock.now()).catch(() => undefined);
  }
}
