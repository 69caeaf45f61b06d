/**
 * No secret in any answer: an agent configured with a destination secret key, an API token and a
 * webhook with a secret header. Every GET route (with its variants and some errors), every action,
 * and the live stream during an upload are crawled, and none of the secrets appears anywhere.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../support/agent-process.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { openStream, rgwDestination, startInProcess, type InProcessAgent } from './api-support.js';

describe('API: no secret in any answer', () => {
  let info: S3ServerInfo;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let api: InProcessAgent;
  let hook: Server;
  let inbox: string;
  const token = `tok-${randomBytes(16).toString('hex')}`;
  const bearer = `hook-${randomBytes(16).toString('hex')}`;
  let hooked = 0;

  before(async () => {
    info = await rgwServer();
    bucket = await createTestBucket(info, 'api-secrets');
    tmp = await makeTmpDir('api-secrets');
    inbox = join(tmp.path, 'inbox');
    await mkdir(inbox, { recursive: true });
    hook = createServer((req, res) => {
      hooked += 1;
      req.resume();
      res.end();
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const port = (hook.address() as { port: number }).port;
    const yaml = `api:
  token: ${token}
events:
  webhook:
    url: http://127.0.0.1:${port}/hook
    headers:
      authorization: Bearer ${bearer}
jobs:
  - name: main
    sources: [${JSON.stringify(inbox)}]
    settle: 1s
${rgwDestination(info, bucket.name)}`;
    api = await startInProcess(join(tmp.path, 'agent'), yaml, { stream: { heartbeatMs: 500 } });
  });

  after(async () => {
    await api.close();
    await new Promise((r) => hook.close(r));
    await bucket.cleanup();
    await tmp.cleanup();
  });

  /** Everything a client can read, as text. */
  async function crawl(): Promise<string> {
    const gets = [
      '/healthz',
      '/readyz',
      '/metrics',
      '/api/v1/openapi.json',
      '/api/v1/status',
      '/api/v1/jobs',
      '/api/v1/destinations',
      '/api/v1/transfers',
      '/api/v1/queue',
      '/api/v1/queue?state=waiting',
      '/api/v1/queue?state=parked',
      '/api/v1/history?limit=1000',
      '/api/v1/history?q=a',
      '/api/v1/events?limit=1000',
      '/api/v1/browse?job=main',
      '/api/v1/link?key=a.bin&job=main',
      `/api/v1/link?path=${encodeURIComponent(join(inbox, 'a.bin'))}`,
      '/api/v1/history?sort=nope',
      '/api/v1/browse?job=main&path=..',
      '/api/v1/nothing',
    ];
    const auth = { authorization: `Bearer ${token}` };
    let text = '';
    for (const path of gets) {
      const res = await fetch(`${api.url}${path}`, { headers: auth });
      text += `\n${path} ${res.status} ${JSON.stringify([...res.headers])}\n${await res.text()}`;
    }
    for (const [path, body] of [
      ['/api/v1/pause', { job: 'main' }],
      ['/api/v1/resume', { job: 'main' }],
      ['/api/v1/retry', {}],
      ['/api/v1/backfill', { job: 'main', paths: ['a.bin', '../x'] }],
      ['/api/v1/config/reload', {}],
      ['/api/v1/pause', { job: 'nope' }],
    ] as const) {
      const res = await fetch(`${api.url}${path}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      text += `\n${path} ${res.status}\n${await res.text()}`;
    }
    return text;
  }

  it('crawls every route and the stream during an upload: no secret anywhere', async () => {
    const stream = await openStream(`${api.url}/api/v1/stream?token=${token}`);
    assert.equal(stream.status, 200);
    let seen = '';
    try {
      await writeFile(join(inbox, 'a.bin'), randomBytes(100_000));
      await waitFor('a.bin done', () =>
        Promise.resolve(
          stream.messages.some((m) => m.event === 'event' && m.data.includes('"file.done"')),
        ),
      );
      seen = await crawl();
      await sleep(1200);
    } finally {
      await stream.close();
    }
    assert.ok(hooked > 0, 'the webhook got events');
    assert.ok(seen.includes('"items"') && seen.includes('a.bin'), 'the crawl read real answers');
    const everything = seen + stream.raw();
    for (const secret of [info.secretAccessKey, token, bearer])
      assert.ok(!everything.includes(secret), `a secret appears in an answer`);
  });
});
