/**
 * Web pages the operator opens cannot use the agent's API (issue 15, items 1 and 2).
 *
 * - DNS rebinding: a request naming another host (`Host: evil.example:PORT`) is refused with 421
 *   whatever else it carries, the right token included; the agent's own names and
 *   `api.allowedHosts` pass. In a real Chromium, a page of `rebind.attacker.test` resolved to
 *   127.0.0.1 (`--host-resolver-rules`) gets nothing from an agent that even runs without a token
 *   (`api.auth: none`): no job list, no signed link, no backfill.
 * - Origin: a request from another page's origin (or `Origin: null`) is refused with 403.
 * - CSRF: every state change must be JSON: without a content type (a "simple" POST, with or
 *   without a body), as text/plain, a form or multipart, it is refused with 415 and changes
 *   nothing. In Chromium, a page on another port of 127.0.0.1 (same site: the dashboard's
 *   SameSite=Strict cookie goes with its requests) cannot pause a logged-in agent.
 * - Links: `/api/v1/link?key=` signs only keys under the job's destination prefix.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, startAgentProcess, type AgentProcess } from '../support/agent-process.js';
import { launchBrowser, type BrowserSession } from '../support/browser.js';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  createTestBucket,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One request with exactly these headers (fetch would not send our Host). */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {} });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.end(options.body);
  });
}

const codeOf = (a: Answer): string | undefined => {
  try {
    return (JSON.parse(a.body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
};

describe('the API against hostile web pages', () => {
  let info: S3ServerInfo;
  let tmp: { path: string; cleanup(): Promise<void> };
  let bucket: { name: string; cleanup(): Promise<void> };
  let agent: AgentProcess;
  let port: number;
  let token: string;
  let inbox: string;

  const yaml = (p: number, source: string, api = ''): string => `api:
  port: ${p}
  allowedHosts: [agent.example.test]
${api}jobs:
  - name: j
    sources: [${JSON.stringify(source)}]
    mode: scan
    rescanInterval: 1h
    destination:
      bucket: ${bucket.name}
      prefix: pre
      endpoint: ${info.endpoint}
`;

  before(async () => {
    info = await rgwServer();
    tmp = await makeTmpDir('security-rebinding');
    bucket = await createTestBucket(info, 'security-rebinding');
    // the job's own object: /api/v1/link answers only for an object that is there
    const client = makeS3Client(info);
    await client.send(new PutObjectCommand({ Bucket: bucket.name, Key: 'pre/a.txt', Body: 'a' }));
    client.destroy();
    inbox = join(tmp.path, 'inbox');
    await mkdir(inbox, { recursive: true });
    port = await freePort();
    agent = await startAgentProcess(join(tmp.path, 'agent'), yaml(port, inbox), info);
    token = (await agent.token()) ?? '';
    assert.ok(token.length >= 40, 'the agent made a token');
  });
  after(async () => {
    await agent.stop();
    await bucket.cleanup();
    await tmp.cleanup();
  });

  const at = (path: string): string => `http://127.0.0.1:${port}${path}`;
  const bearer = (): Record<string, string> => ({ authorization: `Bearer ${token}` });

  it('answers only its own Host names, whatever the request carries', async () => {
    for (const host of [
      `evil.example:${port}`,
      `rebind.attacker.test:${port}`,
      `127.0.0.1.attacker.test:${port}`,
      `localhost.attacker.test:${port}`,
      'evil.example',
    ]) {
      for (const path of ['/api/v1/jobs', '/api/v1/link?key=pre/a.txt', '/', '/login?code=x']) {
        const a = await raw(at(path), { headers: { host, ...bearer() } });
        assert.equal(a.status, 421, `${host} ${path}: ${a.body}`);
        assert.equal(codeOf(a), 'ERR_HOST_NOT_ALLOWED');
        assert.match(a.body, /DNS rebinding.*api\.allowedHosts/);
      }
    }
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `LocalHost:${port}`,
      `[::1]:${port}`,
      `agent.example.test:${port}`,
      'agent.example.test',
    ]) {
      const a = await raw(at('/api/v1/jobs'), { headers: { host, ...bearer() } });
      assert.equal(a.status, 200, `${host}: ${a.body}`);
    }
  });

  it("takes an Origin only from the agent's own page", async () => {
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${port + 1}`, 'x:']) {
      const a = await raw(at('/api/v1/status'), { headers: { origin, ...bearer() } });
      assert.equal(a.status, 403, `${origin}: ${a.body}`);
      assert.equal(codeOf(a), 'ERR_ORIGIN_NOT_ALLOWED');
    }
    const own = await raw(at('/api/v1/status'), {
      headers: { origin: `http://127.0.0.1:${port}`, ...bearer() },
    });
    assert.equal(own.status, 200, own.body);
  });

  it('takes state changes only as JSON, also without a body, and changes nothing else', async () => {
    const routes = [
      '/api/v1/pause',
      '/api/v1/resume',
      '/api/v1/retry',
      '/api/v1/config/reload',
      '/api/v1/backfill',
      '/api/v1/dashboard/link',
    ];
    const simple: { headers: Record<string, string>; body?: string }[] = [
      { headers: {} },
      { headers: {}, body: '{}' },
      { headers: { 'content-type': 'text/plain' }, body: '{"job":"j"}' },
      { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'job=j' },
      { headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: '--b--' },
    ];
    for (const path of routes)
      for (const s of simple) {
        const a = await raw(at(path), {
          method: 'POST',
          headers: { ...bearer(), ...s.headers },
          ...(s.body === undefined ? {} : { body: s.body }),
        });
        assert.equal(a.status, 415, `${path} ${JSON.stringify(s)}: ${a.body}`);
        assert.equal(codeOf(a), 'ERR_UNSUPPORTED_MEDIA_TYPE');
        assert.match(a.body, /Content-Type: application\/json/);
      }
    assert.equal((await agent.api<{ paused: boolean }>('GET', '/api/v1/status')).paused, false);
    // JSON with no body at all is the empty object
    const pause = await raw(at('/api/v1/pause'), {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json; charset=utf-8' },
    });
    assert.equal(pause.status, 200, pause.body);
    assert.equal((await agent.api<{ paused: boolean }>('GET', '/api/v1/status')).paused, true);
    await agent.api('POST', '/api/v1/resume', {});
  });

  it("signs links only for keys under the job's destination prefix", async () => {
    for (const key of ['other/a.txt', 'a.txt', 'pre', 'pre/', 'pre/../other/a.txt', 'pre/./a']) {
      const a = await raw(at(`/api/v1/link?key=${encodeURIComponent(key)}`), {
        headers: bearer(),
      });
      assert.equal(a.status, 400, `${key}: ${a.body}`);
      const message = (JSON.parse(a.body) as { error?: { message?: string } }).error?.message;
      assert.match(
        message ?? '',
        /links are given only for objects of the job j, under its prefix "pre\/"/,
      );
    }
    const own = await raw(at('/api/v1/link?key=pre/a.txt'), { headers: bearer() });
    assert.equal(own.status, 200, own.body);
    assert.match((JSON.parse(own.body) as { url: string }).url, /\/pre\/a\.txt\?/);
  });

  describe('in Chromium', () => {
    let browser: BrowserSession;
    before(async () => {
      browser = await launchBrowser('security-rebinding', [
        '--host-resolver-rules=MAP rebind.attacker.test 127.0.0.1',
      ]);
    });
    after(() => browser.close());

    it('a page rebound to 127.0.0.1 gets nothing, even from an agent without a token', async () => {
      const open = join(tmp.path, 'open-inbox');
      await mkdir(open, { recursive: true });
      const openPort = await freePort();
      const noAuth = await startAgentProcess(
        join(tmp.path, 'no-auth'),
        yaml(openPort, open, '  auth: none\n'),
        info,
      );
      try {
        await writeFile(join(open, 'late.txt'), 'found by a backfill only');
        // the agent's own page works: the browser and the agent are set up right
        const own = await browser.open(`http://127.0.0.1:${openPort}/`);
        assert.equal(
          await own.evaluate(async () => (await fetch('/api/v1/jobs')).status),
          200,
          'the same calls from the agent own page',
        );
        // The attacker's page once its name points to 127.0.0.1: a document of the origin
        // rebind.attacker.test:PORT, loaded from the agent's address (so Chromium treats it as
        // a local page), whose script then calls the API as its own origin. Before the fix the
        // agent served it its dashboard and answered every call.
        const evil = `http://rebind.attacker.test:${openPort}`;
        const page = await browser.open(`${evil}/`);
        const statuses = await page.evaluate(async () => {
          const post = (path: string, body: unknown) =>
            fetch(path, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(body),
            });
          return [
            (await fetch('/api/v1/jobs')).status,
            (await fetch('/api/v1/history')).status,
            (await fetch('/api/v1/browse?job=j')).status,
            (await fetch('/api/v1/link?key=pre/late.txt')).status,
            (await post('/api/v1/backfill', { job: 'j', paths: ['late.txt'] })).status,
            (await post('/api/v1/pause', {})).status,
          ];
        });
        assert.deepEqual(statuses, [421, 421, 421, 421, 421, 421]);
        const queue = await noAuth.api<{ items: unknown[] }>('GET', '/api/v1/queue?state=pending');
        assert.deepEqual(queue.items, [], 'nothing was backfilled');
        const status = await noAuth.api<{ paused: boolean }>('GET', '/api/v1/status');
        assert.equal(status.paused, false, 'nothing was paused');
      } finally {
        await noAuth.stop();
      }
    });

    it("another page of 127.0.0.1 cannot act with the logged-in dashboard's cookie", async () => {
      const page = await browser.open(await agent.dashboardUrl());
      await page.locator('#conn[data-state="live"]').waitFor();
      const cookies = await page.context().cookies(at('/'));
      assert.deepEqual(
        cookies.map((c) => [c.name, c.httpOnly, c.sameSite]),
        [[`s3ferry_session_${port}`, true, 'Strict']],
      );
      // a page on another port of the same host: same site, so the cookie goes with its requests
      const attacker: Server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<title>hi</title>
<form id="f" method="POST" enctype="text/plain" action="${at('/api/v1/pause')}">
<input name='{"job":"j","x":"' value='"}'></form>`);
      });
      await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
      try {
        const other = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
        const evil = await page.context().newPage();
        await evil.goto(`${other}/`);
        await evil.evaluate(async (target: string) => {
          for (const body of [undefined, '{}', '{"job":"j"}'])
            await fetch(target, {
              method: 'POST',
              mode: 'no-cors',
              credentials: 'include',
              ...(body === undefined ? {} : { body }),
            }).catch(() => undefined);
        }, at('/api/v1/pause'));
        await Promise.all([
          evil.waitForURL(at('/api/v1/pause')).catch(() => undefined),
          evil.evaluate(() => {
            (
              globalThis as unknown as {
                document: { getElementById(id: string): { submit(): void } };
              }
            ).document
              .getElementById('f')
              .submit();
          }),
        ]);
        const status = await agent.api<{ paused: boolean; jobs: { paused: boolean }[] }>(
          'GET',
          '/api/v1/status',
        );
        assert.equal(status.paused, false, 'not paused');
        assert.equal(status.jobs[0]?.paused, false, 'the job not paused');
      } finally {
        await new Promise<void>((r) => {
          attacker.closeAllConnections();
          attacker.close(() => {
            r();
          });
        });
      }
    });
  });
});
