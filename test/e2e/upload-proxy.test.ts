/** --proxy sends every request through the proxy; NO_PROXY lets the endpoint bypass it. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliEnv, objectDigest, runCli, fileSha256 } from '../support/cli.js';
import { startForwardProxy, type ForwardProxy } from '../support/forward-proxy.js';
import {
  createTestBucket,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

describe('HTTP proxy', () => {
  let info: S3ServerInfo;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let proxy: ForwardProxy;

  before(async () => {
    info = await rgwServer();
    bucket = await createTestBucket(info, 'proxy');
    tmp = await makeTmpDir('proxy');
    proxy = await startForwardProxy();
  });
  after(async () => {
    await proxy.close();
    await bucket.cleanup();
    await tmp.cleanup();
  });

  it('--proxy routes the requests through the proxy', async () => {
    const file = join(tmp.path, 'via-proxy.txt');
    await writeFile(file, 'through the proxy\n');
    const res = await runCli(
      [
        'upload',
        file,
        '--to',
        `s3://${bucket.name}/p/`,
        '--endpoint-url',
        info.endpoint,
        '--proxy',
        proxy.url,
        '--journal',
        join(tmp.path, 'a.db'),
      ],
      cliEnv(info),
    );
    assert.equal(res.code, 0, res.stderr);
    assert.ok(
      proxy.seen.some((r) => r.startsWith('PUT ') && r.includes(`/${bucket.name}/p/via-proxy.txt`)),
      proxy.seen.join('\n'),
    );
    const client = makeS3Client(info);
    try {
      assert.equal(
        (await objectDigest(client, bucket.name, 'p/via-proxy.txt')).sha256,
        await fileSha256(file),
      );
    } finally {
      client.destroy();
    }
  });

  it('HTTPS_PROXY is honoured and NO_PROXY bypasses it for the endpoint host', async () => {
    const file = join(tmp.path, 'direct.txt');
    await writeFile(file, 'direct\n');
    const before = proxy.seen.length;
    const env = cliEnv(info, { HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' });
    const res = await runCli(
      [
        'upload',
        file,
        '--to',
        `s3://${bucket.name}/p/`,
        '--endpoint-url',
        info.endpoint,
        '--journal',
        join(tmp.path, 'b.db'),
      ],
      env,
    );
    assert.equal(res.code, 0, res.stderr);
    assert.equal(proxy.seen.length, before, 'no request went through the proxy');
    const viaEnv = await runCli(
      [
        'upload',
        file,
        '--to',
        `s3://${bucket.name}/q/`,
        '--endpoint-url',
        info.endpoint,
        '--journal',
        join(tmp.path, 'c.db'),
      ],
      cliEnv(info, { HTTPS_PROXY: proxy.url }),
    );
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.ok(proxy.seen.length > before, 'without NO_PROXY the environment proxy is used');
  });
});
