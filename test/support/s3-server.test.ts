/**
 * The test servers themselves: the shared RGW, a dedicated RGW whose gateway is killed and
 * restarted (objects kept), and Swift's s3api when enabled.
 */
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, writeFile } from 'node:fs/promises';
import { after, describe, test } from 'node:test';
import {
  createTestBucket,
  isConnectionError,
  listAllMultipartUploads,
  listAllObjects,
  makeS3Client,
  rgwServer,
  startDedicatedRgw,
  swiftServer,
  type S3ServerInfo,
} from './s3-server.js';
import { makeTmpDir, testId } from './tmp.js';

async function getBytes(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  assert.ok(res.Body, 'GetObject returned no body');
  return Buffer.from(await res.Body.transformToByteArray());
}

async function roundTrip(info: S3ServerInfo, label: string): Promise<void> {
  const client = makeS3Client(info);
  const bucket = await createTestBucket(info, label);
  try {
    assert.match(bucket.name, /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    const body = randomBytes(100_000);
    const key = `${testId('obj')}/data.bin`;
    await client.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: body }));
    assert.deepEqual(await getBytes(client, bucket.name, key), body);
    const objects = await listAllObjects(client, bucket.name);
    assert.deepEqual(
      objects.map((o) => [o.key, o.size]),
      [[key, body.length]],
    );
    assert.match(objects[0]!.etag, /^"[0-9a-f]{32}"$/);
    assert.deepEqual(await listAllMultipartUploads(client, bucket.name), []);
  } finally {
    await bucket.cleanup();
  }
  // cleanup removed the bucket and is idempotent
  await assert.rejects(
    client.send(new HeadBucketCommand({ Bucket: bucket.name })),
    (err: Error) => err.name === 'NotFound',
  );
  await bucket.cleanup();
  client.destroy();
}

void describe('test S3 servers', () => {
  void test('shared RGW: PUT then GET returns the same bytes', async () => {
    await roundTrip(await rgwServer(), 'support-rgw');
  });

  void test('bucket names are unique, lowercase and at most 63 characters', async () => {
    const info = await rgwServer();
    const a = await createTestBucket(
      info,
      'A Very_Long.Label/with-CAPITALS-and-symbols-that-goes-on-and-on-and-on',
    );
    const b = await createTestBucket(
      info,
      'A Very_Long.Label/with-CAPITALS-and-symbols-that-goes-on-and-on-and-on',
    );
    try {
      assert.notEqual(a.name, b.name);
      for (const name of [a.name, b.name]) {
        assert.ok(name.length <= 63, name);
        assert.match(name, /^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
      }
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });

  void test('bucket cleanup aborts multipart uploads and deletes every object', async () => {
    const info = await rgwServer();
    const client = makeS3Client(info);
    const bucket = await createTestBucket(info, 'support-cleanup');
    try {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          client.send(new PutObjectCommand({ Bucket: bucket.name, Key: `k/${i}`, Body: `v${i}` })),
        ),
      );
      await client.send(new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: 'mp' }));
      assert.equal((await listAllObjects(client, bucket.name)).length, 30);
      assert.equal((await listAllMultipartUploads(client, bucket.name)).length, 1);
    } finally {
      await bucket.cleanup();
    }
    await assert.rejects(
      client.send(new HeadBucketCommand({ Bucket: bucket.name })),
      (err: Error) => err.name === 'NotFound',
    );
    client.destroy();
  });

  void test('tmp dirs are unique and removed by cleanup', async () => {
    const a = await makeTmpDir('support tmp');
    const b = await makeTmpDir('support tmp');
    assert.notEqual(a.path, b.path);
    await writeFile(`${a.path}/f`, 'x');
    await a.cleanup();
    await b.cleanup();
    await assert.rejects(access(a.path));
    assert.notEqual(testId('x'), testId('x'));
  });

  void test(
    'dedicated RGW: objects survive a killed and restarted gateway',
    { timeout: 300_000 },
    async () => {
      const rgw = await startDedicatedRgw('support-selftest');
      after(() => rgw.stop());
      const shared = await rgwServer();
      assert.notEqual(rgw.endpoint, shared.endpoint);

      const client = makeS3Client(rgw);
      const bucket = await createTestBucket(rgw, 'support-outage');
      const body = randomBytes(64 * 1024);
      await client.send(new PutObjectCommand({ Bucket: bucket.name, Key: 'kept', Body: body }));

      await rgw.killGateway();
      await assert.rejects(getBytes(client, bucket.name, 'kept'), (err: unknown) => {
        assert.ok(isConnectionError(err), `expected a connection error, got ${String(err)}`);
        return true;
      });
      // cleanup against a dead gateway is silent (and can be retried later)
      await bucket.cleanup();

      await rgw.startGateway();
      const fresh = makeS3Client(rgw);
      assert.deepEqual(await getBytes(fresh, bucket.name, 'kept'), body);
      await bucket.cleanup();
      await assert.rejects(
        fresh.send(new HeadBucketCommand({ Bucket: bucket.name })),
        (err: Error) => err.name === 'NotFound',
      );

      fresh.destroy();
      client.destroy();
      await rgw.stop();
      await assert.rejects(
        makeS3Client(rgw).send(new HeadBucketCommand({ Bucket: bucket.name })),
        (err: unknown) => isConnectionError(err),
      );
    },
  );

  const swift = swiftServer();
  void test(
    'Swift s3api: PUT then GET returns the same bytes',
    { skip: swift === undefined ? 'Swift not enabled (set CI or S3FERRY_TEST_SWIFT=1)' : false },
    async () => {
      await roundTrip(swift!, 'support-swift');
    },
  );
});
