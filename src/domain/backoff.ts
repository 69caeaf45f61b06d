/**
 * Retry delay as a pure function of the attempt number: exponential backoff with full jitter
 * ("Exponential Backoff And Jitter", AWS Architecture Blog), capped. Throttling answers start
 * from a longer base. Tested without timers.
 */

export interface BackoffPolicy {
  /** First delay's upper bound, ms. */
  readonly baseMs: number;
  /** Largest delay, ms. */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, capMs: 30_000 };

/**
 * Delay before retry number `attempt` (1 = first retry). `random` is a number in [0, 1).
 * Returns at least baseMs/4 so a storm of retries never spins.
 */
export function backoffDelay(
  attempt: number,
  random: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  throttled = false,
): number {
  const base = throttled ? policy.baseMs * 4 : policy.baseMs;
  const exp = Math.min(policy.capMs, base * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  const floor = Math.min(exp, base / 4);
  return Math.round(floor + random * (exp - floor));
}
