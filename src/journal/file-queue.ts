/**
 * The agent's port of the journal: the durable queue of files and their named, hold-guarded
 * transitions (the table is domain/file-state.ts). A transition that needs the hold applies only
 * while the caller's owner holds the file and the file is in one of the transition's from-states,
 * in one statement or one transaction:
 * - the owner no longer holds it (its lease lapsed and another agent claimed it, or the hold was
 *   released): rejects with ERR_LEASE_LOST, nothing changed;
 * - the owner holds it but its state does not allow the move: ERR_ILLEGAL_TRANSITION (a bug);
 * - no such file: ERR_JOURNAL (not found).
 * A transition may carry its event (and the final ones their history row), recorded in the same
 * transaction and handed back, so the caller publishes it (log, live stream, webhook) without a
 * second write.
 */
import type {
  FilePlan,
  FileReason,
  FileState,
  Hold,
  HeldTransitionName,
} from '../domain/file-state.js';
import type { EventRecord, HistoryEntry, HistoryRecord, NewEvent } from './event-log.js';
import type { VerifiedUpload } from './upload-ledger.js';

/** A file the agent knows about. */
export interface FileRecord {
  readonly id: number;
  readonly job: string;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly inode: number;
  /** Status-change time when last queued, ms since the epoch; null when not known. */
  readonly ctimeMs: number | null;
  readonly state: FileState;
  /** Why it waits, is parked, skipped, cancelled or settling again; null when nothing to say. */
  readonly reason: FileReason | null;
  /** Earliest time it may be claimed again (waiting), ms since the epoch. */
  readonly notBefore: number | null;
  readonly attempts: number;
  readonly updatedAt: number;
  /** The agent holding the file while it is 'uploading' or 'verifying', else null. */
  readonly owner: string | null;
  /**
   * Until when the owner's claim holds (ms since the epoch), renewed by its heartbeat. Once past,
   * another agent may claim the file and resume its upload. Null when the file is not held.
   */
  readonly leaseUntil: number | null;
  /** The plan of this version of the file, once decided ({@link FileQueue.savePlan}). */
  readonly plan: FilePlan | null;
}

/** What a source reports for a finished file. */
export interface FileToQueue {
  readonly job: string;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly inode: number;
  /** Status-change time, ms since the epoch: a parked file whose ctime changed is queued again. */
  readonly ctimeMs?: number;
  /**
   * The plan of this version, when it could be decided at once (agent/file-plan.ts): kept with the
   * entry when it enters 'queued' and holds no plan of this version yet (the first plan wins).
   */
  readonly plan?: FilePlan;
}

/** Who claims a file, and for how long before the claim must be renewed by a heartbeat. */
export interface ClaimOptions {
  readonly owner: string;
  readonly leaseMs: number;
}

/** What {@link FileQueue.enqueue} did. */
export interface Enqueued {
  /** The entry as it stands now. */
  readonly file: FileRecord;
  /** True when the file entered 'queued' now (new, changed, settled, or fixed while parked). */
  readonly queued: boolean;
  /** The event recorded with the move (only when it was queued and an event was given). */
  readonly event: EventRecord | undefined;
}

/** What a transition did. */
export interface Transitioned {
  readonly file: FileRecord;
  readonly event: EventRecord | undefined;
  readonly history: HistoryRecord | undefined;
}

/** The event a transition records with it. */
export interface TransitionOptions {
  readonly event?: NewEvent;
}

/** A transition that may also record the file's verified single-part upload (its ledger record). */
export interface UploadOptions extends TransitionOptions {
  /** Written in the same transaction as the move, as UploadLedger.recordUpload would. */
  readonly upload?: VerifiedUpload;
}

/** A final transition may also record its history row. */
export interface FinalOptions extends UploadOptions {
  readonly history?: HistoryEntry;
}

/** Which parked or waiting files {@link FileQueue.releaseForRetry} releases (all when empty). */
export interface RetryFilter {
  readonly fileIds?: readonly number[];
  readonly job?: string;
  /** Only files whose reason has this code ('' : files without a reason). */
  readonly code?: string;
}

/** What each held transition needs besides the hold and the time. */
export interface HeldTransitionInput {
  readonly markVerifying: UploadOptions;
  readonly complete: FinalOptions;
  readonly skip: FinalOptions & { readonly reason: FileReason };
  readonly park: FinalOptions & { readonly reason: FileReason };
  readonly defer: TransitionOptions & { readonly reason: FileReason; readonly notBefore: number };
  readonly release: TransitionOptions & { readonly reason: FileReason };
  readonly resettle: TransitionOptions & { readonly reason: FileReason };
  readonly cancel: FinalOptions & { readonly reason: FileReason };
}

/** Compile-time check: every held transition of the domain table has an input here. */
export type HeldTransitionInputs = { readonly [K in HeldTransitionName]: HeldTransitionInput[K] };

/** The queue and its transitions. Reject with an AppError (ERR_JOURNAL*) on storage failure. */
export interface FileQueue {
  /**
   * Queues a finished file: one entry per (job, path). New, settling, or of a changed identity
   * (size, mtime, inode) in any state but held: -> 'queued' (a changed one is a new version: its
   * attempts, reason and plan are cleared). Parked with a changed ctime (its permissions were
   * fixed): -> 'queued'. Otherwise, and always while held, the entry is left as it is. The event
   * is recorded only when the file was queued; so is `file.plan`, unless a plan of this version is
   * stored already.
   */
  enqueue(file: FileToQueue, now: number, event?: NewEvent): Promise<Enqueued>;
  /**
   * Takes the hold of one file -> 'uploading', held by `claim.owner` until now + `claim.leaseMs`.
   * Claimable: 'uploading' or 'verifying' whose lease expired (its holder died) first, else the
   * oldest ready of 'queued' and 'waiting' with notBefore <= now. A 'verifying' file stays
   * 'verifying'; a file taken over from an expired holder gets the reason HOLD_EXPIRED_REASON
   * (fleet.ts: its holder may have sent it already), any other claim clears the reason. Only files
   * of `jobs` when given (none when empty). Files under a pause switch
   * are never taken: the switch is read in the claiming statement itself, so a pause stops the
   * claims of every agent of the journal at once. Two concurrent claims never take the same file.
   */
  claim(
    now: number,
    claim: ClaimOptions,
    jobs?: readonly string[],
  ): Promise<FileRecord | undefined>;
  /**
   * Keeps the plan of the held file's version: the first plan wins; when one is stored already it
   * is kept and returned (retries, restarts and takeovers reuse it). Held, like a transition.
   */
  savePlan(hold: Hold, plan: FilePlan, now: number): Promise<FilePlan>;
  /** uploading -> verifying: the object is uploaded and verified. */
  markVerifying(hold: Hold, now: number, input?: UploadOptions): Promise<Transitioned>;
  /** uploading | verifying -> done ('uploading' only when no after-action is left). */
  complete(hold: Hold, now: number, input?: FinalOptions): Promise<Transitioned>;
  /** uploading | verifying -> skipped. */
  skip(hold: Hold, now: number, input: HeldTransitionInput['skip']): Promise<Transitioned>;
  /** uploading | verifying -> parked; counts an attempt. */
  park(hold: Hold, now: number, input: HeldTransitionInput['park']): Promise<Transitioned>;
  /** uploading | verifying -> waiting until `notBefore`; counts an attempt. */
  defer(hold: Hold, now: number, input: HeldTransitionInput['defer']): Promise<Transitioned>;
  /** Gives the file back: uploading -> queued; verifying stays verifying, claimable at once. */
  release(hold: Hold, now: number, input: HeldTransitionInput['release']): Promise<Transitioned>;
  /** uploading | verifying -> settling: it changed. */
  resettle(hold: Hold, now: number, input: HeldTransitionInput['resettle']): Promise<Transitioned>;
  /** uploading | verifying -> cancelled: vanished, or its job is gone. */
  cancel(hold: Hold, now: number, input: HeldTransitionInput['cancel']): Promise<Transitioned>;
  /**
   * `s3ferry retry`: parked | waiting -> queued, in one guarded statement, so a retry racing a
   * claim never puts a held file back. Resolves how many files were released.
   */
  releaseForRetry(filter: RetryFilter, now: number): Promise<number>;
}
