/**
 * `s3ferry upload - --to s3://BUCKET/KEY`: standard input from a real process through a real pipe
 * (`sh -c 'producer | s3ferry upload -'`), streamed in parts of --part-size with bounded memory;
 * a short stream goes in one PUT; an interrupted stream upload is aborted and says that it
 * cannot resume.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { EXIT } from '../../src/errors/codes.js';
import { CLI_PATH, cliEnv, fileSha256, objectDigest } from '../support/cli.js';
import { listAllMultipartUploads } from '../support/s3-server.js';
import { S3Fixture } from '../support/s3-fixture.js';

const MIB = 1024 * 1024;
const q = (a: string): string => `'${a.replace(/'/g, "'\\''")}'`;

describe('upload from standard input', () => {
  const fx = S3Fixture.use('stdin');

  /**
   * Runs `producer | s3ferry upload - --to s3://bucket/KEY ARGS`: the producer is a shell command,
   * its stdout the CLI's stdin, one OS pipe between the two processes.
   */
  function pipeline(producer: string, key: string, args: string[] = []) {
    const source = spawn('sh', ['-c', producer], { stdio: ['ignore', 'pipe', 'inherit'] });
    const child = spawn(
      process.execPath,
      [CLI_PATH, 'upload', '-', '--to', `s3://${fx.bucket.name}/${key}`]
        .concat(['--endpoint-url', fx.info.endpoint, '--journal', join(fx.tmp.path, 'j.db')])
        .concat(args),
      { env: cliEnv(fx.info), stdio: [source.stdout, 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const done = (async () => {
      const [code] = (await once(child, 'close')) as [number | null];
      source.kill();
      return { code, stdout, stderr };
    })();
    return { child, done };
  }

  it('streams a large input in parts of --part-size, byte for byte', async () => {
    const copy = join(fx.tmp.path, 'big.copy');
    const size = 23 * MIB + 12_345; // 5 parts of 5 MiB, the last short
    const { done } = pipeline(`head -c ${size} /dev/urandom | tee ${q(copy)}`, 'streams/big.bin', [
      '--part-size',
      '5MiB',
      '--part-buffers',
      '2',
      '--json',
    ]);
    const res = await done;
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const got = await objectDigest(fx.client, fx.bucket.name, 'streams/big.bin');
    assert.equal(got.size, size);
    assert.equal(got.sha256, await fileSha256(copy));
    const head = await fx.client.send(
      new HeadObjectCommand({ Bucket: fx.bucket.name, Key: 'streams/big.bin' }),
    );
    assert.match(head.ETag ?? '', /-5"$/, 'sent in 5 parts');
    const started = res.stdout.split('\n').find((l) => l.includes('"upload.started"')) ?? '';
    assert.match(started, /in parts of 5\.00 MiB, at most 48\.8 GiB/);
  });

  it('a short input goes in one PUT, and its content type comes from the key', async () => {
    const { done } = pipeline(`printf 'hello from a pipe\\n'`, 'streams/hello.txt');
    const res = await done;
    assert.equal(res.code, 0, res.stderr);
    const got = await objectDigest(fx.client, fx.bucket.name, 'streams/hello.txt');
    assert.equal(got.size, 'hello from a pipe\n'.length);
    const head = await fx.client.send(
      new HeadObjectCommand({ Bucket: fx.bucket.name, Key: 'streams/hello.txt' }),
    );
    assert.doesNotMatch(head.ETag ?? '', /-/);
    assert.equal(head.ContentType, 'text/plain');
    assert.match(res.stderr, /uploaded 1 of 1 files, 18 B/);
  });

  it('needs a key; - goes alone', async () => {
    const noKey = await pipeline('echo x', 'streams/').done;
    assert.equal(noKey.code, EXIT.usage);
    assert.match(noKey.stderr, /names no object[\s\S]*fix: name the object of standard input/);
  });

  it('interrupted, the stream upload is aborted and says that it cannot resume', async () => {
    // a producer that sends 12 MiB, then goes silent until killed
    const { child, done } = pipeline(
      `{ head -c ${12 * MIB} /dev/zero; sleep 60; }`,
      'streams/cut.bin',
      ['--part-size', '5MiB'],
    );
    // wait until the upload is under way: its first parts are being sent
    for (let i = 0; i < 600; i += 1) {
      const open = await listAllMultipartUploads(fx.client, fx.bucket.name);
      if (open.some((u) => u.key === 'streams/cut.bin')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    const res = await done;
    assert.equal(res.code, EXIT.interrupted, res.stderr);
    assert.match(res.stderr, /interrupted: standard input cannot resume: its upload was aborted/);
    const left = (await listAllMultipartUploads(fx.client, fx.bucket.name)).filter(
      (u) => u.key === 'streams/cut.bin',
    );
    assert.deepEqual(left, [], 'nothing is left on the server');
    const objects = await fx.client
      .send(new HeadObjectCommand({ Bucket: fx.bucket.name, Key: 'streams/cut.bin' }))
      .then(
        () => 'stored',
        () => 'absent',
      );
    assert.equal(objects, 'absent', 'a stream cut short is never published');
  });
});
