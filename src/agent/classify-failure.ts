/**
 * What becomes of a file whose processing failed: one pure table from the error to the file's
 * transition (docs/pipeline.md lists it). No I/O, no clock: the caller gives the file's id and
 * attempts and a jitter in [0, 1), and applies the answer.
 *
 * | error                                   | action                                              |
 * |-----------------------------------------|-----------------------------------------------------|
 * | ERR_JOURNAL*                            | await-journal: the caller waits for the journal, then gives the file back |
 * | ERR_LEASE_LOST                          | none: another agent holds the file                  |
 * | kind cancelled (ERR_CANCELLED)          | release: queued again (the agent stops, a reload)   |
 * | ERR_FILE_CHANGED                        | resettle: it settles again, then is queued          |
 * | ERR_S3_PRECONDITION_FAILED              | skip (exists): the key holds another writer's object |
 * | ERR_JOB_REMOVED                         | cancel (job-removed): nothing to do any more        |
 * | kind permanent                          | park, with the hint naming `s3ferry retry ID`       |
 * | ERR_S3_ENDPOINT_UNREACHABLE, fatal S3   | defer now, and the destination is marked unhealthy  |
 * | other fatal (a bug, local config)       | park: it needs a person                             |
 * | kind transient                          | defer by backoff(attempts + 1), 5 s doubling to 5 min |
 */
import { backoffDelay } from '../domain/backoff.js';
import { REASON_CODES, type FileReason } from '../domain/file-state.js';
import type { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';

/** The backoff of a file waiting for another try after a transient error. */
export const FILE_BACKOFF = { baseMs: 5_000, capMs: 300_000 } as const;

/** What to do with a failed file. */
export type FailureAction =
  | { readonly kind: 'await-journal' }
  | { readonly kind: 'none' }
  | { readonly kind: 'release'; readonly reason: FileReason }
  | { readonly kind: 'resettle'; readonly reason: FileReason }
  | { readonly kind: 'skip'; readonly reason: FileReason }
  | { readonly kind: 'cancel'; readonly reason: FileReason }
  | { readonly kind: 'park'; readonly reason: FileReason }
  | {
      readonly kind: 'defer';
      readonly reason: FileReason;
      readonly delayMs: number;
      /** The destination is marked unhealthy (its files wait for its probe). */
      readonly unhealthy: boolean;
    };

/** The failed file, as the table sees it. */
export interface FailedFile {
  readonly id: number;
  /** Attempts counted so far (the journal's). */
  readonly attempts: number;
}

/** The error as a file's reason. */
function reasonOf(err: AppError): FileReason {
  return { code: err.code, message: err.message, hint: err.hint ?? null };
}

/**
 * The fix of a parked file: the error's own, then how to release it. A fix that changes the file
 * (its content, or its mode or owner: its ctime) queues it again at the next rescan by itself.
 */
export function parkedHint(hint: string | undefined, fileId: number): string {
  const retry = `then \`s3ferry retry ${fileId}\` releases it (a rescan finds a changed file by itself)`;
  return hint === undefined || hint === '' ? `fix the file, ${retry}` : `${hint}; ${retry}`;
}

/** The rows decided by the error's code alone (after the journal's, the lease's, cancelled). */
const BY_CODE: Partial<Record<ErrorCode, (reason: FileReason) => FailureAction>> = {
  ERR_FILE_CHANGED: (reason) => ({ kind: 'resettle', reason }),
  ERR_S3_PRECONDITION_FAILED: (reason) => ({
    kind: 'skip',
    reason: { ...reason, code: REASON_CODES.exists, hint: null },
  }),
  ERR_JOB_REMOVED: (reason) => ({
    kind: 'cancel',
    reason: { ...reason, code: REASON_CODES.jobRemoved, hint: null },
  }),
  ERR_S3_ENDPOINT_UNREACHABLE: (reason) => ({ kind: 'defer', reason, delayMs: 0, unhealthy: true }),
};

/** The table of the module comment. `jitter` is uniform in [0, 1). */
export function classifyFailure(err: AppError, file: FailedFile, jitter: number): FailureAction {
  if (err.code.startsWith('ERR_JOURNAL')) return { kind: 'await-journal' };
  if (err.code === 'ERR_LEASE_LOST') return { kind: 'none' };
  const reason = reasonOf(err);
  if (err.kind === 'cancelled') return { kind: 'release', reason };
  const special = BY_CODE[err.code];
  if (special !== undefined) return special(reason);
  const parked = {
    kind: 'park',
    reason: { ...reason, hint: parkedHint(err.hint, file.id) },
  } as const;
  switch (err.kind) {
    case 'permanent':
      return parked;
    case 'fatal':
      // A destination's configuration (keys, bucket, region, TLS): its files wait for its probe.
      // Anything else fatal here is a bug or the local setup: it needs a person.
      return err.code.startsWith('ERR_S3_')
        ? { kind: 'defer', reason, delayMs: 0, unhealthy: true }
        : parked;
    case 'transient':
      return {
        kind: 'defer',
        reason,
        delayMs: backoffDelay(file.attempts + 1, jitter, FILE_BACKOFF),
        unhealthy: false,
      };
  }
}
