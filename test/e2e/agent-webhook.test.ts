/**
 * The event webhook with a real agent process and a real HTTP receiver on loopback: every event is
 * POSTed as JSON with the configured headers, retried after 503s, delivered once and in order, and
 * no secret of the configuration ever appears in a body.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EventRecord } from '../../src/journal/journal-store.js';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir, testId } from '../support/tmp.js';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** What the receiver answered. */
  readonly status: number;
}

interface WebhookEvent {
  type: string;
  at: string;
  level: string;
  message: string;
  path?: string;
  key?: string;
  data?: Record<string, unknown>;
}

/** A webhook receiver that answers 503 to the first `failures` POSTs, then 200. */
async function startReceiver(failures: number): Promise<{
  server: Server;
  url: string;
  received: Received[];
}> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = received.length < failures ? 503 : 200;
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status,
      });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'busy');
    });
  });
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/hook`, received };
}

describe('event webhook', () => {
  let info: S3ServerInfo;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let agent: AgentProcess | undefined;

  before(async () => {
    info = await rgwServer();
    bucket = await createTestBucket(info, 'agent-webhook');
    tmp = await makeTmpDir('agent-webhook');
    receiver = await startReceiver(2);
  });
  after(async () => {
    await agent?.stop().catch(() => undefined);
    receiver.server.closeAllConnections();
    await new Promise<void>((r) => {
      receiver.server.close(() => {
        r();
      });
    });
    await bucket.cleanup();
    await tmp.cleanup();
  });

  it('POSTs every event in order with the configured header, retrying 503s; no secret in any body', async () => {
    const dir = join(tmp.path, 'agent');
    const inbox = join(dir, 'inbox');
    await mkdir(inbox, { recursive: true });
    const token = `tok-${testId('webhook')}`;
    const yaml = `api:
  port: ${await freePort()}
events:
  webhook:
    url: ${receiver.url}
    headers:
      x-token: ${token}
jobs:
  - name: hooked
    sources: [${JSON.stringify(inbox)}]
    settle: 1s
    destination:
      bucket: ${bucket.name}
      prefix: wh
      endpoint: ${info.endpoint}
      accessKeyId: ${info.accessKeyId}
      secretAccessKey: ${info.secretAccessKey}
`;
    // explicit keys only: nothing in the agent's environment to fall back on
    agent = await startAgentProcess(dir, yaml, info, {
      AWS_ACCESS_KEY_ID: 'AKIDNOTTHEKEY',
      AWS_SECRET_ACCESS_KEY: 'not-the-secret',
    });
    const files = ['one.bin', 'two.bin'].map((name) => join(inbox, name));
    for (const f of files) await writeFile(f, randomBytes(20_000));

    const delivered = (): WebhookEvent[] =>
      receiver.received
        .filter((r) => r.status === 200)
        .map((r) => JSON.parse(r.body) as WebhookEvent);
    await waitFor('file.done of both files delivered', () =>
      Promise.resolve(
        files.every((f) => delivered().some((e) => e.type === 'file.done' && e.path === f)),
      ),
    );

    const all = [...receiver.received];
    // the first event was refused twice, then sent again, identical, and accepted
    assert.deepEqual(
      all.slice(0, 3).map((r) => r.status),
      [503, 503, 200],
    );
    assert.equal(all[1]?.body, all[0]?.body);
    assert.equal(all[2]?.body, all[0]?.body);
    assert.ok(all.slice(3).every((r) => r.status === 200));

    for (const r of all) {
      assert.equal(r.method, 'POST');
      assert.equal(r.url, '/hook');
      assert.equal(r.headers['x-token'], token, 'the configured header on every request');
      assert.match(r.headers['content-type'] ?? '', /^application\/json/);
      assert.ok(!r.body.includes(info.secretAccessKey), `no secret key in ${r.body}`);
      assert.ok(!r.body.includes(token), `no header value in ${r.body}`);
    }

    const events = delivered();
    for (const e of events) {
      assert.equal(typeof e.type, 'string');
      assert.equal(typeof e.message, 'string');
      assert.ok(e.message.length > 0);
      assert.match(e.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    for (const f of files) {
      const done = events.filter((e) => e.type === 'file.done' && e.path === f);
      assert.equal(done.length, 1, `file.done of ${f} delivered once`);
      assert.equal(done[0]?.key, `wh/${f.slice(inbox.length + 1)}`);
    }

    // in order, each once: what was delivered is the start of the journal's events, oldest first
    const journal = (
      await agent.api<{ items: EventRecord[] }>('GET', '/api/v1/events?limit=1000')
    ).items.sort((a, b) => a.id - b.id);
    const asSent = (e: EventRecord): WebhookEvent => ({
      type: e.type,
      at: new Date(e.at).toISOString(),
      level: e.level,
      message: e.message,
      ...(e.path === undefined ? {} : { path: e.path }),
      ...(e.key === undefined ? {} : { key: e.key }),
      ...(e.data === undefined ? {} : { data: e.data }),
    });
    const pick = (e: WebhookEvent): WebhookEvent => ({
      type: e.type,
      at: e.at,
      level: e.level,
      message: e.message,
      ...(e.path === undefined ? {} : { path: e.path }),
      ...(e.key === undefined ? {} : { key: e.key }),
      ...(e.data === undefined ? {} : { data: e.data }),
    });
    assert.ok(journal.length >= events.length);
    assert.deepEqual(events.map(pick), journal.slice(0, events.length).map(asSent));
    // the destination's probe answered (what its store accepts) before the agent started
    assert.deepEqual(
      journal.slice(0, 2).map((e) => e.type),
      ['destination.capabilities', 'agent.started'],
    );

    assert.ok(!agent.log().includes(info.secretAccessKey), 'no secret key in the log');
    assert.ok(!agent.log().includes(token), 'no header value in the log');
  });
});
