/**
 * Where agent events go: the journal (last N kept), the JSON log, live listeners (the API's SSE
 * stream), and optionally a webhook (POSTed in order, retried with backoff, never blocking uploads).
 */
import { backoffDelay } from '../domain/backoff.js';
import type { EventLevel, EventRecord, JournalStore, NewEvent } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';

export type EventListener = (event: NewEvent & { id: number }) => void;

export interface WebhookSettings {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Events waiting for the webhook beyond this are dropped (counted), oldest first. */
const WEBHOOK_QUEUE_LIMIT = 10_000;

export class EventSink {
  readonly #listeners = new Set<EventListener>();
  readonly #webhookQueue: NewEvent[] = [];
  #webhookBusy: Promise<void> | undefined;
  #webhookDropped = 0;
  readonly #closing = new AbortController();

  constructor(
    private readonly deps: {
      journal: JournalStore;
      logger: Logger;
      clock: Clock;
      webhook?: WebhookSettings;
      fetch?: typeof fetch;
    },
  ) {}

  /** Records and publishes one event. */
  async emit(
    type: string,
    level: EventLevel,
    message: string,
    about: { path?: string; key?: string; data?: Record<string, unknown> } = {},
  ): Promise<void> {
    const event: NewEvent = { at: this.deps.clock.now(), type, level, message, ...about };
    await this.publish(event);
  }

  /** Records and publishes an event built elsewhere (e.g. by the transfer engine). */
  async publish(event: NewEvent): Promise<void> {
    this.#log(event);
    this.#deliver(await this.deps.journal.appendEvent(event));
  }

  /**
   * Publishes an event the journal already recorded, in the same transaction as the file
   * transition it describes: logged, streamed and POSTed, never written a second time.
   */
  announce(stored: EventRecord | undefined): void {
    if (stored === undefined) return;
    this.#log(stored);
    this.#deliver(stored);
  }

  #log(event: NewEvent): void {
    this.deps.logger[level(event.level)](
      { event: event.type, path: event.path, key: event.key, ...event.data },
      event.message,
    );
  }

  #deliver(stored: EventRecord): void {
    for (const listener of this.#listeners) listener(stored);
    if (this.deps.webhook === undefined) return;
    // The webhook gets the event as it was built: the journal's id is not part of it.
    this.#enqueueWebhook(withoutId(stored));
  }

  /** Live events; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get webhookDropped(): number {
    return this.#webhookDropped;
  }

  /** Stops webhook retries and waits for the one in flight. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#webhookBusy;
  }

  #isClosing(): boolean {
    return this.#closing.signal.aborted;
  }

  #enqueueWebhook(event: NewEvent): void {
    this.#webhookQueue.push(event);
    if (this.#webhookQueue.length > WEBHOOK_QUEUE_LIMIT) {
      this.#webhookQueue.shift();
      this.#webhookDropped += 1;
    }
    this.#startWebhook();
  }

  #startWebhook(): void {
    this.#webhookBusy ??= this.#drainWebhook().finally(() => {
      this.#webhookBusy = undefined;
      // An event enqueued between the drain's last look at the queue and this callback saw it
      // busy and started nothing: drain again, or it waits for the next event.
      if (this.#webhookQueue.length > 0 && !this.#isClosing()) this.#startWebhook();
    });
  }

  async #drainWebhook(): Promise<void> {
    const hook = this.deps.webhook;
    const doFetch = this.deps.fetch ?? fetch;
    if (hook === undefined) return;
    for (
      let event = this.#webhookQueue[0];
      event !== undefined && !this.#closing.signal.aborted;
      event = this.#webhookQueue[0]
    ) {
      for (let attempt = 1; !this.#isClosing(); attempt += 1) {
        try {
          const res = await doFetch(hook.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...hook.headers },
            body: JSON.stringify({ ...event, at: new Date(event.at).toISOString() }),
            signal: AbortSignal.any([this.#closing.signal, AbortSignal.timeout(10_000)]),
          });
          if (res.ok || (res.status >= 400 && res.status < 500 && res.status !== 429)) break; // delivered, or refused for good
        } catch {
          // network error: retry below
        }
        await this.deps.clock
          .sleep(backoffDelay(attempt, Math.random()), this.#closing.signal)
          .catch(() => undefined);
      }
      this.#webhookQueue.shift();
    }
  }
}

function level(l: EventLevel): 'info' | 'warn' | 'error' {
  return l;
}

/** An event as it was built, without the journal's id. */
function withoutId(stored: EventRecord): NewEvent {
  const event: { -readonly [K in keyof EventRecord]?: EventRecord[K] } = { ...stored };
  delete event.id;
  return event as NewEvent;
}
