/**
 * Retrying one request. Whether to retry is decided by the error's kind alone (classified in
 * object-store/); how long to wait by the pure backoff function. A connection refused mid-transfer is
 * an outage, not a configuration error, so it is retried too. Cancellation never is.
 */
import { backoffDelay, type BackoffPolicy } from '../domain/backoff.js';
import { AppError, toAppError } from '../errors/app-error.js';
import type { Clock } from '../platform/clock.js';

export interface RetryPolicy {
  readonly backoff: BackoffPolicy;
  /**
   * Give up once transient failures have lasted this long without a success, ms.
   * Infinity retries forever (the agent's default).
   */
  readonly maxElapsedMs: number;
  /**
   * Retry a refused connection (an outage met mid-transfer). Off for a first contact, where it
   * means a wrong endpoint and deserves an immediate answer.
   */
  readonly retryUnreachable?: boolean;
}

export interface RetryDeps {
  readonly clock: Clock;
  readonly random: () => number;
  /** Told before each wait. */
  readonly onRetry?: (info: {
    operation: string;
    attempt: number;
    delayMs: number;
    error: AppError;
  }) => void;
}

/** True for errors that a later attempt may not meet. */
export function isRetryable(err: AppError, retryUnreachable = true): boolean {
  return (
    err.kind === 'transient' || (retryUnreachable && err.code === 'ERR_S3_ENDPOINT_UNREACHABLE')
  );
}

/** Runs `fn` until it succeeds, a non-retryable error occurs, or the budget runs out. */
export async function withRetry<T>(
  operation: string,
  fn: () => Promise<T>,
  policy: RetryPolicy,
  deps: RetryDeps,
  signal?: AbortSignal,
): Promise<T> {
  let firstFailure: number | undefined;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn();
    } catch (raw) {
      const err = toAppError(raw);
      if (signal?.aborted === true)
        throw new AppError('ERR_CANCELLED', `${operation} cancelled`, { cause: err });
      if (!isRetryable(err, policy.retryUnreachable ?? true)) throw err;
      const now = deps.clock.now();
      firstFailure ??= now;
      if (now - firstFailure >= policy.maxElapsedMs) {
        throw new AppError(
          err.code,
          `${err.message} (still failing after ${Math.round((now - firstFailure) / 1000)} s of retries)`,
          {
            ...(err.hint === undefined ? {} : { hint: err.hint }),
            cause: err,
            details: err.details,
          },
        );
      }
      const delayMs = backoffDelay(
        attempt,
        deps.random(),
        policy.backoff,
        err.code === 'ERR_S3_THROTTLED',
      );
      deps.onRetry?.({ operation, attempt, delayMs, error: err });
      try {
        await deps.clock.sleep(delayMs, signal);
      } catch (sleepErr) {
        throw new AppError('ERR_CANCELLED', `${operation} cancelled`, { cause: sleepErr });
      }
    }
  }
}
