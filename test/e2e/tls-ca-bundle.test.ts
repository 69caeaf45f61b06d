/**
 * HTTPS stores with a certificate authority of their own (issue 17): the RGW over TLS, its CA made
 * by the test with openssl. The right CA, from each place the AWS CLI reads it (--ca-bundle,
 * AWS_CA_BUNDLE, ca_bundle of the profile), lets uploads through; a wrong or missing one stops
 * them with the cause and the fix (exit code, doctor, the agent's destination health), and a CA
 * bundle that does not exist is a configuration error naming the path.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { cliEnv, fileSha256, objectDigest, runCli } from '../support/cli.js';
import {
  createTestBucket,
  makeS3Client,
  makeTestCa,
  tlsRgwServer,
  type S3ServerInfo,
  type TlsAccess,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

interface Health {
  healthy: boolean;
  code?: string;
  cause?: string;
  hint?: string;
}

describe('HTTPS with a CA bundle', () => {
  let info: S3ServerInfo & { client: TlsAccess };
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let client: S3Client;
  let wrongCa: string;
  /** https://127.0.0.1:PORT: path-style by IP (the certificate holds 127.0.0.1 too). */
  let byIp: string;
  let file: string;
  let n = 0;

  before(async () => {
    info = await tlsRgwServer();
    bucket = await createTestBucket(info, 'tls-ca');
    tmp = await makeTmpDir('tls-ca');
    client = makeS3Client(info);
    wrongCa = (await makeTestCa(join(tmp.path, 'other-ca'))).caFile;
    byIp = `https://127.0.0.1:${new URL(info.client.endpoint).port}`;
    file = join(tmp.path, 'hello.txt');
    await writeFile(file, 'over TLS, verified\n');
  });
  after(async () => {
    client.destroy();
    await bucket.cleanup();
    await tmp.cleanup();
  });

  /** `s3ferry CMD FILE --to s3://bucket/p<n>/ …` with a journal of its own. */
  async function cli(command: 'upload' | 'doctor', args: string[], env: Record<string, string>) {
    n += 1;
    const prefix = `p${n}/`;
    const res = await runCli(
      [
        command,
        ...(command === 'upload' ? [file] : []),
        '--to',
        `s3://${bucket.name}/${prefix}`,
        '--journal',
        join(tmp.path, `j${n}.db`),
        ...args,
      ],
      cliEnv(info, env),
    );
    return { ...res, key: `${prefix}hello.txt` };
  }

  async function assertStored(key: string): Promise<void> {
    assert.equal((await objectDigest(client, bucket.name, key)).sha256, await fileSha256(file));
  }

  it('uploads with --ca-bundle, virtual-hosted by name (S3FERRY_RESOLVE) and by IP', async () => {
    const named = await cli(
      'upload',
      [
        '--endpoint-url',
        info.client.endpoint,
        '--no-force-path-style',
        '--ca-bundle',
        info.client.caFile,
      ],
      { S3FERRY_RESOLVE: info.client.resolveEnv },
    );
    assert.equal(named.code, 0, named.stderr);
    await assertStored(named.key);
    const ip = await cli('upload', ['--endpoint-url', byIp, '--ca-bundle', info.client.caFile], {});
    assert.equal(ip.code, 0, ip.stderr);
    await assertStored(ip.key);
  });

  it('takes the CA from AWS_CA_BUNDLE, and from ca_bundle of the profile', async () => {
    const env = await cli('upload', ['--endpoint-url', byIp], {
      AWS_CA_BUNDLE: info.client.caFile,
    });
    assert.equal(env.code, 0, env.stderr);
    await assertStored(env.key);
    const config = join(tmp.path, 'aws-config');
    await writeFile(
      config,
      `[profile tls]\nregion = ${info.region}\naws_access_key_id = ${info.accessKeyId}\n` +
        `aws_secret_access_key = ${info.secretAccessKey}\nca_bundle = ${info.client.caFile}\n`,
    );
    const profile = await cli('upload', ['--endpoint-url', byIp, '--profile', 'tls'], {
      AWS_CONFIG_FILE: config,
    });
    assert.equal(profile.code, 0, profile.stderr);
    await assertStored(profile.key);
  });

  it('a wrong or missing CA: exit 3 with the cause and the fix, nothing stored', async () => {
    for (const args of [['--ca-bundle', wrongCa], []]) {
      const res = await cli('upload', ['--endpoint-url', byIp, ...args], {});
      assert.equal(res.code, 3, res.stderr);
      assert.match(res.stderr, /the certificate of 127\.0\.0\.1 is not trusted/);
      assert.match(
        res.stderr,
        /fix: set caBundle \(or AWS_CA_BUNDLE.*to the PEM of the CA that signed it/,
      );
      if (args.length > 0) assert.ok(res.stderr.includes(wrongCa), 'names the bundle in use');
      await assert.rejects(objectDigest(client, bucket.name, res.key));
    }
  });

  it('doctor names the cause and the fix', async () => {
    const res = await cli('doctor', ['--endpoint-url', byIp, '--ca-bundle', wrongCa], {});
    assert.equal(res.code, 3, res.stdout);
    assert.match(res.stdout, /FAIL .*the certificate of 127\.0\.0\.1 is not trusted/);
    assert.match(res.stdout, /fix: set caBundle/);
  });

  it('a CA bundle that does not exist: a configuration error naming the path', async () => {
    const missing = join(tmp.path, 'no-such-ca.pem');
    const res = await cli('upload', ['--endpoint-url', byIp, '--ca-bundle', missing], {});
    assert.equal(res.code, 2, res.stderr);
    assert.ok(res.stderr.includes(`the CA bundle ${missing} does not exist`), res.stderr);
    const dir = join(tmp.path, 'check');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 's3ferry.yaml'), agentYaml(dir, 7999, missing));
    const check = await runCli(['config', 'check', join(dir, 's3ferry.yaml')], cliEnv(info));
    assert.equal(check.code, 2, check.stdout + check.stderr);
    assert.ok(
      `${check.stdout}${check.stderr}`.includes(
        `jobs[0].destination.caBundle: the CA bundle ${missing} does not exist`,
      ),
      check.stdout + check.stderr,
    );
  });

  function agentYaml(dir: string, port: number, caBundle: string): string {
    return `api:
  port: ${port}
journal: ${JSON.stringify(join(dir, 'journal.db'))}
probeInterval: 1s
jobs:
  - name: j
    sources: [${JSON.stringify(join(dir, 'inbox'))}]
    settle: 1s
    destination:
      bucket: ${bucket.name}
      prefix: agent
      endpoint: ${byIp}
      caBundle: ${JSON.stringify(caBundle)}
`;
  }

  it('the agent holds the destination unhealthy with the cause; the right CA and a reload release it', async () => {
    const dir = join(tmp.path, 'agent');
    await mkdir(join(dir, 'inbox'), { recursive: true });
    const yaml = agentYaml(dir, await freePort(), wrongCa);
    let agent: AgentProcess | undefined;
    try {
      agent = await startAgentProcess(dir, yaml, info);
      const a = agent;
      await writeFile(join(dir, 'inbox', 'waiting.txt'), 'waits for the right CA\n');
      const health = await waitFor('the destination marked unhealthy', async () => {
        const s = await a.api<{ jobs: { health: Health }[] }>('GET', '/api/v1/status');
        const h = s.jobs[0]?.health;
        return h?.healthy === false ? h : undefined;
      });
      assert.equal(health.code, 'ERR_S3_TLS_UNTRUSTED');
      assert.match(health.cause ?? '', /the certificate of 127\.0\.0\.1 is not trusted/);
      // the agent's fix names the setting of its configuration
      assert.match(health.hint ?? '', /^set jobs\[0\]\.destination\.caBundle /);
      await writeFile(join(dir, 's3ferry.yaml'), yaml.replace(wrongCa, info.client.caFile));
      a.child.kill('SIGHUP');
      await waitFor('uploaded once the CA is right', async () =>
        objectDigest(client, bucket.name, 'agent/waiting.txt').then(
          () => true,
          () => false,
        ),
      );
    } finally {
      await agent?.stop();
    }
  });
});
