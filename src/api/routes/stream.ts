/**
 * Route: /api/v1/stream, server-sent events for live progress. Every journal event goes out as
 * `event: event` (the EventRecord as data); while anything uploads, `event: transfers` (the
 * /transfers answer) every second, and once more, empty, when the last upload ends; a comment
 * every 15 s keeps idle connections (and proxies) open. A client that goes away, or stops reading
 * while more than a megabyte waits for it, is dropped and its listener removed.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../api-deps.js';
import { STREAM_PATH } from '../auth.js';
import { errorResponses } from '../schemas/common.js';
import { streamQuery } from '../schemas/requests.js';

/** Unread bytes a client may let pile up before it is dropped. */
const MAX_BUFFERED = 1024 * 1024;

/** One connected client. */
class StreamClient {
  readonly #stop = new AbortController();
  readonly #unsubscribe: () => void;

  constructor(
    private readonly raw: ServerResponse,
    private readonly deps: ApiDeps,
    private readonly onClosed: (c: StreamClient) => void,
  ) {
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write('retry: 3000\n\n');
    this.#unsubscribe = deps.events.subscribe((event) => {
      this.send('event', event);
    });
    raw.on('close', () => {
      this.close();
    });
    raw.on('error', () => {
      this.close();
    });
    void this.#every(deps.stream?.heartbeatMs ?? 15_000, () => {
      this.#write(': heartbeat\n\n');
    });
    let busy = false;
    void this.#every(deps.stream?.tickMs ?? 1000, () => {
      const was = busy;
      busy = deps.transfers.size > 0;
      if (busy || was) this.send('transfers', { items: deps.transfers.list() });
    });
  }

  /** Sends one event with JSON data. */
  send(event: string, data: unknown): void {
    this.#write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  #write(text: string): void {
    if (this.#stop.signal.aborted) return;
    this.raw.write(text);
    if (this.raw.writableLength > MAX_BUFFERED) this.close();
  }

  async #every(ms: number, fn: () => void): Promise<void> {
    while (!this.#stop.signal.aborted) {
      try {
        await this.deps.clock.sleep(ms, this.#stop.signal);
      } catch {
        return; // closed
      }
      fn();
    }
  }

  /** Ends the stream and removes its listener. Idempotent. */
  close(): void {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    this.#unsubscribe();
    this.raw.end();
    this.onClosed(this);
  }
}

/** The live stream route; open streams are ended when the server closes. */
export function streamRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return (app) => {
    const clients = new Set<StreamClient>();
    app.addHook('preClose', (done) => {
      for (const c of clients) c.close();
      done();
    });
    app.get(
      STREAM_PATH,
      {
        schema: {
          summary:
            'server-sent events: `event` for every journal event, `transfers` every second while something uploads',
          querystring: streamQuery,
          response: errorResponses,
        },
      },
      (_req, reply) => {
        reply.hijack();
        const client = new StreamClient(reply.raw, deps, (c) => clients.delete(c));
        clients.add(client);
      },
    );
    return Promise.resolve();
  };
}
