/**
 * Delivers events to the configured webhook: POSTed as JSON, in order, one at a time, retried with
 * backoff after network errors, 5xx and 429, never blocking uploads (a bounded queue; beyond it the
 * oldest events are dropped and counted).
 *
 * Redirects are not followed: a redirect would carry the configured headers (often an
 * Authorization) to whatever address the receiver names, so a 3xx is a refusal, reported with the
 * fix (configure the final URL). Every failed attempt is counted and the last one kept for
 * `status` and /metrics ({@link WebhookStats}); the log gets at most one line per
 * {@link WEBHOOK_LOG_INTERVAL_MS}, with the count of the failures it summarises, so that a dead
 * receiver cannot flood it. No message carries a header value or the URL's password.
 */
import { backoffDelay } from '../domain/backoff.js';
import { redactUrl } from '../domain/redact-url.js';
import type { NewEvent } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';

/** Where events go and with which extra headers (their values are secret). */
export interface WebhookSettings {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Events waiting for the webhook beyond this are dropped (counted), oldest first. */
export const WEBHOOK_QUEUE_LIMIT = 10_000;
/** At most one log line about failed deliveries per this many ms. */
export const WEBHOOK_LOG_INTERVAL_MS = 60_000;
/** One attempt gives up after this many ms. */
const ATTEMPT_TIMEOUT_MS = 10_000;

/** Why an attempt failed, as counted in /metrics. */
export type WebhookFailure = 'network' | 'timeout' | 'server' | 'refused' | 'redirect';
/** Why an event was given up. */
export type WebhookDrop = 'overflow' | 'refused';

/** What the webhook did since the agent started. */
export interface WebhookStats {
  /** The URL, its password hidden. */
  readonly url: string;
  readonly delivered: number;
  /** Failed attempts, by reason (an event retried five times counts five). */
  readonly failures: Readonly<Record<WebhookFailure, number>>;
  /** Events given up, by reason. */
  readonly dropped: Readonly<Record<WebhookDrop, number>>;
  /** Events waiting now. */
  readonly pending: number;
  /** The latest failure: when (ms since the epoch) and why. */
  readonly lastError?: { readonly at: number; readonly message: string };
}

/** One failed attempt: counted under `reason`; `final` drops the event instead of retrying it. */
interface Attempt {
  readonly reason: WebhookFailure;
  readonly message: string;
  readonly final: boolean;
}

/** What {@link WebhookSender} uses. */
export interface WebhookSenderDeps {
  readonly settings: WebhookSettings;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly fetch?: typeof fetch;
  readonly random?: () => number;
}

/** See the module comment. */
export class WebhookSender {
  readonly #queue: NewEvent[] = [];
  readonly #closing = new AbortController();
  #busy: Promise<void> | undefined;
  #delivered = 0;
  readonly #failures: Record<WebhookFailure, number> = {
    network: 0,
    timeout: 0,
    server: 0,
    refused: 0,
    redirect: 0,
  };
  readonly #dropped: Record<WebhookDrop, number> = { overflow: 0, refused: 0 };
  #lastError: { at: number; message: string } | undefined;
  #lastLogAt = -Infinity;
  #unlogged = 0;

  constructor(private readonly deps: WebhookSenderDeps) {}

  /** Queues `event` and starts delivering when idle. */
  send(event: NewEvent): void {
    this.#queue.push(event);
    if (this.#queue.length > WEBHOOK_QUEUE_LIMIT) {
      this.#queue.shift();
      this.#dropped.overflow += 1;
    }
    this.#start();
  }

  /** What was delivered, failed and dropped so far. */
  stats(): WebhookStats {
    return {
      url: redactUrl(this.deps.settings.url),
      delivered: this.#delivered,
      failures: { ...this.#failures },
      dropped: { ...this.#dropped },
      pending: this.#queue.length,
      ...(this.#lastError === undefined ? {} : { lastError: { ...this.#lastError } }),
    };
  }

  /** Stops retries and waits for the attempt in flight. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#busy;
  }

  #start(): void {
    this.#busy ??= this.#drain().finally(() => {
      this.#busy = undefined;
      // An event queued between the drain's last look at the queue and this callback saw it
      // busy and started nothing: drain again, or it waits for the next event.
      if (this.#queue.length > 0 && !this.#isClosing()) this.#start();
    });
  }

  /** A method, not a field read: the signal changes while a delivery is awaited. */
  #isClosing(): boolean {
    return this.#closing.signal.aborted;
  }

  async #drain(): Promise<void> {
    for (
      let event = this.#queue[0];
      event !== undefined && !this.#isClosing();
      event = this.#queue[0]
    ) {
      for (let attempt = 1; !this.#isClosing(); attempt += 1) {
        const failed = await this.#post(event);
        if (failed === undefined) {
          this.#delivered += 1;
          break;
        }
        if (this.#isClosing()) break;
        this.#fail(failed);
        if (failed.final) {
          this.#dropped.refused += 1;
          break;
        }
        const random = this.deps.random ?? Math.random;
        await this.deps.clock
          .sleep(backoffDelay(attempt, random()), this.#closing.signal)
          .catch(() => undefined);
      }
      this.#queue.shift();
    }
  }

  /** One POST of `event`: undefined when delivered, else why not. */
  async #post(event: NewEvent): Promise<Attempt | undefined> {
    const { url, headers } = this.deps.settings;
    let res: Response;
    try {
      res = await (this.deps.fetch ?? fetch)(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ ...event, at: new Date(event.at).toISOString() }),
        redirect: 'manual',
        signal: AbortSignal.any([this.#closing.signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
      });
    } catch (err) {
      const timeout = (err as { name?: unknown }).name === 'TimeoutError';
      return {
        reason: timeout ? 'timeout' : 'network',
        message: timeout
          ? `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s`
          : `cannot reach it (${networkCause(err)})`,
        final: false,
      };
    }
    await res.body?.cancel().catch(() => undefined);
    return answerFailure(res.status);
  }

  /** Counts a failed attempt and logs it, at most once per interval. */
  #fail(failed: Attempt): void {
    const now = this.deps.clock.now();
    this.#failures[failed.reason] += 1;
    this.#lastError = { at: now, message: failed.message };
    this.#unlogged += 1;
    if (now - this.#lastLogAt < WEBHOOK_LOG_INTERVAL_MS) return;
    const url = redactUrl(this.deps.settings.url);
    const more = this.#unlogged - 1;
    this.deps.logger.warn(
      { webhook: url, reason: failed.reason, failuresSinceLastMessage: this.#unlogged },
      `webhook ${url}: ${failed.message}${failed.final ? '; the event is dropped' : '; retrying'}` +
        (more > 0 ? ` (and ${more} earlier failure(s) since the last message)` : ''),
    );
    this.#lastLogAt = now;
    this.#unlogged = 0;
  }
}

/** How an answer of `status` failed, or undefined for a delivery (2xx). */
function answerFailure(status: number): Attempt | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status >= 300 && status < 400)
    return {
      reason: 'redirect',
      message: `it answered ${status}, a redirect, which s3ferry does not follow (it would carry the webhook's headers to another address): configure the final URL in events.webhook.url`,
      final: true,
    };
  if (status >= 400 && status < 500 && status !== 408 && status !== 429)
    return {
      reason: 'refused',
      message: `it refused the event with ${status}: check events.webhook.url and its headers`,
      final: true,
    };
  return { reason: 'server', message: `it answered ${status}`, final: false };
}

/** The system error code of a fetch failure (ECONNREFUSED, ENOTFOUND, …), never a URL. */
function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : 'network error';
}
