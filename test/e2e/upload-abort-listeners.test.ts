/**
 * `s3ferry upload` of several multipart files at once: every upload, request, slot wait and sleep
 * listens to the one Ctrl-C signal; they must not pile up on it (Node prints
 * MaxListenersExceededWarning past 10 listeners, which is what users saw before).
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { cliEnv, fileSha256, objectDigest, runCli, writeRandomFile } from '../support/cli.js';
import {
  createTestBucket,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const MIB = 1024 * 1024;
const FILES = 8;

describe('upload of many parts at once', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let dir: string;

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'abort-listeners');
    tmp = await makeTmpDir('abort-listeners');
    dir = join(tmp.path, 'files');
    await mkdir(dir);
    for (let i = 0; i < FILES; i++) await writeRandomFile(join(dir, `f${i}.bin`), 16 * MIB + i);
  });
  after(async () => {
    await bucket.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  for (const concurrency of ['6', '16']) {
    it(`prints no MaxListenersExceededWarning at --concurrency ${concurrency}`, async () => {
      const prefix = `c${concurrency}`;
      const res = await runCli(
        [
          'upload',
          dir,
          '--to',
          `s3://${bucket.name}/${prefix}/`,
          '--endpoint-url',
          info.endpoint,
          '--part-size',
          '5MiB',
          '--multipart-threshold',
          '5MiB',
          '--concurrency',
          concurrency,
          '--journal',
          join(tmp.path, `${prefix}.db`),
        ],
        cliEnv(info, { NODE_OPTIONS: '--trace-warnings' }),
      );
      assert.equal(res.code, 0, res.stderr);
      assert.doesNotMatch(res.stderr, /MaxListenersExceededWarning/);
      assert.doesNotMatch(res.stderr, /Warning/);
      for (let i = 0; i < FILES; i++) {
        const got = await objectDigest(client, bucket.name, `${prefix}/f${i}.bin`);
        assert.equal(got.sha256, await fileSha256(join(dir, `f${i}.bin`)));
      }
    });
  }
});
