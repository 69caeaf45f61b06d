/**
 * The API's perimeter (issue 5, item 5): it never binds beyond loopback without a token (from the
 * file, the environment or the command line), and with a token every /api/ route refuses a wrong
 * one, of the same length or not, however the path is spelled. Tokens are compared in constant
 * time: both sides are hashed to 32 bytes and compared with crypto.timingSafeEqual
 * (src/api/auth.ts), so neither the content nor the length of a wrong token changes the work done;
 * a test watches the real timingSafeEqual decide every request.
 */
import assert from 'node:assert/strict';
import type { timingSafeEqual } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { installAuth } from '../../src/api/auth.js';
import { freePort } from '../support/agent-process.js';
import { cliEnv, runCli } from '../support/cli.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { startSession, type AgentSession } from '../support/torture/agent-runner.js';

const TOKEN = 'tok-3f9c2d41e8b7a6c5d4e3f2a1b0c9d8e7';

describe('API binding and token', () => {
  let info: S3ServerInfo;
  let tmp: { path: string; cleanup(): Promise<void> };
  let bucket: { name: string; cleanup(): Promise<void> };

  before(async () => {
    info = await rgwServer();
    tmp = await makeTmpDir('security-api');
    bucket = await createTestBucket(info, 'security-api');
  });
  after(async () => {
    await bucket.cleanup();
    await tmp.cleanup();
  });

  const yaml = (api: string): string => `api:
${api}
jobs:
  - name: s
    sources: [${JSON.stringify(tmp.path)}]
    destination: { bucket: ${bucket.name}, endpoint: ${info.endpoint} }
`;

  async function refusedToStart(
    name: string,
    text: string,
    args: string[] = [],
    env: Record<string, string> = {},
  ): Promise<string> {
    const dir = join(tmp.path, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 's3ferry.yaml'), text);
    const res = await runCli(
      ['run', '--config', join(dir, 's3ferry.yaml'), ...args],
      cliEnv(info, env),
    );
    assert.equal(res.code, 2, `exit ${String(res.code)}: ${res.stderr}${res.stdout}`);
    return res.stderr;
  }

  it('refuses any address beyond loopback without a token, however it is given', async () => {
    const port = await freePort();
    // every interface, and one address (TEST-NET-1) the agent must refuse before trying to bind it
    for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
      const stderr = await refusedToStart(
        `file-${host.replace(/\W/g, '_')}`,
        yaml(`  host: ${JSON.stringify(host)}\n  port: ${port}`),
      );
      assert.match(stderr, /api\.token: api\.token is required when api\.host is not a loopback/);
    }
    const byFlag = await refusedToStart('flag', yaml(`  port: ${port}`), ['--api-host', '0.0.0.0']);
    assert.match(byFlag, /api\.token.*required.*\(api\.host is "0\.0\.0\.0"\)/);
    const byEnv = await refusedToStart('env', yaml(`  port: ${port}`), [], {
      S3FERRY_API_HOST: '0.0.0.0',
    });
    assert.match(byEnv, /api\.token.*required/);
  });

  describe('with a token, on every interface', () => {
    let agent: AgentSession;
    let base: string;

    before(async () => {
      // bound beyond loopback (0.0.0.0), reached through loopback: tests send nothing elsewhere
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      const dir = join(tmp.path, 'agent');
      await mkdir(dir);
      await writeFile(join(dir, 's3ferry.yaml'), yaml(`  host: 0.0.0.0\n  port: ${port}`));
      const env = cliEnv(info, { S3FERRY_API_TOKEN: TOKEN });
      agent = startSession(1, join(dir, 's3ferry.yaml'), dir, env, base, join(dir, 'agent.log'));
      assert.ok(await agent.healthy(), `the agent answers on ${base}`);
    });
    after(async () => {
      await agent.stop();
    });

    const get = (path: string, authorization?: string): Promise<Response> =>
      fetch(`${base}${path}`, {
        headers: authorization === undefined ? {} : { authorization },
      });

    it('answers the right token and refuses wrong ones of equal and other lengths', async () => {
      assert.equal((await get('/api/v1/status', `Bearer ${TOKEN}`)).status, 200);
      const wrong = [
        undefined, // no header
        'Bearer ',
        `Bearer ${TOKEN.slice(0, -1)}x`, // same length, last character differs
        `Bearer ${'x'.repeat(TOKEN.length)}`, // same length
        `Bearer ${TOKEN.toUpperCase()}`, // same length, other case
        `Bearer ${TOKEN.slice(0, -1)}`, // a prefix
        `Bearer ${TOKEN}x`, // longer
        `Bearer ${TOKEN}${'x'.repeat(10_000)}`, // much longer
        `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`,
        TOKEN, // no scheme
      ];
      for (const authorization of wrong) {
        const res = await get('/api/v1/status', authorization);
        assert.equal(res.status, 401, String(authorization).slice(0, 60));
        const body = (await res.json()) as { error?: { code?: string } };
        assert.equal(body.error?.code, 'ERR_UNAUTHORIZED');
      }
    });

    it('refuses every /api/ route and spelling without the token; health checks stay open', async () => {
      for (const path of [
        '/api/v1/status',
        '/api/v1/queue',
        '/api/v1/history',
        '/api/v1/events',
        '/api/v1/link?key=x',
        '/api/v1/status/',
        '/api/v1//status',
        '/api/v1/status?x=1',
        '/%61pi/v1/status',
        '/API/v1/status',
        '/api/v1/stream?token=wrong',
      ]) {
        const res = await get(path);
        assert.ok(res.status === 401 || res.status === 404, `${path}: ${res.status}`);
        await res.body?.cancel();
      }
      for (const method of ['POST'] as const)
        for (const path of ['/api/v1/pause', '/api/v1/retry', '/api/v1/config/reload']) {
          const res = await fetch(`${base}${path}`, {
            method,
            headers: { 'content-type': 'application/json' },
            body: '{}',
          });
          assert.equal(res.status, 401, path);
        }
      assert.equal((await get('/healthz')).status, 200);
    });
  });

  it('compares every presented token with crypto.timingSafeEqual, on 32-byte digests', async () => {
    // The real crypto.timingSafeEqual, watched: node:crypto's CommonJS object is what the ESM
    // binding in src/api/auth.ts reads after syncBuiltinESMExports(). A comparison that returned
    // early on a wrong length or a wrong first character would show as a missing call, or as a
    // call with inputs of the presented token's size.
    const crypto = createRequire(import.meta.url)('node:crypto') as {
      timingSafeEqual: typeof timingSafeEqual;
    };
    const real = crypto.timingSafeEqual;
    const calls: { sizes: [number, number]; equal: boolean }[] = [];
    crypto.timingSafeEqual = (a, b) => {
      const equal = real(a, b);
      calls.push({ sizes: [a.byteLength, b.byteLength], equal });
      return equal;
    };
    syncBuiltinESMExports();
    const app = Fastify();
    installAuth(app, TOKEN);
    app.get('/api/v1/probe', () => ({ ok: true }));
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const cases: [string, string | undefined, number][] = [
        ['the token', TOKEN, 200],
        ['same length, last character wrong', `${TOKEN.slice(0, -1)}x`, 401],
        ['same length, first character wrong', `x${TOKEN.slice(1)}`, 401],
        ['shorter', TOKEN.slice(0, 5), 401],
        ['empty', '', 401],
        ['much longer', `${TOKEN}${'y'.repeat(8000)}`, 401],
        ['no header', undefined, 401],
      ];
      for (const [what, token, status] of cases) {
        const before = calls.length;
        const res = await fetch(`${base}/api/v1/probe`, {
          headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        });
        assert.equal(res.status, status, what);
        await res.body?.cancel();
        assert.deepEqual(
          calls.slice(before),
          [{ sizes: [32, 32], equal: status === 200 }],
          `${what}: one timingSafeEqual on two 32-byte digests decided it`,
        );
      }
    } finally {
      crypto.timingSafeEqual = real;
      syncBuiltinESMExports();
      await app.close();
    }
  });
});
