/**
 * A user who gives only --endpoint-url of Swift's S3 layer gets working uploads (single and
 * multipart) with no further setting. Runs where Swift runs (CI, or S3FERRY_TEST_SWIFT=1).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliEnv, fileSha256, objectDigest, runCli, writeRandomFile } from '../support/cli.js';
import { createTestBucket, makeS3Client, swiftServer } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const swift = swiftServer();

describe(
  'upload to Swift s3api',
  { skip: swift === undefined ? 'Swift is not running (set S3FERRY_TEST_SWIFT=1)' : false },
  () => {
    it('uploads small and multipart files with only --endpoint-url', async () => {
      if (swift === undefined) return;
      const bucket = await createTestBucket(swift, 'swift-upload');
      const tmp = await makeTmpDir('swift-upload');
      const client = makeS3Client(swift);
      try {
        await writeFile(join(tmp.path, 'small.txt'), 'small\n');
        await writeRandomFile(join(tmp.path, 'big.bin'), 20 * 1024 * 1024);
        const res = await runCli(
          [
            'upload',
            join(tmp.path, 'small.txt'),
            join(tmp.path, 'big.bin'),
            '--to',
            `s3://${bucket.name}/s`,
            '--endpoint-url',
            swift.endpoint,
            '--journal',
            join(tmp.path, 'j.db'),
          ],
          cliEnv(swift),
        );
        assert.equal(res.code, 0, res.stderr);
        for (const name of ['small.txt', 'big.bin']) {
          assert.equal(
            (await objectDigest(client, bucket.name, `s/${name}`)).sha256,
            await fileSha256(join(tmp.path, name)),
          );
        }
      } finally {
        client.destroy();
        await bucket.cleanup();
        await tmp.cleanup();
      }
    });
  },
);
