/**
 * The end of a file's successful processing: the after-action (keep, delete or move the source,
 * through the file-system port, only once the object is verified and only while the hold is valid),
 * then the final transition, which carries the file's history row, its event and (for a
 * single-part upload) the upload's ledger record in one journal transaction.
 *
 * With `after: keep` that is one write: uploading -> done. With delete or move, 'verifying' is
 * recorded first (with the upload's record), so that an agent taking the file over after the
 * after-action knows the object was verified before the source went (decide.ts, 1).
 */
import { join } from 'node:path';
import { AppError } from '../errors/app-error.js';
import type {
  EventRecord,
  FileQueue,
  FileRecord,
  HistoryEntry,
  NewEvent,
  VerifiedUpload,
} from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import { sameFile, type FileMoves, type FileSystem } from '../transfer/file-system.js';
import type { HoldGuard } from './hold-guard.js';
import type { JobRuntime } from './job-runtime.js';

/** What the finish step uses. */
export interface FinishDeps {
  readonly journal: Pick<FileQueue, 'markVerifying' | 'complete' | 'skip'>;
  readonly fs: FileSystem & FileMoves;
  readonly clock: Clock;
  /** Publishes an event the journal recorded with its transition (log, stream, webhook). */
  readonly announce: (event: EventRecord | undefined) => void;
}

/** A file done: where its object is and what its final transition records. */
export interface Done {
  readonly event: NewEvent;
  /** The history row of this upload or copy. */
  readonly history?: HistoryEntry;
  /** A single-part upload's ledger record, written with the transition. */
  readonly upload?: VerifiedUpload;
}

/** The file being finished. */
export interface Finishing {
  readonly file: FileRecord;
  readonly job: JobRuntime;
  /** Its path relative to its source (where a move puts it under moveTo). */
  readonly relPath: string;
}

/**
 * keep | delete | move, once the object is verified: never a file that changed since it was queued
 * (ERR_FILE_CHANGED: it is sent again once stable), nothing when the source is already gone (a
 * crash after the action), and nothing once the hold lapsed (ERR_LEASE_LOST).
 */
export async function afterAction(
  deps: Pick<FinishDeps, 'fs'>,
  f: Finishing,
  guard: HoldGuard,
): Promise<void> {
  const action = f.job.config.after;
  if (action.action === 'keep') return;
  const { path } = f.file;
  const st = await deps.fs.stat(path).catch(() => undefined);
  if (st === undefined) return;
  if (!sameFile(st, f.file))
    throw new AppError(
      'ERR_FILE_CHANGED',
      `${path} changed after its upload; it was not ${action.action === 'delete' ? 'deleted' : 'moved'}`,
      { hint: 'it is uploaded again once stable' },
    );
  guard.check();
  if (action.action === 'delete') await deps.fs.unlink(path);
  else await deps.fs.move(path, join(action.moveTo ?? '', f.relPath));
}

/**
 * Marks the file verifying (with the upload's record) when an after-action with an outside effect
 * follows, and runs it. Returns the upload record still to be written (none once recorded).
 */
async function verifyThenAct(
  deps: FinishDeps,
  f: Finishing,
  guard: HoldGuard,
  upload: VerifiedUpload | undefined,
): Promise<VerifiedUpload | undefined> {
  if (f.job.config.after.action === 'keep') return upload;
  if (f.file.state === 'uploading') {
    guard.check();
    await deps.journal.markVerifying(
      guard.hold,
      deps.clock.now(),
      upload === undefined ? {} : { upload },
    );
    upload = undefined;
  }
  await afterAction(deps, f, guard);
  return upload;
}

/** After-action, then -> done with the history row, the event and the upload's record. */
export async function finishDone(
  deps: FinishDeps,
  f: Finishing,
  guard: HoldGuard,
  done: Done,
): Promise<void> {
  const upload = await verifyThenAct(deps, f, guard, done.upload);
  guard.check();
  const moved = await deps.journal.complete(guard.hold, deps.clock.now(), {
    event: done.event,
    ...(done.history === undefined ? {} : { history: done.history }),
    ...(upload === undefined ? {} : { upload }),
  });
  deps.announce(moved.event);
}

/** The content is in the store already: after-action (the bytes are safe), then -> skipped. */
export async function finishDuplicate(
  deps: FinishDeps,
  f: Finishing,
  guard: HoldGuard,
  skipped: { readonly message: string; readonly event: NewEvent },
): Promise<void> {
  await verifyThenAct(deps, f, guard, undefined);
  guard.check();
  const moved = await deps.journal.skip(guard.hold, deps.clock.now(), {
    reason: { code: 'duplicate', message: skipped.message, hint: null },
    event: skipped.event,
  });
  deps.announce(moved.event);
}
