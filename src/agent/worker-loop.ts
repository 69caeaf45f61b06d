/**
 * The agent's workers: each claims a file of a job whose destination is healthy, holds it under
 * its lease (fleet-member.ts, hold-guard.ts) and hands it to the processor; when nothing is
 * claimable it waits for a wake-up (a file queued, a destination healthy again) or a second. A
 * claimed file whose job is gone is cancelled through the failure table; a file whose outcome the
 * journal could not record is given back as soon as the journal can be written.
 */
import { backoffDelay } from '../domain/backoff.js';
import { AppError, isAppError } from '../errors/app-error.js';
import type { FileRecord, JournalStore } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { Candidate } from './admission.js';
import type { BusyFiles } from './busy-files.js';
import type { EventSink } from './event-sink.js';
import type { FileProcessor } from './file-processor.js';
import type { FleetMember } from './fleet-member.js';
import type { JobRuntime } from './job-runtime.js';
import { Wakeup } from './wakeup.js';

/** What the workers use. */
export interface WorkerDeps {
  readonly journal: Pick<JournalStore, 'claim' | 'release'>;
  readonly events: EventSink;
  readonly clock: Clock;
  readonly random: () => number;
  readonly member: FleetMember;
  readonly processor: FileProcessor;
  readonly busy: BusyFiles;
  readonly wakeup: Wakeup;
  /** Aborted when the agent stops. */
  readonly stop: AbortSignal;
  /** The running job of that name. */
  readonly job: (name: string) => JobRuntime | undefined;
  /** Jobs whose files may be claimed now (their destination is healthy). */
  readonly claimable: () => string[];
  /** Offers a file again (a source reported it while a worker was on it). */
  readonly offer: (job: string, f: Candidate) => Promise<void>;
}

export class WorkerLoop {
  #inFlight = 0;

  constructor(private readonly deps: WorkerDeps) {}

  /** Files being processed now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** One worker: runs until the agent stops. */
  async run(): Promise<void> {
    const { deps } = this;
    while (!deps.stop.aborted) {
      const wait = deps.wakeup.next();
      const claimedAt = deps.clock.now();
      const file = await this.#claim(claimedAt);
      const job = file === undefined ? undefined : deps.job(file.job);
      if (file === undefined || job === undefined) {
        if (file !== undefined) await this.#orphaned(file);
        await Wakeup.either(wait, 1000, deps.clock);
        continue;
      }
      // Our own claim, renewed too late: the worker that holds it carries on.
      if (deps.member.holds(file.id)) continue;
      await this.#process(file, job, claimedAt);
    }
  }

  async #claim(now: number): Promise<FileRecord | undefined> {
    try {
      const jobs = this.deps.claimable();
      if (jobs.length === 0) return undefined;
      return await this.deps.journal.claim(now, this.deps.member.claim, jobs);
    } catch (err) {
      await this.deps.events
        .emit('agent.error', 'error', `cannot claim work: ${String(err)}`)
        .catch(() => undefined);
      return undefined;
    }
  }

  async #process(file: FileRecord, job: JobRuntime, claimedAt: number): Promise<void> {
    const { deps } = this;
    this.#inFlight += 1;
    deps.busy.begin(file.job, file.path);
    const guard = deps.member.hold(file, claimedAt, deps.stop);
    try {
      await deps.processor.process(file, job, guard);
    } catch (err) {
      // The outcome could not be recorded (the journal failed): the file is still held.
      await this.#requeueWhenWritable(file, err);
    } finally {
      deps.member.release(file.id);
      this.#inFlight -= 1;
      const again = deps.busy.end(file.job, file.path);
      if (again !== undefined)
        await deps.offer(file.job, again).catch((err: unknown) => this.report(err));
    }
  }

  /** A claimed file whose job is no longer configured: cancelled through the failure table. */
  async #orphaned(file: FileRecord): Promise<void> {
    const hold = { fileId: file.id, owner: this.deps.member.id };
    await this.deps.processor.orphaned(file, hold).catch((err: unknown) => this.report(err));
  }

  /**
   * After a journal failure (a full disk, an I/O error), gives the file back (release) as soon
   * as the journal can be written again. Nothing is lost meanwhile: the upload stays open in the
   * store and resumes. On stop the file stays 'uploading', which the next start re-queues.
   */
  async #requeueWhenWritable(file: FileRecord, err: unknown): Promise<void> {
    const { deps } = this;
    const why = err instanceof Error ? err.message : String(err);
    await this.report(
      new AppError(
        'ERR_JOURNAL',
        `the outcome of ${file.path} could not be recorded (${why}); it is queued again as soon as the journal can be written`,
        { hint: (isAppError(err) ? err.hint : undefined) ?? 'check the disk holding the journal' },
      ),
    );
    const hold = { fileId: file.id, owner: deps.member.id };
    const reason = { code: 'released', message: `queued again after a journal failure: ${why}` };
    for (let attempt = 1; ; attempt += 1) {
      const delay = backoffDelay(attempt, deps.random(), { baseMs: 1_000, capMs: 30_000 });
      // a stop ends the wait early (rejects); the next start re-queues the file
      const stopped = await deps.clock.sleep(delay, deps.stop).then(
        () => false,
        () => true,
      );
      if (stopped) return;
      try {
        await deps.journal.release(hold, deps.clock.now(), { reason: { ...reason, hint: null } });
      } catch (failed) {
        // Taken over meanwhile (its lease lapsed while the journal failed): nothing to give back.
        if (isAppError(failed, 'ERR_LEASE_LOST')) return;
        continue;
      }
      deps.wakeup.wake();
      return;
    }
  }

  /** Logs an internal failure as an event; the log line is written even when the journal is not. */
  async report(err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    const hint = isAppError(err) ? (err.hint ?? null) : null;
    const code = isAppError(err) ? err.code : 'ERR_INTERNAL';
    await this.deps.events
      .emit('agent.error', 'error', message, { data: { code, hint } })
      .catch(() => undefined);
  }
}
