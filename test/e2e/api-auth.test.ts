/**
 * Auth with a real `s3ferry run` bound beyond loopback (api.host 0.0.0.0 with a token), reached
 * through 127.0.0.1 only: every /api/v1 route refuses a missing or wrong token (401) and serves
 * the right one; the stream also takes ?token=; health checks and /metrics stay open. And the
 * configuration refuses 0.0.0.0 without a token at start-up, saying why.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  agentYaml,
  freePort,
  startAgentProcess,
  type AgentProcess,
} from '../support/agent-process.js';
import { cliEnv, runCli } from '../support/cli.js';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  createTestBucket,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { writeFile } from 'node:fs/promises';

const GETS = [
  '/api/v1/status',
  '/api/v1/jobs',
  '/api/v1/destinations',
  '/api/v1/transfers',
  '/api/v1/stats',
  '/api/v1/failures',
  '/api/v1/queue',
  '/api/v1/history',
  '/api/v1/events',
  '/api/v1/browse?job=inbox',
  '/api/v1/link?key=x&job=inbox',
  '/api/v1/openapi.json',
  '/api/v1/bwlimit',
  '/api/v1/stream',
];
const POSTS = ['/api/v1/pause', '/api/v1/resume', '/api/v1/retry', '/api/v1/config/reload'];

describe('API auth beyond loopback (real agent process on 0.0.0.0)', () => {
  let info: S3ServerInfo;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let agent: AgentProcess;
  let port: number;
  const token = `t-${randomBytes(12).toString('hex')}`;

  before(async () => {
    info = await rgwServer();
    bucket = await createTestBucket(info, 'api-auth');
    // /api/v1/link answers only for an object that is there
    const client = makeS3Client(info);
    await client.send(new PutObjectCommand({ Bucket: bucket.name, Key: 'x', Body: 'x' }));
    client.destroy();
    tmp = await makeTmpDir('api-auth');
    const inbox = join(tmp.path, 'inbox');
    await mkdir(inbox, { recursive: true });
    port = await freePort();
    const yaml = agentYaml({ port, inbox, bucket: bucket.name, endpoint: info.endpoint }).replace(
      /^api:\n/,
      `api:\n  host: 0.0.0.0\n  token: ${token}\n`,
    );
    agent = await startAgentProcess(join(tmp.path, 'agent'), yaml, info);
  });

  after(async () => {
    await agent.stop();
    await bucket.cleanup();
    await tmp.cleanup();
  });

  const at = (path: string) => `http://127.0.0.1:${port}${path}`;

  it('refuses every /api/v1 route without the token or with a wrong one', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: token }]) {
      for (const path of GETS) {
        const res = await fetch(at(path), { headers });
        assert.equal(res.status, 401, `GET ${path} ${JSON.stringify(headers)}`);
        const body = (await res.json()) as { error: { code: string } };
        assert.equal(body.error.code, 'ERR_UNAUTHORIZED');
      }
      for (const path of POSTS) {
        const res = await fetch(at(path), { method: 'POST', headers });
        assert.equal(res.status, 401, `POST ${path}`);
        await res.body?.cancel();
      }
      const put = await fetch(at('/api/v1/bwlimit'), {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ rate: '1KiB' }),
      });
      assert.equal(put.status, 401, 'PUT /api/v1/bwlimit');
      await put.body?.cancel();
    }
    const s = await fetch(at('/api/v1/status'), { headers: { authorization: `Bearer ${token}` } });
    assert.equal(
      ((await s.json()) as { paused: boolean }).paused,
      false,
      'the refused pause did nothing',
    );
    const limits = await fetch(at('/api/v1/bwlimit'), {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(
      ((await limits.json()) as { agent: { source: string } }).agent.source,
      'config',
      'the refused PUT did nothing',
    );
  });

  it('serves every route with the right token; the stream also with ?token=', async () => {
    const headers = { authorization: `Bearer ${token}` };
    for (const path of GETS.filter((p) => p !== '/api/v1/stream')) {
      const res = await fetch(at(path), { headers });
      assert.equal(res.status, 200, `GET ${path}: ${await res.clone().text()}`);
      await res.body?.cancel();
    }
    for (const url of [at('/api/v1/stream'), at(`/api/v1/stream?token=${token}`)]) {
      const abort = new AbortController();
      const res = await fetch(url, {
        signal: abort.signal,
        headers: url.includes('token=') ? {} : headers,
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      abort.abort();
    }
    const wrong = await fetch(at('/api/v1/stream?token=wrong'));
    assert.equal(wrong.status, 401);
    const elsewhere = await fetch(at(`/api/v1/status?token=${token}`));
    assert.equal(elsewhere.status, 401, '?token= is for the stream only');
    const cli = await runCli(
      ['status', '--api-url', at(''), '--token', token, '--json'],
      cliEnv(info),
    );
    assert.equal(cli.code, 0, cli.stderr);
  });

  it('health checks and /metrics need no token', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await fetch(at(path));
      assert.equal(res.status, 200, path);
      assert.ok(!(await res.text()).includes(token));
    }
  });

  it('refuses to start on 0.0.0.0 without a token, saying why', async () => {
    const dir = join(tmp.path, 'no-token');
    await mkdir(dir, { recursive: true });
    const yaml = agentYaml({
      port: await freePort(),
      inbox: join(tmp.path, 'inbox'),
      bucket: bucket.name,
      endpoint: info.endpoint,
    }).replace(/^api:\n/, 'api:\n  host: 0.0.0.0\n');
    await writeFile(join(dir, 's3ferry.yaml'), yaml);
    const r = await runCli(['run', '--config', join(dir, 's3ferry.yaml')], cliEnv(info));
    assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      /api\.token: api\.token is required when api\.host is not a loopback address \(api\.host is "0\.0\.0\.0"\)/,
    );
  });
});
