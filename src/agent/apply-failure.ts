/**
 * Applies what classifyFailure (classify-failure.ts) decided for a failed file: the transition,
 * with its event (file.skipped, file.cancelled, file.parked, file.waiting) and, for a file parked
 * after its upload began, the upload's failed history row. A destination-level error marks the
 * destination unhealthy first (its files wait for its probe).
 */
import type { Hold } from '../domain/file-state.js';
import type { AppError } from '../errors/app-error.js';
import type { EventRecord, FileQueue, FileRecord } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { FailureAction } from './classify-failure.js';
import { failedRow, fileEvent } from './file-outcome.js';
import type { JobRuntime } from './job-runtime.js';

/** What applying a failure uses. */
export interface FailureDeps {
  readonly journal: Pick<FileQueue, 'release' | 'resettle' | 'skip' | 'cancel' | 'park' | 'defer'>;
  readonly clock: Clock;
  readonly announce: (event: EventRecord | undefined) => void;
}

/** The failed file and what had begun for it. */
export interface Failed {
  readonly file: FileRecord;
  /** Undefined for a claimed file whose job is no longer configured. */
  readonly job: JobRuntime | undefined;
  readonly hold: Hold;
  readonly err: AppError;
  /** When its upload began and to which key, if it did. */
  readonly upload?: { readonly startedAt: number; readonly key: string };
}

/** The actions that move the file. */
export type MovingAction = Exclude<FailureAction, { kind: 'await-journal' | 'none' }>;

/** `PATH: message`, unless the message already starts with the path. */
function about(path: string, message: string): string {
  return message.startsWith(path) ? message : `${path}: ${message}`;
}

/** Moves the file as `action` says. Rejects as the journal's transitions do. */
export async function applyFailure(
  deps: FailureDeps,
  action: MovingAction,
  f: Failed,
): Promise<void> {
  const { journal, clock } = deps;
  const { file, hold, err } = f;
  const now = clock.now();
  const { reason } = action;
  const data = { job: f.job?.name ?? file.job, code: err.code };
  const event = (type: string, level: 'info' | 'warn' | 'error', message: string, extra = {}) =>
    fileEvent(now, type, level, message, file, {
      key: f.upload?.key,
      data: { ...data, ...extra },
    });
  switch (action.kind) {
    case 'release':
      await journal.release(hold, now, { reason });
      return;
    case 'resettle':
      await journal.resettle(hold, now, { reason });
      return;
    case 'skip': {
      const skipped = event('file.skipped', 'info', about(file.path, err.message));
      deps.announce((await journal.skip(hold, now, { reason, event: skipped })).event);
      return;
    }
    case 'cancel': {
      const cancelled = event('file.cancelled', 'warn', about(file.path, err.message));
      deps.announce((await journal.cancel(hold, now, { reason, event: cancelled })).event);
      return;
    }
    case 'park': {
      const parked = event('file.parked', 'error', about(file.path, err.message), {
        hint: reason.hint,
      });
      const { job, upload } = f;
      const history =
        job === undefined || upload === undefined
          ? {}
          : { history: failedRow(job, file, upload.key, err, upload.startedAt, now) };
      deps.announce((await journal.park(hold, now, { reason, event: parked, ...history })).event);
      return;
    }
    case 'defer': {
      if (action.unhealthy) await f.job?.destination.markUnhealthy(err);
      const waiting = event('file.waiting', 'warn', `${file.path} waits: ${err.message}`, {
        retryInMs: action.delayMs,
      });
      const input = { reason, notBefore: now + action.delayMs, event: waiting };
      deps.announce((await journal.defer(hold, now, input)).event);
      return;
    }
  }
}
