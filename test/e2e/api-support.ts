/**
 * Support for the API's e2e tests: an in-process agent built by the composition root against the
 * real RGW, its API listening on a real socket (127.0.0.1, port 0); a small server-sent-events
 * client over fetch; and a Prometheus text-format parser (the few rules of the exposition format
 * the agent's answer must follow).
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { startAgent, type RunningAgent } from '../../src/agent/compose.js';
import { buildApp, type ApiDeps, type StreamTimings } from '../../src/api/build-app.js';
import { agentToken } from '../../src/cli/api-token.js';
import { readEnvironment } from '../../src/config/environment.js';
import { loadConfig } from '../../src/config/load.js';
import { TEST_STATE_HOME } from '../support/cli.js';
import type { S3ServerInfo } from '../support/s3-server.js';

/** A running in-process agent and its API. */
export interface InProcessAgent {
  readonly running: RunningAgent;
  readonly app: FastifyInstance;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** The token the API requires: made or read as `s3ferry run` does (undefined: api.auth none). */
  readonly token: string | undefined;
  readonly configPath: string;
  /** Calls the API; returns status and parsed JSON. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T: the JSON shape the test expects (a typed view, unchecked)
  call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  /** GET that must answer 200. */
  get<T>(path: string): Promise<T>;
  close(): Promise<void>;
}

/** `destination:` lines for the test RGW with explicit keys (indented for a job). */
export function rgwDestination(info: S3ServerInfo, bucket: string, extra = ''): string {
  return `    destination:
      bucket: ${bucket}
      endpoint: ${info.endpoint}
      region: ${info.region}
      accessKeyId: ${info.accessKeyId}
      secretAccessKey: ${info.secretAccessKey}
${extra}`;
}

/** Writes `yaml` to dir/s3ferry.yaml, starts the agent from it and its API on 127.0.0.1:0. */
export async function startInProcess(
  dir: string,
  yaml: string,
  options: {
    stream?: StreamTimings;
    token?: string;
    host?: string;
    /** Wraps the live events the API subscribes to (to count listeners). */
    wrapEvents?: (events: ApiDeps['events']) => ApiDeps['events'];
  } = {},
): Promise<InProcessAgent> {
  await mkdir(dir, { recursive: true });
  const configPath = join(dir, 's3ferry.yaml');
  await writeFile(configPath, yaml);
  const load = () => loadConfig({ file: configPath, flags: { journal: join(dir, 'journal.db') } });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const config = await load();
  // the token `s3ferry run` would use: configured, or made in the state directory of the
  // processes this test starts (test/support/cli.ts), where their CLI finds it too
  const token =
    options.token ??
    agentToken(config.api, readEnvironment({ XDG_STATE_HOME: TEST_STATE_HOME }).stateDir).token;
  const running = await startAgent(config, { env: {}, logStream });
  const app = buildApp({
    agent: running.agent,
    journal: running.journal,
    events: options.wrapEvents?.(running.events) ?? running.events,
    transfers: running.transfers,
    metrics: running.metrics,
    clock: running.clock,
    webhook: () => running.events.webhookStats(),
    reload: async () => {
      await running.agent.reload(await load());
    },
    ...(token === undefined ? {} : { token }),
    ...(options.stream === undefined ? {} : { stream: options.stream }),
    host: options.host ?? config.api.host,
    allowedHosts: config.api.allowedHosts,
    metricsAuth: config.api.metricsAuth === 'token',
  });
  await app.listen({ host: options.host ?? '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address !== null && typeof address === 'object');
  const url = `http://127.0.0.1:${address.port}`;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T: the JSON shape the test expects (a typed view, unchecked)
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(body === undefined && method === 'GET' ? {} : { 'content-type': 'application/json' }),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  return {
    running,
    app,
    url,
    token,
    configPath,
    call,
    get: async <T>(path: string) => {
      const r = await call<T>('GET', path);
      assert.equal(r.status, 200, `GET ${path}: ${JSON.stringify(r.body)}`);
      return r.body;
    },
    close: async () => {
      await app.close();
      await running.close();
    },
  };
}

/** One server-sent event as received. */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
}

/** A live /api/v1/stream connection collecting what it receives. */
export interface SseClient {
  readonly status: number;
  readonly messages: SseMessage[];
  /** Everything received, raw (comments included). */
  raw(): string;
  close(): Promise<void>;
}

/** Opens `url` as an event stream and collects its messages until close(). */
export async function openStream(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  const messages: SseMessage[] = [];
  let text = '';
  let pending = '';
  const reading = (async () => {
    if (res.body === null) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        const s = decoder.decode(chunk as Uint8Array, { stream: true });
        text += s;
        pending += s;
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const lines = block.split('\n');
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
          const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
          if (event !== undefined) messages.push({ event, data: data.join('\n') });
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: res.status,
    messages,
    raw: () => text,
    close: async () => {
      abort.abort();
      await reading;
    },
  } satisfies SseClient;
}

/** One sample of the Prometheus text format. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL},?)*)\\})? (\\S+)(?: (-?\\d+))?$`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * Parses the Prometheus text exposition format (version 0.0.4), failing on any line that is not
 * a HELP, a TYPE (of a known type, declared once, before its samples), a sample or blank.
 */
export function parsePrometheus(text: string): PromSample[] {
  const samples: PromSample[] = [];
  const typed = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name = '', rest = ''] = meta;
      assert.match(name, new RegExp(`^${NAME}$`), `line ${i + 1}: metric name`);
      if (kind === 'TYPE') {
        assert.ok(TYPES.has(rest), `line ${i + 1}: type ${rest}`);
        assert.ok(!typed.has(name), `line ${i + 1}: ${name} typed twice`);
        typed.set(name, rest);
      }
      continue;
    }
    assert.ok(!line.startsWith('#') || line.startsWith('# '), `line ${i + 1}: ${line}`);
    if (line.startsWith('# ')) continue;
    const m = SAMPLE.exec(line);
    assert.ok(m !== null, `line ${i + 1} is not a sample: ${line}`);
    const name = m[1] ?? '';
    const value = m[5] ?? '';
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(new RegExp(LABEL, 'g')))
      labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    const n = value === '+Inf' ? Infinity : value === '-Inf' ? -Infinity : Number(value);
    assert.ok(value === 'NaN' || !Number.isNaN(n), `line ${i + 1}: value ${value}`);
    const base = name.replace(/_(bucket|sum|count|total|created)$/, '');
    assert.ok(typed.has(name) || typed.has(base), `line ${i + 1}: ${name} has no TYPE`);
    samples.push({ name, labels, value: n });
  }
  return samples;
}

/** The value of the sample `name` whose labels include `labels` (undefined when none). */
export function sampleValue(
  samples: readonly PromSample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}
