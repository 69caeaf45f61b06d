/**
 * The event webhook never hands its headers to another address, and its failures are seen (issue
 * 15, item 7). A receiver that redirects (307, which keeps the POST and its body) to a second
 * server on another port: that server never hears from the agent, whose header values (an
 * Authorization and a custom one) would otherwise travel with the redirect; the refusal and the
 * drop are counted in `status` and /metrics with the fix. A receiver that is down: every failed
 * attempt is counted while the log gets one line for many failures, never a header value.
 */
import assert from 'node:assert/strict';
import { writeFile, mkdir } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WebhookStats } from '../../src/agent/webhook-sender.js';
import {
  agentYaml,
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { cliEnv, runCli } from '../support/cli.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { parsePrometheus, sampleValue } from './api-support.js';

const HOOK_SECRET = 'hook-secret-5e4d3c2b1a09f8e7';
const KEY_SECRET = 'key-secret-0f1e2d3c4b5a6978';

interface Hit {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** An HTTP server on loopback answering every request with `answer`, recording what it got. */
async function listen(answer: (res: import('node:http').ServerResponse) => void): Promise<{
  url: string;
  hits: Hit[];
  close(): Promise<void>;
}> {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits.push({ url: req.url ?? '', headers: req.headers });
      answer(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => {
          r();
        });
      }),
  };
}

describe('event webhook: no redirects followed, failures counted', () => {
  let info: S3ServerInfo;
  let tmp: { path: string; cleanup(): Promise<void> };
  let bucket: { name: string; cleanup(): Promise<void> };

  before(async () => {
    info = await rgwServer();
    tmp = await makeTmpDir('security-webhook');
    bucket = await createTestBucket(info, 'security-webhook');
  });
  after(async () => {
    await bucket.cleanup();
    await tmp.cleanup();
  });

  async function agentWithHook(name: string, url: string): Promise<AgentProcess> {
    const dir = join(tmp.path, name);
    const inbox = join(dir, 'inbox');
    await mkdir(inbox, { recursive: true });
    const yaml = agentYaml({
      port: await freePort(),
      inbox,
      bucket: bucket.name,
      endpoint: info.endpoint,
      extra: `events:
  webhook:
    url: ${url}
    headers:
      Authorization: Bearer ${HOOK_SECRET}
      X-Api-Key: ${KEY_SECRET}
`,
    });
    const agent = await startAgentProcess(dir, yaml, info);
    for (let i = 0; i < 3; i++) await writeFile(join(inbox, `f${i}.txt`), `file ${i}`);
    return agent;
  }

  const statusOf = async (agent: AgentProcess): Promise<WebhookStats | undefined> =>
    (await agent.api<{ webhook?: WebhookStats }>('GET', '/api/v1/status')).webhook;

  it('takes a redirect as a refusal: the other address never gets the headers', async () => {
    const elsewhere = await listen((res) => res.writeHead(200).end());
    const redirecting = await listen((res) =>
      res.writeHead(307, { location: `${elsewhere.url}/stolen` }).end(),
    );
    const agent = await agentWithHook('redirect', `${redirecting.url}/hook`);
    try {
      const stats = await waitFor('three events refused by the redirect', async () => {
        const s = await statusOf(agent);
        return s !== undefined && s.dropped.refused >= 3 ? s : undefined;
      });
      assert.ok(redirecting.hits.length >= 3);
      assert.equal(redirecting.hits[0]?.headers['x-api-key'], KEY_SECRET, 'the receiver got them');
      assert.deepEqual(elsewhere.hits, [], 'the redirect target heard nothing');
      assert.equal(stats.failures.redirect, stats.dropped.refused);
      assert.equal(stats.delivered, 0);
      assert.equal(stats.url, `${redirecting.url}/hook`);
      assert.match(
        stats.lastError?.message ?? '',
        /answered 307, a redirect, which s3ferry does not follow .*configure the final URL in events\.webhook\.url/,
      );

      const metrics = parsePrometheus(await (await fetch(`${agent.url}/metrics`)).text());
      assert.ok(
        (sampleValue(metrics, 's3ferry_webhook_failures_total', { reason: 'redirect' }) ?? 0) >= 3,
      );
      assert.ok(
        (sampleValue(metrics, 's3ferry_webhook_dropped_total', { reason: 'refused' }) ?? 0) >= 3,
      );

      const cli = await runCli(['status', '--api-url', agent.url], cliEnv(info));
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(cli.stdout, /webhook http:\/\/127\.0\.0\.1:\d+\/hook: 0 delivered, \d+ failed/);
      for (const text of [agent.log(), cli.stdout, JSON.stringify(stats)]) {
        assert.ok(!text.includes(HOOK_SECRET) && !text.includes(KEY_SECRET), 'no header value');
      }
    } finally {
      await agent.stop();
      await redirecting.close();
      await elsewhere.close();
    }
  });

  it('counts every failed attempt at a receiver that is down, and logs them rate-limited', async () => {
    const down = `http://127.0.0.1:${await freePort()}/hook`;
    const agent = await agentWithHook('down', down);
    try {
      const stats = await waitFor('five failed attempts', async () => {
        const s = await statusOf(agent);
        return s !== undefined && s.failures.network >= 5 ? s : undefined;
      });
      assert.equal(stats.delivered, 0);
      assert.ok(stats.pending >= 1, 'the events wait for the receiver');
      assert.match(stats.lastError?.message ?? '', /cannot reach it \(ECONNREFUSED\)/);
      const metrics = parsePrometheus(await (await fetch(`${agent.url}/metrics`)).text());
      assert.ok(
        (sampleValue(metrics, 's3ferry_webhook_failures_total', { reason: 'network' }) ?? 0) >= 5,
      );
      const lines = agent
        .log()
        .split('\n')
        .filter((l) => l.includes('"webhook"') && l.includes('ECONNREFUSED'));
      assert.equal(lines.length, 1, `one log line for ${stats.failures.network} failures`);
      assert.ok(!agent.log().includes(HOOK_SECRET) && !agent.log().includes(KEY_SECRET));
    } finally {
      await agent.stop();
    }
  });
});
