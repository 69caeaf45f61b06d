/**
 * The ObjectTarget conformance suite over HTTPS with virtual-hosted addressing (BUCKET.s3.test,
 * resolved inside the process, verified with a CA of the test's own making), on both request paths;
 * and the addressing itself: the direct path sends to the bucket's own name, and a bucket name that
 * cannot be a host label goes path-style, as the SDK sends it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
} from '@aws-sdk/client-s3';
import { md5HexToBase64 } from '../../src/domain/etag.js';
import { buildS3Connection } from '../../src/object-store/s3/s3-client.js';
import { md5Hex } from '../../src/transfer/upload-run.js';
import { runTargetConformance } from '../conformance/object-target-conformance.js';
import {
  createTestBucket,
  makeS3Client,
  tlsRgwServer,
  type S3ServerInfo,
  type TlsAccess,
} from '../support/s3-server.js';

runTargetConformance('rgw-tls-virtual-hosted', tlsRgwServer, {
  conditionalPut: true,
  maxPartNumber: 10_000,
  listPartsGoneAfterComplete: true,
  unknownKeyCode: 'ERR_S3_UNKNOWN_ACCESS_KEY',
  storesCannedAcl: true,
});

describe('direct requests over TLS, virtual-hosted', () => {
  let info: S3ServerInfo & { client: TlsAccess };
  before(async () => {
    info = await tlsRgwServer();
  });

  const connect = (resolve: readonly { host: string; address: string }[]) =>
    buildS3Connection({
      endpoint: info.client.endpoint,
      forcePathStyle: false,
      region: info.region,
      accessKeyId: info.accessKeyId,
      secretAccessKey: info.secretAccessKey,
      ca: info.client.ca,
      resolve,
    });
  const body = Buffer.from('over TLS\n');
  const put = { key: 'tls/a b.txt', body, contentMd5: md5HexToBase64(md5Hex(body)) };

  it('sends PutObject and HeadObject itself, to the name BUCKET.s3.test', async () => {
    const bucket = await createTestBucket(info, 'tls-vhost');
    // Only the bucket's own name resolves: a request to s3.test itself (path-style) could not
    // connect, so an answer proves the addressing.
    const host = new URL(info.client.endpoint).hostname;
    const { client, direct } = connect([{ host: `${bucket.name}.${host}`, address: '127.0.0.1' }]);
    try {
      assert.ok(direct !== undefined);
      const answer = await direct.putObject(bucket.name, put);
      assert.equal(
        answer?.etag,
        md5Hex(body),
        'answered by the direct path, not handed to the SDK',
      );
      const head = await direct.headObject(bucket.name, put.key);
      assert.equal(head?.size, body.length);
      const raw = makeS3Client(info);
      try {
        const out = await raw.send(new HeadObjectCommand({ Bucket: bucket.name, Key: put.key }));
        assert.equal(out.ContentLength, body.length);
      } finally {
        raw.destroy();
      }
    } finally {
      client.destroy();
      await bucket.cleanup();
    }
  });

  it('a bucket name with dots goes path-style (*.s3.test cannot cover it), as the SDK does', async () => {
    const name = `s3f.dots-${process.pid}-${randomBytes(3).toString('hex')}`;
    const raw = makeS3Client(info);
    await raw.send(new CreateBucketCommand({ Bucket: name }));
    const { client, direct } = connect(info.client.resolve);
    try {
      assert.ok(direct !== undefined);
      // virtual-hosted, the name would be NAME.s3.test: a certificate for *.s3.test does not hold it
      assert.equal((await direct.putObject(name, put))?.etag, md5Hex(body));
      assert.equal((await direct.headObject(name, put.key))?.size, body.length);
    } finally {
      client.destroy();
      await raw
        .send(new DeleteObjectCommand({ Bucket: name, Key: put.key }))
        .catch(() => undefined);
      await raw.send(new DeleteBucketCommand({ Bucket: name }));
      raw.destroy();
    }
  });
});
