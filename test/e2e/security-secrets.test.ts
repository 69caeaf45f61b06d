/**
 * Secrets stay secret, keys stay under their prefix, links expire (issue 5, item 5).
 *
 * An agent runs with known secrets everywhere a configuration can hold one: explicit S3 keys of a
 * working destination, the secret and session token of a destination whose keys are refused (so
 * they meet error paths), the API token, a webhook header. After uploads, refusals, a parked
 * file, a failed and a good reload, every place a secret could leak is searched for each of them:
 * the agent's log (stdout and stderr), every API GET answer, the live stream (SSE) meanwhile, the
 * dashboard's HTML and scripts as served and its every view as chromium renders it, /metrics, the
 * webhook bodies, `config check --json`, the CLI's JSON answers and the journal file itself. Each
 * secret is looked for as it is and URL-encoded.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { cliEnv, runCli } from '../support/cli.js';
import {
  createTestBucket,
  listAllObjects,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { launchBrowser, showView, UI_TIMEOUT_MS } from '../support/browser.js';
import { makeTmpDir } from '../support/tmp.js';

const API_TOKEN = 'api-token-9d7e1c0b5a4f3e2d1c0b9a8f';
const FAKE_SECRET = 'FakeSecretKey/Zq8Wv7Ut6Sr5Qp4On3Ml2Kj1';
const SESSION_TOKEN = 'SessionTokenXy9Wx8Vw7Uv6Tu5St4Sr3Rq2Qp1';
const WEBHOOK_SECRET = 'webhook-secret-77aa66bb55cc44dd';

interface Receiver {
  readonly url: string;
  readonly bodies: string[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => {
          r();
        });
      }),
  };
}

/** The dashboard's page and every script, style and module it pulls from the agent. */
async function dashboardTexts(base: string): Promise<string[]> {
  const seen = new Set<string>();
  const texts: string[] = [];
  const queue = ['/'];
  while (queue.length > 0 && seen.size < 50) {
    const path = queue.shift() ?? '/';
    if (seen.has(path)) continue;
    seen.add(path);
    const res = await fetch(new URL(path, base));
    if (!res.ok) continue;
    const text = await res.text();
    texts.push(text);
    const refs = [
      ...text.matchAll(/(?:src|href)="([^"]+)"/g),
      ...text.matchAll(/(?:import|from)\s*\(?\s*['"]([^'"]+\.js)['"]/g),
    ].map((m) => m[1] ?? '');
    for (const ref of refs) {
      const url = new URL(ref, new URL(path, base));
      if (url.origin === new URL(base).origin) queue.push(url.pathname);
    }
  }
  return texts;
}

/** Reads a server-sent-events stream into a string until `stop` is called; returns the text. */
function captureStream(url: string, token: string): { stop(): Promise<string> } {
  const abort = new AbortController();
  let text = '';
  const reading = (async () => {
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    assert.equal(res.status, 200, 'the stream opened');
    const decoder = new TextDecoder();
    for await (const chunk of res.body ?? []) text += decoder.decode(chunk as Uint8Array);
  })().catch((err: unknown) => {
    if (!abort.signal.aborted) throw err;
  });
  return {
    async stop() {
      abort.abort();
      await reading;
      return text;
    },
  };
}

const VIEWS = [
  '#/overview',
  '#/transfers',
  '#/queue?state=waiting',
  '#/queue?state=parked',
  '#/history',
  '#/events',
  '#/backfill',
];

/**
 * Every view of the dashboard as chromium renders it (the DOM, serialized, and the text a person
 * sees), after the token was entered in its prompt as a user would.
 */
async function renderedDashboard(base: string, token: string): Promise<[string, string][]> {
  const browser = await launchBrowser('security-secrets');
  try {
    const page = await browser.open(`${base}/#/overview`);
    const dialog = page.getByRole('dialog', { name: 'API token required' });
    await dialog.getByLabel('Token').fill(token);
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('#conn[data-state="live"]').waitFor();
    const out: [string, string][] = [];
    for (const hash of VIEWS) {
      await showView(page, hash);
      const view = hash.slice(2).split('?')[0] ?? '';
      const section = page.locator(`main section[data-view="${view}"]`);
      await section.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
      // rendered once it shows more than its heading
      await page.waitForFunction(
        (v: string) => {
          const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } })
            .document;
          const el = doc.querySelector(`main section[data-view="${v}"]`) as {
            innerText: string;
          } | null;
          return el !== null && el.innerText.trim().split('\n').length > 1;
        },
        view,
        { timeout: UI_TIMEOUT_MS },
      );
      await browser.screenshot(page, view, { fullPage: true });
      out.push([`dashboard ${hash} (DOM)`, await page.content()]);
      out.push([`dashboard ${hash} (text)`, await page.locator('body').innerText()]);
    }
    // the calls made before the token was entered were refused, as they should be
    const errors = browser.errors().filter((e) => !/status of 401 \(Unauthorized\)/.test(e));
    assert.deepEqual(errors, [], 'no page errors');
    return out;
  } finally {
    await browser.close();
  }
}

describe('secrets, prefixes and links', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let receiver: Receiver;
  let agent: AgentProcess;
  let dir: string;
  let good: string;
  let jail: string;
  let secrets: string[];
  let yaml: string;

  const authed = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${agent.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    });

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'security');
    tmp = await makeTmpDir('security');
    receiver = await startReceiver();
    secrets = [info.secretAccessKey, FAKE_SECRET, SESSION_TOKEN, API_TOKEN, WEBHOOK_SECRET];
    good = join(tmp.path, 'good');
    const bad = join(tmp.path, 'bad');
    jail = join(tmp.path, 'jail');
    for (const d of [good, bad, jail]) await mkdir(d);
    await writeFile(join(good, 'one.txt'), 'one\n');
    await writeFile(join(good, 'two.txt'), 'two\n');
    await writeFile(join(bad, 'refused.txt'), 'refused\n');
    await writeFile(join(tmp.path, 'outside.txt'), 'outside the source\n');
    await symlink(join(tmp.path, 'outside.txt'), join(jail, 'link.txt'));
    await writeFile(join(jail, 'plain.txt'), 'plain\n');
    dir = join(tmp.path, 'agent');
    yaml = `api:
  port: ${await freePort()}
  token: ${API_TOKEN}
probeInterval: 1s
events:
  webhook:
    url: ${receiver.url}
    headers:
      authorization: Bearer ${WEBHOOK_SECRET}
jobs:
  - name: good
    sources: [${JSON.stringify(good)}]
    settle: 300ms
    destination:
      bucket: ${bucket.name}
      prefix: good
      endpoint: ${info.endpoint}
      accessKeyId: ${info.accessKeyId}
      secretAccessKey: ${JSON.stringify(info.secretAccessKey)}
  - name: bad
    sources: [${JSON.stringify(bad)}]
    settle: 300ms
    destination:
      bucket: ${bucket.name}
      prefix: bad
      endpoint: ${info.endpoint}
      accessKeyId: ${info.accessKeyId}
      secretAccessKey: ${JSON.stringify(FAKE_SECRET)}
      sessionToken: ${SESSION_TOKEN}
  - name: jail
    sources: [${JSON.stringify(jail)}]
    settle: 300ms
    symlinks: follow # link.txt leads out of the source: followed here, so its key is checked too
    key: '{env:S3FERRY_TEST_SUBDIR}/{name}'
    destination:
      bucket: ${bucket.name}
      prefix: jail
      endpoint: ${info.endpoint}
      accessKeyId: ${info.accessKeyId}
      secretAccessKey: ${JSON.stringify(info.secretAccessKey)}
`;
    // {env:...} that tries to climb out of the prefix
    agent = await startAgentProcess(dir, yaml, info, { S3FERRY_TEST_SUBDIR: '../../escaped' });
  });
  after(async () => {
    await agent.stop();
    await receiver.close();
    client.destroy();
    await bucket.cleanup();
    await tmp.cleanup();
  });

  it('keeps key templates inside their prefix: a key that would climb out parks the file', async () => {
    const parked = await waitFor('the jail files parked', async () => {
      const res = await authed('/api/v1/queue?state=parked');
      const page = (await res.json()) as {
        items: { path: string; reason: { code: string; message: string } | null }[];
      };
      const mine = page.items.filter((f) => f.path.startsWith(jail));
      return mine.length === 2 ? mine : undefined;
    });
    for (const f of parked) {
      assert.equal(f.reason?.code, 'ERR_KEY_INVALID');
      assert.match(f.reason.message, /'\.\.'/);
    }
    const keys = (await listAllObjects(client, bucket.name)).map((o) => o.key);
    assert.deepEqual(
      keys.filter((k) => !k.startsWith('good/')),
      [],
      'nothing was written outside the prefixes',
    );
  });

  it('refuses templates and prefixes that leave the prefix at load time', async () => {
    const cases: [string, RegExp][] = [
      ["    key: '../{name}'\n", /jobs\[0\]\.key: .*'\.\.'/],
      ["    key: '{dir}/../{name}'\n", /jobs\[0\]\.key: .*'\.\.'/],
      ["    key: '/{path}'\n", /jobs\[0\]\.key: .*'\/'/],
    ];
    for (const [line, re] of cases) {
      const file = join(tmp.path, 'tpl.yaml');
      await writeFile(
        file,
        `jobs:\n  - name: t\n    sources: [/tmp]\n    destination: s3://b/p\n${line}`,
      );
      const res = await runCli(['config', 'check', file], cliEnv(info));
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, re);
    }
    const file = join(tmp.path, 'prefix.yaml');
    await writeFile(
      file,
      'jobs:\n  - name: t\n    sources: [/tmp]\n    destination: s3://b/a/../b\n',
    );
    const res = await runCli(['config', 'check', file], cliEnv(info));
    assert.equal(res.code, 2);
    assert.match(res.stderr, /'\.' or '\.\.' segments/);
  });

  it('presigned links work, then expire; an expiry beyond 7 days is refused', async () => {
    await waitFor('good files done', async () => {
      const keys = (await listAllObjects(client, bucket.name)).map((o) => o.key);
      return keys.includes('good/one.txt') && keys.includes('good/two.txt');
    });
    const res = await authed('/api/v1/link?job=good&key=good%2Fone.txt&expires=2000');
    assert.equal(res.status, 200);
    const link = (await res.json()) as { url: string; kind: string };
    assert.equal(link.kind, 'presigned');
    assert.match(link.url, /X-Amz-Expires=2(&|$)/);
    assert.ok(!secrets.some((s) => link.url.includes(s)), 'no secret in the link');
    const fresh = await fetch(link.url);
    assert.equal(fresh.status, 200);
    assert.equal(await fresh.text(), 'one\n');
    await sleep(3500);
    const stale = await fetch(link.url);
    assert.equal(stale.status, 403, 'the link expired');
    assert.match(await stale.text(), /AccessDenied|expired/i);
    const tooLong = await authed(
      `/api/v1/link?job=good&key=good%2Fone.txt&expires=${8 * 86_400_000}`,
    );
    assert.equal(tooLong.status, 400);
  });

  it('shows no secret in logs, events, API answers, the dashboard, webhooks, CLI or journal', async () => {
    const stream = captureStream(`${agent.url}/api/v1/stream`, API_TOKEN);
    // the refused keys meet their error paths; a bad reload is reported; a good one applied
    await waitFor('the bad destination unhealthy', async () => {
      const s = (await (await authed('/api/v1/status')).json()) as {
        jobs: { name: string; health: { healthy: boolean } }[];
      };
      return s.jobs.find((j) => j.name === 'bad')?.health.healthy === false;
    });
    await writeFile(join(dir, 's3ferry.yaml'), `${yaml}    colour: ${FAKE_SECRET}x\n`);
    assert.equal(
      (await authed('/api/v1/config/reload', { method: 'POST', body: '{}' })).status,
      400,
    );
    await writeFile(join(dir, 's3ferry.yaml'), yaml);
    assert.equal(
      (await authed('/api/v1/config/reload', { method: 'POST', body: '{}' })).status,
      200,
    );
    await authed('/api/v1/retry', { method: 'POST', body: '{}' });
    await sleep(1500);

    const places: [string, string][] = [['agent log', agent.log()]];
    const streamed = await stream.stop();
    assert.match(
      streamed,
      /event: event\ndata: .*config\.reloaded/,
      'the stream carried the events',
    );
    places.push(['GET /api/v1/stream', streamed]);
    for (const path of [
      '/api/v1/status',
      '/api/v1/jobs',
      '/api/v1/destinations',
      '/api/v1/queue?state=pending',
      '/api/v1/queue?state=waiting',
      '/api/v1/queue?state=parked',
      '/api/v1/history',
      '/api/v1/events?limit=1000',
      '/api/v1/transfers',
      '/api/v1/openapi.json',
      '/api/v1/link?job=good&key=good%2Fone.txt',
      '/api/v1/browse?job=good',
      '/api/v1/browse?job=bad',
      '/healthz',
      '/readyz',
      '/metrics',
    ]) {
      const res = await authed(path);
      places.push([`GET ${path} (${res.status})`, await res.text()]);
    }
    for (const required of ['/api/v1/status', '/api/v1/events?limit=1000', '/api/v1/history'])
      assert.ok(
        places.some(([where]) => where.startsWith(`GET ${required} (200)`)),
        `${required} answered`,
      );
    for (const text of await dashboardTexts(agent.url)) places.push(['dashboard as served', text]);
    places.push(...(await renderedDashboard(agent.url, API_TOKEN)));
    places.push(['webhook bodies', receiver.bodies.join('\n')]);
    assert.ok(receiver.bodies.length > 0, 'the webhook was called');
    const config = join(dir, 's3ferry.yaml');
    const env = cliEnv(info);
    for (const args of [
      ['config', 'check', config, '--json'],
      ['status', '--config', config, '--json'],
      ['queue', '--config', config, '--json'],
      ['history', '--config', config, '--json'],
      ['events', '--config', config, '--json'],
    ]) {
      const res = await runCli(args, env);
      places.push([`s3ferry ${args.join(' ')}`, res.stdout + res.stderr]);
    }
    await agent.stop();
    for (const suffix of ['', '-wal'])
      places.push([
        `journal${suffix}`,
        (
          await readFile(join(dir, '.s3ferry', `journal.db${suffix}`)).catch(() => Buffer.alloc(0))
        ).toString('latin1'),
      ]);

    const leaks: string[] = [];
    for (const [where, text] of places)
      for (const secret of secrets)
        for (const form of new Set([secret, encodeURIComponent(secret)]))
          if (text.includes(form)) leaks.push(`${where} holds ${form.slice(0, 6)}…`);
    assert.deepEqual(leaks, []);
    // the refusal was explained, without the key
    assert.match(agent.log(), /SignatureDoesNotMatch|InvalidAccessKeyId|ERR_S3_/);
  });
});
