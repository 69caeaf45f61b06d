/**
 * The S3 gateway dies mid-upload and comes back: the running upload retries through the outage and
 * completes, verified. Uses a dedicated RGW cluster so the shared one is never disturbed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { cliEnv, fileSha256, objectDigest, spawnCli, writeRandomFile } from '../support/cli.js';
import { waitForParts } from '../support/journal-watch.js';
import {
  createTestBucket,
  listAllMultipartUploads,
  makeS3Client,
  startDedicatedRgw,
  type DedicatedRgw,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const MIB = 1024 * 1024;

describe('gateway outage during an upload', () => {
  let rgw: DedicatedRgw;
  let tmp: { path: string; cleanup(): Promise<void> };

  before(async () => {
    rgw = await startDedicatedRgw(`outage-${process.pid}`);
    tmp = await makeTmpDir('outage');
  });
  after(async () => {
    await rgw.stop();
    await tmp.cleanup();
  });

  it('retries while the gateway is down and completes once it is back', async () => {
    const bucket = await createTestBucket(rgw, 'outage');
    const client = makeS3Client(rgw);
    try {
      const file = join(tmp.path, 'big.bin');
      const journal = join(tmp.path, 'j.db');
      await writeRandomFile(file, 96 * MIB);
      const proc = spawnCli(
        [
          'upload',
          file,
          '--to',
          `s3://${bucket.name}/o/`,
          '--endpoint-url',
          rgw.endpoint,
          '--journal',
          journal,
          '--part-size',
          '5MiB',
          '--concurrency',
          '4',
          '--bwlimit',
          '24MiB',
          '--json',
        ],
        cliEnv(rgw),
      );
      await waitForParts(journal, 3);
      await rgw.killGateway();
      await sleep(3000); // the upload meets refused connections for a while
      await rgw.startGateway();
      const res = await proc.result;
      assert.equal(res.code, 0, res.stderr + res.stdout);
      const retries = res.events.filter((e) => e.type === 'upload.retry');
      assert.ok(retries.length > 0, 'the outage was met and retried');
      assert.ok(
        retries.some((e) => e.code === 'ERR_S3_ENDPOINT_UNREACHABLE' || e.code === 'ERR_NETWORK'),
      );
      const got = await objectDigest(client, bucket.name, 'o/big.bin');
      assert.equal(got.sha256, await fileSha256(file));
      assert.deepEqual(await listAllMultipartUploads(client, bucket.name), []);
    } finally {
      client.destroy();
      await bucket.cleanup();
    }
  });
});
