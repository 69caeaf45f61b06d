/**
 * The step that writes to the store: the upload of a planned file through its destination's
 * transfer service, or the server-side copy of a duplicate to the plan's key. Both check the hold
 * right before the request that publishes the object (hold-guard.ts): the transfer service calls
 * it before PutObject and CompleteMultipartUpload, the copy before CopyObject. The upload's
 * journal writes go through the held ledger (they refuse once the hold lapsed); a single-part
 * upload is recorded by the caller with the file's final transition (UploadResult.record).
 */
import { AppError } from '../errors/app-error.js';
import { REASON_CODES, type FilePlan } from '../domain/file-state.js';
import { objectLockAt } from '../domain/retention.js';
import {
  heldLedger,
  type FileRecord,
  type HistoryRecord,
  type JournalStore,
} from '../journal/journal-store.js';
import type { FileStat } from '../transfer/file-system.js';
import { writtenFromSource } from '../transfer/ownership.js';
import type { UploadResult } from '../transfer/transfer-types.js';
import type { HoldGuard } from './hold-guard.js';
import type { JobRuntime } from './job-runtime.js';
import type { TransferTracker } from './transfer-tracker.js';

/** What the execute step uses. */
export interface ExecuteDeps {
  readonly journal: JournalStore;
  /** Where running uploads report their progress (the API's live transfers). */
  readonly transfers?: TransferTracker;
}

/** The file to send, as planned. */
export interface Sending {
  readonly file: FileRecord;
  readonly job: JobRuntime;
  /** The processor's stat of the file (the service starts from it: one stat per file). */
  readonly st: FileStat;
  readonly plan: FilePlan;
  /** Hex sha256 of the content, when known: kept in the object's metadata. */
  readonly sha256: string | undefined;
}

/**
 * Uploads and verifies the file to its plan's key, under overwrite `never` with a conditional PUT.
 * Rejects as the transfer service does (transfer-types.ts); ERR_LEASE_LOST once the hold lapsed.
 */
export async function executeUpload(
  deps: ExecuteDeps,
  s: Sending,
  guard: HoldGuard,
): Promise<UploadResult> {
  const { file, job, plan } = s;
  const live = deps.transfers?.begin({
    fileId: file.id,
    job: job.name,
    path: file.path,
    key: plan.key,
    size: s.st.size,
  });
  try {
    return await job.destination.transfer.upload(
      {
        path: file.path,
        key: plan.key,
        ifNoneMatch: job.config.overwrite === 'never',
        plan: { mode: plan.mode, partSize: plan.partSize },
        stat: s.st,
        ...(s.sha256 === undefined ? {} : { metadata: { 's3ferry-sha256': s.sha256 } }),
        // every write of the upload's ledger applies only while this agent holds the file
        ledger: heldLedger(deps.journal, guard.hold),
        beforePublish: () => {
          guard.check();
        },
        recordedByCaller: true,
        // Taken over from a holder that stopped: it may have sent this version already.
        lookFirst: file.reason?.code === REASON_CODES.holdExpired,
        resume: job.config.resume,
        // the job's retention and legal hold (its own, else its destination's), or none
        objectLock: job.objectLock ?? { legalHold: false },
        ...(job.config.retryTimeout === undefined ? {} : { retryTimeout: job.config.retryTimeout }),
        job: job.name,
        observer: {
          onProgress: (p) => live?.progress(p.bytes),
          onEvent: (e) => {
            if (e.type === 'upload.restarted') live?.restart();
          },
        },
      },
      guard.signal,
    );
  } finally {
    live?.end();
  }
}

/** A server-side copy that took place. */
export interface Copied {
  readonly etag: string | null;
  /** The version the copy created, where the bucket keeps versions; else null. */
  readonly versionId: string | null;
  readonly startedAt: number;
  readonly finishedAt: number;
}

/**
 * Copies the earlier upload of the same content (`dup`) server-side to the plan's key. CopyObject
 * is not conditional: under overwrite `never` the key is looked at first, and a key holding
 * another writer's object is refused (ERR_S3_PRECONDITION_FAILED: the file is skipped).
 */
export async function executeCopy(
  deps: ExecuteDeps & { readonly clock: { now(): number } },
  s: Sending,
  dup: HistoryRecord,
  guard: HoldGuard,
): Promise<Copied> {
  const { target } = s.job.destination;
  const key = s.plan.key;
  if (s.job.config.overwrite === 'never') {
    const head = await target.headObject(key, guard.signal);
    if (head !== undefined && !(await writtenFromSource(head, deps.journal, s.file.path, s.st)))
      throw new AppError(
        'ERR_S3_PRECONDITION_FAILED',
        `s3://${target.bucket}/${key} exists and the overwrite policy is never`,
        { hint: 'choose another key or overwrite policy' },
      );
  }
  const startedAt = deps.clock.now();
  guard.check();
  const lock = objectLockAt(s.job.objectLock, startedAt);
  const { etag, versionId } = await target.copyObject(dup.key, key, guard.signal, lock);
  const finishedAt = deps.clock.now();
  return { etag: etag || null, versionId: versionId ?? null, startedAt, finishedAt };
}
