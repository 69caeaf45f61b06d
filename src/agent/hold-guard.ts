/**
 * The hold of this agent on one file, checked right before each outside effect (DESIGN.md item 9:
 * "nothing is done by an agent whose hold on the file has lapsed"): the request that publishes the
 * object (PutObject, CompleteMultipartUpload), the after-action (delete or move of the source),
 * and the final transition.
 *
 * The check needs no I/O. Nobody can claim the file before its lease expires, and the lease ends
 * `leaseMs` after the later of the claim and the last heartbeat that renewed it; both times are
 * this agent's own (the journal stores `now + leaseMs` as the agent computed it). So the hold is
 * valid while its signal is not aborted (the heartbeat found the file taken, or the agent stops)
 * and the clock is before that end minus a safety margin ({@link holdMargin}). An agent stopped
 * (SIGSTOP, a VM paused, a laptop lid) past its lease finds its clock past the end when it runs
 * again, before its first heartbeat tells it anything: it does nothing more with the file.
 *
 * The journal's transitions stay owner-guarded as they are: they are the authority; this check
 * only keeps an agent from acting outside the journal (in the store, on the source) once the file
 * may be another's.
 */
import { AppError } from '../errors/app-error.js';
import type { Hold } from '../domain/file-state.js';
import type { Clock } from '../platform/clock.js';

/**
 * How long before its lease ends a hold is taken as lapsed, ms: a tenth of the lease (at least
 * 300 ms with the shortest lease of 3 s). It covers the time from the check to the request
 * reaching the store and the clock difference between agents.
 */
export function holdMargin(leaseMs: number): number {
  return Math.floor(leaseMs / 10);
}

/** What a {@link HoldGuard} reads. */
export interface HoldGuardDeps {
  readonly clock: Clock;
  /** Aborted when the heartbeat found the file taken over, or the agent stops. */
  readonly signal: AbortSignal;
  /** When the hold ends, ms since the epoch (the lease's end minus the margin), read at each check. */
  readonly validUntil: () => number;
}

/** One file's hold: valid, or not (see the module comment). */
export class HoldGuard {
  constructor(
    readonly hold: Hold,
    /** The file's path, for the error. */
    readonly path: string,
    private readonly deps: HoldGuardDeps,
  ) {}

  /** Aborted when the hold is lost for certain, or the agent stops: in-flight work ends. */
  get signal(): AbortSignal {
    return this.deps.signal;
  }

  /** True while the hold is certainly this agent's. */
  get valid(): boolean {
    return !this.deps.signal.aborted && this.deps.clock.now() < this.deps.validUntil();
  }

  /** Throws ERR_LEASE_LOST unless the hold is valid; call it right before an outside effect. */
  check(): void {
    if (this.valid) return;
    throw new AppError(
      'ERR_LEASE_LOST',
      `${this.path}: the hold of ${this.hold.owner} on this file lapsed (its lease ran out or ` +
        'another agent took it over); nothing more is done with it here',
      {
        hint: 'nothing to do: the agent that holds the file now finishes it from the journal',
        details: { fileId: this.hold.fileId, owner: this.hold.owner },
      },
    );
  }
}
