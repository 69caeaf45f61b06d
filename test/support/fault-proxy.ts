/**
 * A fault-injecting reverse proxy on 127.0.0.1 between an S3 client and a real S3 server
 * (DESIGN.md "Testing", STYLE.md section 10: faults come from a proxy, never from a fake store).
 * Point the client's endpoint at `proxy.url` (path-style); requests are relayed to `upstream`
 * unchanged, Host header included, so SigV4 signatures stay valid.
 *
 * Faults, chosen per request by rule (first matching rule with budget left) or at random:
 * - `reset-request`: read part of the request body, then reset the connection (RST); the server
 *   never sees the request.
 * - `reset-response`: relay the request, let the server answer (it has acted on it), then send the
 *   client part of the answer and reset: the client cannot know whether the request took effect.
 * - `truncate`: relay, then send the answer cut short (headers claim the full length) and close.
 * - `delay`: wait before relaying the request (`phase: 'request'`) or before answering
 *   (`phase: 'response'`: the server has acted on it already).
 * - `error`: answer 500 InternalError, 503 SlowDown or 429 with an S3 XML error body, without
 *   relaying (the body is read first, as S3 does).
 * - `blackhole`: read the request, never answer, keep the connection open.
 * - `etag`: relay, and answer with this ETag header instead of the server's (a store whose ETags
 *   are not MD5s of the content, or a wrong one).
 *
 * Every request is logged (operation, key, part, bytes received, status sent, fault, whether the
 * answer was delivered in full), which lets tests count what was sent and assert that each fault
 * really happened. `session` labels the log entries (the crash harness sets it per agent run).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  describeRequest,
  errorXml,
  rawAnswer,
  seededRandom,
  type Answer,
  type ErrorStatus,
  type RequestInfo,
  type S3Operation,
} from './fault-proxy-wire.js';

export { describeRequest, seededRandom, type RequestInfo, type S3Operation };

export type Fault =
  /** Reset after `afterBytes` of the request body (default: half of it). */
  | { readonly kind: 'reset-request'; readonly afterBytes?: number }
  /** Relay, then reset after `afterBytes` of the answer's body (default 0: nothing sent). */
  | { readonly kind: 'reset-response'; readonly afterBytes?: number }
  /** Relay, then send this fraction (default 0.5) of the raw answer and close. */
  | { readonly kind: 'truncate'; readonly fraction?: number }
  | { readonly kind: 'delay'; readonly ms: number; readonly phase?: 'request' | 'response' }
  | { readonly kind: 'error'; readonly status: ErrorStatus }
  | { readonly kind: 'blackhole' }
  | { readonly kind: 'etag'; readonly etag: string };

export type FaultKind = Fault['kind'];

export interface FaultRule {
  /** Which requests (all when absent). */
  readonly match?: (r: RequestInfo) => boolean;
  readonly fault: Fault;
  /** Apply to this many requests at most (default: no limit). */
  readonly times?: number;
  /** Let this many matching requests through untouched first (default 0). */
  readonly skip?: number;
  /** Chance to apply to a matching request (default 1). */
  readonly probability?: number;
}

/** Faults injected at random into matching requests. */
export interface RandomFaults {
  /** Chance that a matching request gets a fault. */
  readonly probability: number;
  /** One is picked uniformly for each faulted request. */
  readonly faults: readonly Fault[];
  readonly match?: (r: RequestInfo) => boolean;
}

/** One request as the proxy handled it. */
export interface ProxyLogEntry extends RequestInfo {
  readonly id: number;
  readonly session: number;
  readonly fault: FaultKind | undefined;
  /** Request body bytes received from the client. */
  requestBytes: number;
  /** Status sent to the client (undefined if none was). */
  status: number | undefined;
  /** Status the server answered (undefined when the request was not relayed or got no answer). */
  upstreamStatus: number | undefined;
  /** The client received the whole answer. */
  delivered: boolean;
  /** The client went away before the answer was delivered. */
  clientGone: boolean;
  readonly startedAt: number;
  endedAt: number | undefined;
}

export interface FaultProxy {
  readonly url: string;
  readonly log: readonly ProxyLogEntry[];
  /** Labels the next requests' log entries. */
  session: number;
  /** Adds a rule (checked in the order added, before random faults). */
  addRule(rule: FaultRule): void;
  clearRules(): void;
  /**
   * Relays request bodies to the server at most this fast over all connections (a slow network:
   * requests stay in flight longer); undefined for full speed.
   */
  setBandwidth(bytesPerSec: number | undefined): void;
  /** Random faults from a seeded generator; undefined turns them off. */
  setRandom(random: RandomFaults | undefined, seed?: number): void;
  /**
   * Resolves with the first logged request (past or future) that satisfies `predicate`, which is
   * asked again when the server answers the request and when it ends.
   */
  waitFor(predicate: (e: ProxyLogEntry) => boolean, timeoutMs?: number): Promise<ProxyLogEntry>;
  /** How many requests got each fault. */
  faultCounts(): Partial<Record<FaultKind, number>>;
  close(): Promise<void>;
}

interface RuleState {
  readonly rule: FaultRule;
  seen: number;
  applied: number;
}

/** Starts the proxy in front of `upstream` (e.g. the RGW endpoint). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const log: ProxyLogEntry[] = [];
  const rules: RuleState[] = [];
  const waiters = new Set<{
    p: (e: ProxyLogEntry) => boolean;
    resolve: (e: ProxyLogEntry) => void;
  }>();
  const sockets = new Set<Socket>();
  let random: RandomFaults | undefined;
  let rng = seededRandom(1);
  let nextId = 1;
  let session = 0;
  let bytesPerSec: number | undefined;
  /** When the shared link is free again (ms since the epoch), for setBandwidth. */
  let linkFreeAt = 0;

  const notify = (entry: ProxyLogEntry): void => {
    for (const w of waiters) {
      if (w.p(entry)) {
        waiters.delete(w);
        w.resolve(entry);
      }
    }
  };

  const choose = (info: RequestInfo): Fault | undefined => {
    for (const state of rules) {
      const { rule } = state;
      if (rule.match !== undefined && !rule.match(info)) continue;
      if (rule.times !== undefined && state.applied >= rule.times) continue;
      state.seen += 1;
      if (state.seen <= (rule.skip ?? 0)) continue;
      if (rule.probability !== undefined && rng() >= rule.probability) continue;
      state.applied += 1;
      return rule.fault;
    }
    if (random !== undefined && (random.match === undefined || random.match(info))) {
      if (rng() < random.probability && random.faults.length > 0)
        return random.faults[Math.floor(rng() * random.faults.length)];
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    const info = describeRequest(req);
    const fault = choose(info);
    const entry: ProxyLogEntry = {
      ...info,
      id: nextId++,
      session,
      fault: fault?.kind,
      requestBytes: 0,
      status: undefined,
      upstreamStatus: undefined,
      delivered: false,
      clientGone: false,
      startedAt: Date.now(),
      endedAt: undefined,
    };
    log.push(entry);
    // paused until a fault or the relay consumes the body: counting must not start the flow
    req.pause();
    req.on('data', (chunk: Buffer) => {
      entry.requestBytes += chunk.length;
    });
    res.on('finish', () => {
      entry.delivered = true;
    });
    res.on('close', () => {
      if (!entry.delivered && entry.fault === undefined) entry.clientGone = true;
      entry.endedAt ??= Date.now();
      notify(entry);
    });
    void handle(req, res, info, fault, entry).catch(() => {
      req.socket.destroy();
    });
  });

  /** Reads the rest of the request body. */
  const drain = (req: http.IncomingMessage): Promise<void> =>
    req.complete
      ? Promise.resolve()
      : new Promise((resolve) => {
          req.on('end', resolve);
          req.on('close', resolve);
          req.resume();
        });

  /** Relays to the server; resolves with the server's answer, streamed or buffered. */
  const relay = (req: http.IncomingMessage): Promise<http.IncomingMessage> =>
    new Promise((resolve, reject) => {
      // Node already answered "100 Continue" to the client; the server gets the body at once
      const headers = { ...req.headers };
      delete headers.expect;
      const up = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        },
        resolve,
      );
      up.on('error', reject);
      // the client went away mid-request: the server must not get a complete request either
      req.on('close', () => {
        if (!req.complete) up.destroy();
      });
      if (bytesPerSec === undefined) req.pipe(up);
      else void throttle(req, up, bytesPerSec).catch(() => up.destroy());
    });

  /** Copies the body at the shared rate: each chunk waits for its slot on the link. */
  async function throttle(req: http.IncomingMessage, up: http.ClientRequest, rate: number) {
    for await (const chunk of req) {
      const now = Date.now();
      const start = Math.max(now, linkFreeAt);
      linkFreeAt = start + ((chunk as Buffer).length / rate) * 1000;
      if (start > now) await sleep(start - now);
      if (!up.write(chunk)) await new Promise((resolve) => up.once('drain', resolve));
    }
    up.end();
  }

  const buffer = async (up: http.IncomingMessage): Promise<Answer> => {
    const chunks: Buffer[] = [];
    for await (const c of up) chunks.push(c as Buffer);
    return {
      status: up.statusCode ?? 502,
      statusMessage: up.statusMessage ?? '',
      headers: up.headers,
      body: Buffer.concat(chunks),
    };
  };

  async function handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    info: RequestInfo,
    fault: Fault | undefined,
    entry: ProxyLogEntry,
  ): Promise<void> {
    const socket = req.socket;
    switch (fault?.kind) {
      case 'reset-request': {
        const after = fault.afterBytes ?? Math.floor(info.contentLength / 2);
        if (entry.requestBytes >= after || info.contentLength === 0) {
          socket.resetAndDestroy();
          return;
        }
        req.on('data', () => {
          if (entry.requestBytes >= after && !socket.destroyed) socket.resetAndDestroy();
        });
        req.resume();
        return;
      }
      case 'error': {
        await drain(req);
        const body = errorXml(fault.status, `/${info.bucket}/${info.key}`);
        entry.status = fault.status;
        res.writeHead(fault.status, {
          'content-type': 'application/xml',
          'content-length': Buffer.byteLength(body),
          ...(fault.status === 503 ? { 'retry-after': '1' } : {}),
        });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      case 'blackhole':
        req.resume(); // read what comes, answer nothing; close() ends it
        return;
      case 'delay':
        if (fault.phase !== 'response') await sleep(fault.ms);
        break;
      case 'reset-response':
      case 'truncate':
      case 'etag':
      case undefined:
        break;
    }
    // (a function: the socket may close during any await)
    const gone = (): boolean => socket.destroyed;
    if (gone()) return;
    let up: http.IncomingMessage;
    try {
      up = await relay(req);
    } catch {
      // the server is gone (an outage test) or the client left: say so the way a gateway would
      if (!res.headersSent && !gone()) {
        entry.status = 502;
        res.writeHead(502, { 'content-length': 0 }).end();
      }
      return;
    }
    entry.upstreamStatus = up.statusCode;
    notify(entry);
    up.on('error', () => socket.destroy());
    if (fault?.kind === 'delay' && fault.phase === 'response') {
      const answer = await buffer(up);
      await sleep(fault.ms);
      if (gone()) return;
      entry.status = answer.status;
      res.writeHead(answer.status, answer.statusMessage, answer.headers);
      res.end(answer.body);
      return;
    }
    if (fault?.kind === 'reset-response') {
      const answer = await buffer(up);
      const after = Math.min(fault.afterBytes ?? 0, answer.body.length);
      if (answer.body.length > 0 && after > 0) {
        const raw = rawAnswer(answer);
        socket.write(raw.subarray(0, raw.length - answer.body.length + after));
      }
      socket.resetAndDestroy();
      return;
    }
    if (fault?.kind === 'truncate') {
      const raw = rawAnswer(await buffer(up));
      const cut = Math.max(1, Math.floor(raw.length * (fault.fraction ?? 0.5)));
      socket.end(raw.subarray(0, Math.min(cut, raw.length - 1)));
      return;
    }
    entry.status = up.statusCode ?? 502;
    const headers =
      fault?.kind === 'etag' && up.headers.etag !== undefined
        ? { ...up.headers, etag: `"${fault.etag}"` }
        : up.headers;
    res.writeHead(entry.status, up.statusMessage ?? '', headers);
    up.pipe(res);
  }

  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    log,
    get session() {
      return session;
    },
    set session(n: number) {
      session = n;
    },
    addRule(rule) {
      rules.push({ rule, seen: 0, applied: 0 });
    },
    clearRules() {
      rules.length = 0;
    },
    setBandwidth(rate) {
      bytesPerSec = rate;
    },
    setRandom(r, seed = 1) {
      random = r;
      rng = seededRandom(seed);
    },
    waitFor(predicate, timeoutMs = 120_000) {
      const done = log.find(predicate);
      if (done !== undefined) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const w = {
          p: predicate,
          resolve: (e: ProxyLogEntry) => {
            clearTimeout(timer);
            resolve(e);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`fault proxy: no matching request within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    faultCounts() {
      const out: Partial<Record<FaultKind, number>> = {};
      for (const e of log) if (e.fault !== undefined) out[e.fault] = (out[e.fault] ?? 0) + 1;
      return out;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
