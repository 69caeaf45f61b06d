/**
 * Takes one claimed file to its end state, in small steps (docs/pipeline.md):
 * - gather (gather-facts.ts): stat the source once, find it under its job's sources, plan it
 *   (file-plan.ts), look for a verified upload of this version and, with dedupe, a duplicate;
 * - decide (decide.ts, pure): vanished, taken over in verifying, changed, not under a source, key
 *   taken, already uploaded, duplicate skip or copy, upload;
 * - execute (execute.ts): the upload through the destination's transfer service, or the copy;
 * - finish (finish.ts): the after-action, then the final transition with its history row, its
 *   event and the upload's ledger record in one journal transaction (file-outcome.ts builds them);
 * - on failure, classifyFailure (classify-failure.ts, a pure table) says which transition, and
 *   apply-failure.ts makes it.
 * The hold (hold-guard.ts) is checked right before every outside effect; every move of the file
 * goes through the journal's named, owner-guarded transitions.
 */
import { AppError, isAppError, toAppError } from '../errors/app-error.js';
import type { Hold } from '../domain/file-state.js';
import type { FileRecord, JournalStore } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { FileMoves, FileSystem } from '../transfer/file-system.js';
import { applyFailure, type Failed, type FailureDeps } from './apply-failure.js';
import { classifyFailure } from './classify-failure.js';
import { decide, type Decision } from './decide.js';
import type { EventSink } from './event-sink.js';
import { executeCopy, executeUpload, type Sending } from './execute.js';
import {
  alreadyDone,
  copyDone,
  fileEvent,
  objectUrl,
  takenOverDone,
  uploadDone,
} from './file-outcome.js';
import { finishDone, finishDuplicate, type FinishDeps } from './finish.js';
import { gatherFacts, type Gathered } from './gather-facts.js';
import type { HoldGuard } from './hold-guard.js';
import type { JobRuntime } from './job-runtime.js';
import type { TransferTracker } from './transfer-tracker.js';

export interface ProcessorDeps {
  readonly journal: JournalStore;
  readonly events: EventSink;
  readonly clock: Clock;
  readonly fs: FileSystem & FileMoves;
  readonly hostname: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Uniform in [0, 1): the jitter of a file's backoff. */
  readonly random: () => number;
  /** Where running uploads report their progress (the API's live transfers). */
  readonly transfers?: TransferTracker;
}

/** The upload begun for a file, if one did: a parked file gets its failed history row. */
interface Attempt {
  upload?: { startedAt: number; key: string };
}

/** The decisions that end with the object in the store. */
type Sends = Extract<
  Decision,
  { kind: 'already-uploaded' | 'duplicate-skip' | 'duplicate-copy' | 'upload' }
>;

export class FileProcessor {
  readonly #finish: FinishDeps & FailureDeps;

  constructor(private readonly deps: ProcessorDeps) {
    this.#finish = {
      ...deps,
      announce: (e) => {
        deps.events.announce(e);
      },
    };
  }

  /**
   * Processes a file this agent claimed ('uploading', or 'verifying' when taken over) under
   * `guard`. Never throws but on journal failure (ERR_JOURNAL*): then the outcome could not be
   * recorded, the file is still held, and the caller gives it back once the journal can be written.
   */
  async process(file: FileRecord, job: JobRuntime, guard: HoldGuard): Promise<void> {
    const attempt: Attempt = {};
    try {
      const facts = await gatherFacts(this.deps, file, job, guard);
      await this.#apply(decide(facts), file, job, facts, guard, attempt);
    } catch (raw) {
      const failed = { file, job, hold: guard.hold, err: toAppError(raw) };
      await this.fail(
        attempt.upload === undefined ? failed : { ...failed, upload: attempt.upload },
      );
    }
  }

  async #apply(
    d: Decision,
    file: FileRecord,
    job: JobRuntime,
    g: Gathered,
    guard: HoldGuard,
    attempt: Attempt,
  ): Promise<void> {
    const { journal, clock } = this.deps;
    const now = clock.now();
    switch (d.kind) {
      case 'vanished':
        await this.#vanished(file, job, guard);
        return;
      case 'changed':
        // Still being written: the source reports it again once it is stable.
        await journal.resettle(guard.hold, now, {
          reason: { code: 'changed', message: 'changed since it was queued', hint: null },
        });
        return;
      case 'not-under-source':
        throw new AppError(
          'ERR_FILE_NOT_FOUND',
          `${file.path} is no longer under a source of job ${job.name}`,
          { hint: 'the configuration changed' },
        );
      case 'exists':
        await this.#exists(file, d, guard);
        return;
      case 'taken-over-verified':
        await this.#takenOver(file, job, guard);
        return;
      case 'already-uploaded':
      case 'duplicate-skip':
      case 'duplicate-copy':
      case 'upload': {
        const planned = g.planned?.kind === 'plan' ? g.planned : undefined;
        if (planned === undefined || g.st === undefined) throw new Error('sent without a plan');
        const s = { file, job, st: g.st, plan: planned.plan, sha256: planned.sha256 };
        await this.#send(d, s, g.relPath, guard, attempt);
      }
    }
  }

  /** Deleted or moved before its upload: cancelled. */
  async #vanished(file: FileRecord, job: JobRuntime, guard: HoldGuard): Promise<void> {
    const now = this.deps.clock.now();
    const message = 'the file was deleted or moved before its upload';
    const reason = { code: 'vanished', message, hint: null };
    const text = `${file.path} vanished before its upload`;
    const event = fileEvent(now, 'file.cancelled', 'warn', text, file, { data: { job: job.name } });
    this.deps.events.announce(
      (await this.deps.journal.cancel(guard.hold, now, { reason, event })).event,
    );
  }

  /** The key holds another writer's object: skipped; the source is kept whatever the after-action. */
  async #exists(
    file: FileRecord,
    d: Extract<Decision, { kind: 'exists' }>,
    guard: HoldGuard,
  ): Promise<void> {
    const now = this.deps.clock.now();
    const reason = { code: 'exists', message: d.reason, hint: null };
    const text = `${file.path}: ${d.reason}`;
    const event = fileEvent(now, 'file.skipped', 'info', text, file, { key: d.key });
    this.deps.events.announce(
      (await this.deps.journal.skip(guard.hold, now, { reason, event })).event,
    );
  }

  /** The branches that end with the object in the store: already there, duplicate, upload. */
  async #send(
    d: Sends,
    s: Sending,
    relPath: string,
    guard: HoldGuard,
    attempt: Attempt,
  ): Promise<void> {
    const { clock } = this.deps;
    const f = { file: s.file, job: s.job, relPath };
    switch (d.kind) {
      case 'already-uploaded':
        await finishDone(this.#finish, f, guard, alreadyDone(s, d.upload, clock.now()));
        return;
      case 'duplicate-skip': {
        const where = objectUrl(s.job, d.duplicate.key);
        const checksum = s.plan.checksum ?? '';
        const text = `${s.file.path}: same content as ${where}`;
        const event = fileEvent(clock.now(), 'file.skipped', 'info', text, s.file, {
          key: d.duplicate.key,
          data: { job: s.job.name, checksum },
        });
        const message = `same content as ${where} (${checksum})`;
        await finishDuplicate(this.#finish, f, guard, { message, event });
        return;
      }
      case 'duplicate-copy': {
        attempt.upload = { startedAt: clock.now(), key: s.plan.key };
        const copied = await executeCopy(this.deps, s, d.duplicate, guard);
        await finishDone(this.#finish, f, guard, copyDone(s, d.duplicate, copied, clock.now()));
        return;
      }
      case 'upload': {
        attempt.upload = { startedAt: clock.now(), key: s.plan.key };
        const result = await executeUpload(this.deps, s, guard);
        await finishDone(this.#finish, f, guard, uploadDone(s, result, clock.now()));
        return;
      }
    }
  }

  /**
   * A file taken over in 'verifying' whose source is gone (from a dead agent of a fleet, or from
   * this agent's previous run): its holder had uploaded and verified the object, then stopped after
   * the after-action (delete, move) and before recording 'done'. Its history row is built from the
   * journal's verified upload at the plan's key.
   */
  async #takenOver(file: FileRecord, job: JobRuntime, guard: HoldGuard): Promise<void> {
    const { journal, clock } = this.deps;
    const { endpoint, bucket } = job.destination.target;
    const key = file.plan?.key;
    const latest =
      key === undefined ? undefined : await journal.findLatestUpload({ endpoint, bucket, key });
    const upload =
      latest?.state === 'verified' && latest.source.path === file.path ? latest : undefined;
    // A journal from before plans: the key its history row names.
    const [last] =
      upload === undefined ? await journal.listHistory({ limit: 1, sourcePath: file.path }) : [];
    const done = takenOverDone(file, job, upload, key ?? last?.key, clock.now());
    guard.check();
    const moved = await journal.complete(guard.hold, clock.now(), {
      event: done.event,
      ...(done.history === undefined ? {} : { history: done.history }),
    });
    this.deps.events.announce(moved.event);
  }

  /**
   * Moves a failed file as classifyFailure says (apply-failure.ts). Rethrows journal failures
   * (ERR_JOURNAL*: the caller waits until the journal can be written); a hold lost meanwhile ends
   * it quietly. Also for a claimed file whose job is no longer configured (ERR_JOB_REMOVED).
   */
  async fail(failed: Failed): Promise<void> {
    const action = classifyFailure(failed.err, failed.file, this.deps.random());
    if (action.kind === 'await-journal') throw failed.err;
    if (action.kind === 'none') return;
    try {
      await applyFailure(this.#finish, action, failed);
    } catch (err) {
      if (!isAppError(err, 'ERR_LEASE_LOST')) throw err;
    }
  }

  /** Gives up a claimed file whose job is no longer configured (it is cancelled). */
  async orphaned(file: FileRecord, hold: Hold): Promise<void> {
    const err = new AppError('ERR_JOB_REMOVED', `job ${file.job} is no longer configured`, {
      hint: 'none: with its job configured again, the file is queued again once it changes',
    });
    await this.fail({ file, job: undefined, hold, err });
  }
}
