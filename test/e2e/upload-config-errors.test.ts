/**
 * Wrong configuration gets the exact cause, the fix, the documented exit code (3: destination),
 * and nothing is recorded as done.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { EXIT } from '../../src/errors/codes.js';
import { cliEnv, runCli, type CliResult } from '../support/cli.js';
import {
  createTestBucket,
  listAllObjects,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => {
    srv.close(() => {
      r();
    });
  });
  return port;
}

describe('wrong configuration', () => {
  let info: S3ServerInfo;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let file: string;

  before(async () => {
    info = await rgwServer();
    bucket = await createTestBucket(info, 'badcfg');
    tmp = await makeTmpDir('badcfg');
    file = join(tmp.path, 'f.txt');
    await writeFile(file, 'payload\n');
  });
  after(async () => {
    await bucket.cleanup();
    await tmp.cleanup();
  });

  async function upload(
    label: string,
    to: string,
    env: NodeJS.ProcessEnv,
    endpoint = info.endpoint,
    json = false,
  ): Promise<CliResult> {
    const journal = join(tmp.path, `${label}.db`);
    const res = await runCli(
      [
        'upload',
        file,
        '--to',
        to,
        '--endpoint-url',
        endpoint,
        '--journal',
        journal,
        ...(json ? ['--json'] : []),
      ],
      env,
    );
    // nothing is recorded as done
    const store = await SqliteJournalStore.open({ path: journal });
    try {
      assert.deepEqual(
        (await store.listHistory({ limit: 10 })).filter((h) => h.result === 'done'),
        [],
      );
    } finally {
      await store.close();
    }
    return res;
  }

  it('wrong secret key: SignatureDoesNotMatch, fix names the secret key', async () => {
    const res = await upload(
      'secret',
      `s3://${bucket.name}/x`,
      cliEnv(info, { AWS_SECRET_ACCESS_KEY: 'not-the-secret' }),
    );
    assert.equal(res.code, EXIT.destination, res.stderr + res.stdout);
    assert.match(res.stderr, /secret key does not match the access key \(SignatureDoesNotMatch\)/);
    assert.match(res.stderr, /fix: check the secret access key/);
    assert.doesNotMatch(
      res.stderr + res.stdout,
      /not-the-secret/,
      'the secret never appears in output',
    );
  });

  it('unknown access key: InvalidAccessKeyId, fix names the access key', async () => {
    const res = await upload(
      'akid',
      `s3://${bucket.name}/x`,
      cliEnv(info, { AWS_ACCESS_KEY_ID: 'AKIAUNKNOWNKEY000000' }),
    );
    assert.equal(res.code, EXIT.destination, res.stderr + res.stdout);
    assert.match(
      res.stderr,
      /access key is not known to http:\/\/127\.0\.0\.1:\d+ \(InvalidAccessKeyId\)/,
    );
    assert.match(res.stderr, /fix: check the credentials/);
  });

  it('missing bucket: NoSuchBucket, fix says create it or correct the name', async () => {
    const res = await upload(
      'nobucket',
      's3://s3ferry-no-such-bucket-here/x',
      cliEnv(info),
      info.endpoint,
      true,
    );
    assert.equal(res.code, EXIT.destination, res.stderr + res.stdout);
    const err = res.events.find((e) => e.type === 'error');
    assert.equal(err?.code, 'ERR_S3_NO_SUCH_BUCKET');
    assert.match(String(err.message), /bucket "s3ferry-no-such-bucket-here" does not exist/);
    assert.match(String(err.hint), /create the bucket/);
  });

  it('unreachable endpoint: says it cannot connect, fix names the endpoint URL', async () => {
    const port = await closedPort();
    const res = await upload(
      'unreach',
      `s3://${bucket.name}/x`,
      cliEnv(info),
      `http://127.0.0.1:${port}`,
    );
    assert.equal(res.code, EXIT.destination, res.stderr + res.stdout);
    assert.match(
      res.stderr,
      new RegExp(`cannot connect to http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`),
    );
    assert.match(res.stderr, /fix: check the endpoint URL/);
  });

  it('no credentials anywhere: says so and how to provide them', async () => {
    const env = cliEnv(info);
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    const res = await upload('nocreds', `s3://${bucket.name}/x`, { ...env, HOME: tmp.path });
    assert.equal(res.code, EXIT.destination, res.stderr + res.stdout);
    assert.match(res.stderr, /no AWS credentials were found/);
    assert.match(res.stderr, /fix: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  });

  it('bad command line: exit 2 with the option named', async () => {
    const res = await runCli(
      ['upload', file, '--to', 'not-a-url', '--journal', join(tmp.path, 'u.db')],
      cliEnv(info),
    );
    assert.equal(res.code, EXIT.usage, res.stderr);
    assert.match(res.stderr, /"not-a-url" is not an S3 URL/);
    /** `upload FILE --to s3://BUCKET ARGS`: must exit 2 and name `cause`. */
    const refused = async (args: string[], cause: RegExp): Promise<void> => {
      const res = await runCli(
        [
          'upload',
          file,
          '--to',
          `s3://${bucket.name}`,
          ...args,
          '--endpoint-url',
          info.endpoint,
          '--journal',
          join(tmp.path, 'u.db'),
        ],
        cliEnv(info),
      );
      assert.equal(res.code, EXIT.usage, res.stderr);
      assert.match(res.stderr, cause);
    };
    await refused(['--part-size', '1MiB'], /part size 1048576 is outside S3's limits/);
    await refused(
      ['--metadata', 'note=Café ☕'],
      /--metadata "note": metadata values must be printable ASCII/,
    );
  });

  it('nothing reached the bucket in any of these cases', async () => {
    const client = makeS3Client(info);
    try {
      assert.deepEqual(await listAllObjects(client, bucket.name), []);
    } finally {
      client.destroy();
    }
  });
});
