/**
 * Where agent events go: the journal (last N kept), the JSON log, live listeners (the API's SSE
 * stream), and optionally a webhook (webhook-sender.ts: POSTed in order, retried with backoff,
 * never blocking uploads, never following a redirect).
 */
import type { EventLevel, EventRecord, JournalStore, NewEvent } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { WebhookSender, type WebhookSettings, type WebhookStats } from './webhook-sender.js';

export type { WebhookSettings, WebhookStats } from './webhook-sender.js';

export type EventListener = (event: NewEvent & { id: number }) => void;

export class EventSink {
  readonly #listeners = new Set<EventListener>();
  readonly #webhook: WebhookSender | undefined;

  constructor(
    private readonly deps: {
      journal: JournalStore;
      logger: Logger;
      clock: Clock;
      webhook?: WebhookSettings;
      fetch?: typeof fetch;
    },
  ) {
    const { webhook } = deps;
    this.#webhook =
      webhook === undefined
        ? undefined
        : new WebhookSender({
            settings: webhook,
            logger: deps.logger,
            clock: deps.clock,
            ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
          });
  }

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
    // The webhook gets the event as it was built: the journal's id is not part of it.
    this.#webhook?.send(withoutId(stored));
  }

  /** Live events; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** What the webhook delivered, failed and dropped; undefined without a webhook. */
  webhookStats(): WebhookStats | undefined {
    return this.#webhook?.stats();
  }

  /** Stops webhook retries and waits for the one in flight. */
  async close(): Promise<void> {
    await this.#webhook?.close();
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
