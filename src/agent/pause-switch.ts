/**
 * The pause switches as the agent sees them (DESIGN.md item 12): kept in the journal, so they
 * survive restarts and hold for every agent of it. The claim reads them itself; this keeps the
 * last reading for the status and for what the events say of a queued file, and flips them.
 */
import { AppError } from '../errors/app-error.js';
import type { Fleet, Pauses } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { EventSink } from './event-sink.js';

/** What the switch uses. */
export interface PauseSwitchDeps {
  readonly journal: Pick<Fleet, 'setPaused' | 'pauses'>;
  readonly clock: Clock;
  readonly events: EventSink;
}

export class PauseSwitch {
  /** The journal's switches as last read (another agent of the fleet may change them). */
  #pauses: Pauses = { all: false, jobs: [] };

  constructor(private readonly deps: PauseSwitchDeps) {}

  /** Reads the journal's switches now. */
  async read(): Promise<Pauses> {
    this.#pauses = await this.deps.journal.pauses();
    return this.#pauses;
  }

  /** True when `job` or everything was paused at the last reading. */
  isPaused(job: string): boolean {
    return this.#pauses.all || this.#pauses.jobs.includes(job);
  }

  /** Sets the switch of each job configured `paused: true` (they start paused), then reads. */
  async pauseConfigured(jobs: readonly { name: string; paused: boolean }[]): Promise<void> {
    const now = this.deps.clock.now();
    for (const job of jobs)
      if (job.paused) await this.deps.journal.setPaused({ job: job.name }, true, now);
    await this.read();
  }

  /**
   * Flips one job's switch (`known` says the job exists: ERR_USAGE otherwise), or everything's,
   * with its event (agent.paused, job.resumed, …) recorded in the same write.
   */
  async set(job: string | undefined, paused: boolean, known: (job: string) => boolean) {
    if (job !== undefined && !known(job))
      throw new AppError('ERR_USAGE', `no job named ${job}`, {
        hint: 'see s3ferry status for the jobs',
        details: { field: 'job' },
      });
    const word = paused ? 'paused' : 'resumed';
    const now = this.deps.clock.now();
    const change = await this.deps.journal.setPaused(
      job === undefined ? {} : { job },
      paused,
      now,
      {
        at: now,
        type: job === undefined ? `agent.${word}` : `job.${word}`,
        level: 'info',
        message: job === undefined ? `processing ${word}` : `job ${job} ${word}`,
        data: { job: job ?? null },
      },
    );
    this.#pauses = change.pauses;
    this.deps.events.announce(change.event);
  }
}
