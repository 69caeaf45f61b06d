/**
 * A reader that goes away early (`s3ferry upload --json | head -1`, `s3ferry doctor | head -1`;
 * issue 17 item 4): the output ends quietly, with no EPIPE stack trace, and the work goes on to
 * its end (README "Upload": output). The pipes here are real: the test closes its end of them.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliEnv, fileSha256, objectDigest, spawnCli, writeRandomFile } from '../support/cli.js';
import { listAllMultipartUploads, listAllObjects } from '../support/s3-server.js';
import { S3Fixture } from '../support/s3-fixture.js';

const MIB = 1024 * 1024;

describe('output to a pipe closed early', () => {
  const fx = S3Fixture.use('closed-output');

  it('upload --json | head -1: the output stops quietly and every file is stored', async () => {
    const dir = join(fx.tmp.path, 'json');
    await mkdir(dir);
    await writeRandomFile(join(dir, 'big.bin'), 12 * MIB);
    for (let i = 0; i < 5; i += 1) await writeFile(join(dir, `s${i}.txt`), `small ${i}\n`);
    const proc = spawnCli(
      [
        'upload',
        dir,
        '--to',
        `s3://${fx.bucket.name}/json/`,
        '--endpoint-url',
        fx.info.endpoint,
        '--journal',
        join(fx.tmp.path, 'json.db'),
        '--part-size',
        '5MiB',
        '--multipart-threshold',
        '5MiB',
        '--bwlimit',
        '6MiB',
        '--json',
      ],
      cliEnv(fx.info),
    );
    let first = '';
    const { stdout } = proc.child;
    stdout?.on('data', (d: Buffer) => {
      first += d.toString('utf8');
      if (first.includes('\n')) stdout.destroy(); // what `head -1` does once it has its line
    });
    const res = await proc.result;
    assert.match(first, /^\{"type":/);
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /EPIPE|Error|at /);
    for (const name of ['big.bin', 's0.txt', 's4.txt']) {
      const got = await objectDigest(fx.client, fx.bucket.name, `json/${name}`);
      assert.equal(got.sha256, await fileSha256(join(dir, name)), name);
    }
  });

  it('upload 2>&1 | head -1 (human lines on standard error): the upload ends its work', async () => {
    const dir = join(fx.tmp.path, 'plain');
    await mkdir(dir);
    for (let i = 0; i < 40; i += 1) await writeFile(join(dir, `p${i}.txt`), `plain ${i}\n`);
    const proc = spawnCli(
      [
        'upload',
        dir,
        '--to',
        `s3://${fx.bucket.name}/plain/`,
        '--endpoint-url',
        fx.info.endpoint,
        '--journal',
        join(fx.tmp.path, 'plain.db'),
        '--concurrency',
        '1',
      ],
      cliEnv(fx.info),
    );
    proc.child.stderr?.destroy(); // closed before the first line is written
    const res = await proc.result;
    assert.equal(res.code, 0);
    const keys = (await listAllObjects(fx.client, fx.bucket.name)).map((o) => o.key);
    assert.equal(keys.filter((k) => k.startsWith('plain/')).length, 40);
  });

  it('doctor | head -1: the checks go on and leave no probe object behind', async () => {
    const proc = spawnCli(
      ['doctor', '--to', `s3://${fx.bucket.name}/doctor/`, '--endpoint-url', fx.info.endpoint],
      cliEnv(fx.info),
    );
    proc.child.stdout?.destroy(); // closed before the first line is written
    const res = await proc.result;
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /EPIPE|Error|at /);
    const left = (await listAllObjects(fx.client, fx.bucket.name)).filter((o) =>
      o.key.startsWith('doctor/'),
    );
    assert.deepEqual(left, [], 'the probe object was removed');
    assert.deepEqual(
      (await listAllMultipartUploads(fx.client, fx.bucket.name)).filter((u) =>
        u.key.startsWith('doctor/'),
      ),
      [],
    );
  });
});
