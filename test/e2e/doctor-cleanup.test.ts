/** `s3ferry doctor` and `s3ferry cleanup` against the real RGW. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { EXIT } from '../../src/errors/codes.js';
import { cliEnv, runCli, spawnCli, writeRandomFile } from '../support/cli.js';
import { openUploadState, waitForParts } from '../support/journal-watch.js';
import { listAllMultipartUploads, listAllObjects } from '../support/s3-server.js';
import { S3Fixture } from '../support/s3-fixture.js';

describe('doctor', () => {
  const fx = S3Fixture.use('doctor');

  it('passes every check on a good setup and leaves nothing behind', async () => {
    const res = await runCli(
      ['doctor', '--to', `s3://${fx.bucket.name}/pre`, '--endpoint-url', fx.info.endpoint],
      cliEnv(fx.info),
    );
    assert.equal(res.code, 0, res.stdout + res.stderr);
    for (const name of ['settings', 'credentials', 'bucket', 'write', 'multipart']) {
      assert.match(res.stdout, new RegExp(`^ok\\s+${name}`, 'm'), name);
    }
    assert.match(res.stdout, /AKIA…TKEY/, 'the access key is shown masked');
    assert.doesNotMatch(
      res.stdout,
      new RegExp(fx.info.secretAccessKey.replace(/[/+]/g, '.')),
      'never the secret',
    );
    assert.deepEqual(await listAllObjects(fx.client, fx.bucket.name), []);
    assert.deepEqual(await listAllMultipartUploads(fx.client, fx.bucket.name), []);
  });

  it('names the failing check with its cause and fix (wrong secret)', async () => {
    const res = await runCli(
      ['doctor', '--to', `s3://${fx.bucket.name}`, '--endpoint-url', fx.info.endpoint, '--json'],
      cliEnv(fx.info, { AWS_SECRET_ACCESS_KEY: 'wrong' }),
    );
    assert.equal(res.code, EXIT.destination);
    const failed = res.events.find((e) => e.type === 'check' && e.ok === false);
    assert.equal(failed?.name, 'bucket');
    assert.equal(
      (failed.error as { code?: string } | undefined)?.code,
      'ERR_S3_SIGNATURE_MISMATCH',
    );
    assert.ok(!res.events.some((e) => e.name === 'write'), 'checks stop at the first failure');
  });

  it('names a missing bucket', async () => {
    const res = await runCli(
      ['doctor', '--to', 's3://s3ferry-doctor-missing', '--endpoint-url', fx.info.endpoint],
      cliEnv(fx.info),
    );
    assert.equal(res.code, EXIT.destination);
    assert.match(
      res.stdout,
      /^FAIL\s+bucket\s+the bucket "s3ferry-doctor-missing" does not exist/m,
    );
    assert.match(res.stdout, /fix: create the bucket/);
  });
});

describe('cleanup', () => {
  const fx = S3Fixture.use('cleanup');

  it("aborts the uploads s3ferry left behind, never another client's, and lists what it did", async () => {
    const file = join(fx.tmp.path, 'big.bin');
    const journal = join(fx.tmp.path, 'j.db');
    await writeRandomFile(file, 64 * 1024 * 1024);
    const proc = spawnCli(
      [
        'upload',
        file,
        '--to',
        `s3://${fx.bucket.name}/c/`,
        '--endpoint-url',
        fx.info.endpoint,
        '--journal',
        journal,
        '--part-size',
        '5MiB',
        '--bwlimit',
        '20MiB',
      ],
      cliEnv(fx.info),
    );
    await waitForParts(journal, 2);
    proc.child.kill('SIGKILL');
    await proc.result;
    const ours = (await openUploadState(journal))?.upload.uploadId;
    const foreign = await fx.client.send(
      new CreateMultipartUploadCommand({ Bucket: fx.bucket.name, Key: 'c/someone-else.bin' }),
    );
    const common = [
      '--to',
      `s3://${fx.bucket.name}/c`,
      '--endpoint-url',
      fx.info.endpoint,
      '--journal',
      journal,
    ];

    const young = await runCli(['cleanup', ...common, '--older-than', '1h'], cliEnv(fx.info));
    assert.equal(young.code, 0, young.stderr);
    assert.match(
      young.stdout,
      /aborted 0; kept 1 younger than --older-than; left 1 not started by s3ferry/,
    );

    const dry = await runCli(
      ['cleanup', ...common, '--older-than', '0s', '--dry-run'],
      cliEnv(fx.info),
    );
    assert.match(dry.stdout, /would abort s3:\/\/.*\/c\/big\.bin/);
    assert.equal((await listAllMultipartUploads(fx.client, fx.bucket.name)).length, 2);

    const res = await runCli(
      ['cleanup', ...common, '--older-than', '0s', '--json'],
      cliEnv(fx.info),
    );
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(
      res.events.filter((e) => e.type === 'cleanup.aborted').map((e) => e.uploadId),
      [ours],
    );
    const left = await listAllMultipartUploads(fx.client, fx.bucket.name);
    assert.deepEqual(
      left.map((u) => u.uploadId),
      [foreign.UploadId],
    );
    assert.equal(
      await openUploadState(journal),
      undefined,
      'the journal no longer lists it as open',
    );
  });
});
