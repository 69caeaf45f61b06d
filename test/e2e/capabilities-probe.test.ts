/**
 * The capability probe (object-store/s3/s3-capabilities.ts) against the real stores, whose answers
 * differ: Ceph RGW on a plain bucket, on a bucket with Object Lock (versioned: RGW stores a second
 * version under `If-None-Match: *` instead of refusing it), on one with a default retention, and
 * Swift's s3api where it runs (no conditional PUT, no tags). Each probe is counted in a fault
 * proxy's log (a few requests, on its scratch key only) and leaves nothing in the bucket.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { isProbeKey, probeKey, type EndpointCapabilities } from '../../src/domain/capabilities.js';
import { buildS3Connection } from '../../src/object-store/s3/s3-client.js';
import { S3ObjectTarget } from '../../src/object-store/s3/s3-object-target.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { createLockedBucket, listVersions, type LockedBucket } from '../support/object-lock.js';
import {
  createTestBucket,
  listAllObjects,
  makeS3Client,
  rgwServer,
  swiftServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { testId } from '../support/tmp.js';

/** A target of `bucket` through `proxy` (direct path and SDK, as the agent builds it). */
function targetVia(proxy: FaultProxy, info: S3ServerInfo, bucket: string): S3ObjectTarget {
  const { client, direct } = buildS3Connection({
    endpoint: proxy.url,
    region: info.region,
    accessKeyId: info.accessKeyId,
    secretAccessKey: info.secretAccessKey,
  });
  return new S3ObjectTarget({ client, direct, bucket, endpoint: proxy.url });
}

/** Probes `bucket` through a counting proxy: the answer and the requests it cost. */
async function probe(
  info: S3ServerInfo,
  bucket: string,
): Promise<{ caps: EndpointCapabilities; leftover?: string; requests: string[]; key: string }> {
  const proxy = await startFaultProxy(info.endpoint);
  const target = targetVia(proxy, info, bucket);
  try {
    const key = probeKey(`${testId('p')}/`, 'x');
    const { capabilities, leftover } = await target.probeCapabilities(key, Date.now());
    const requests = proxy.log.map(
      (e) =>
        `${e.method} ${e.key === '' ? 'bucket' : isProbeKey(e.key) ? 'scratch' : e.key} ${e.status}`,
    );
    assert.ok(
      proxy.log.every((e) => e.key === '' || e.key === key),
      'only the scratch key is written',
    );
    return { caps: capabilities, ...(leftover === undefined ? {} : { leftover }), requests, key };
  } finally {
    target.destroy();
    await proxy.close();
  }
}

describe('capability probe', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let plain: { name: string; cleanup(): Promise<void> };
  let locked: LockedBucket;
  let retained: LockedBucket;

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    plain = await createTestBucket(info, 'caps-plain');
    locked = await createLockedBucket(info, 'caps-lock');
    retained = await createLockedBucket(info, 'caps-default', 1);
  });

  after(async () => {
    await plain.cleanup();
    await locked.cleanup();
    await retained.cleanup();
    client.destroy();
  });

  it('Ceph RGW, a plain bucket: conditional PUT and tags, no Object Lock; four requests', async () => {
    const { caps, leftover, requests } = await probe(info, plain.name);
    assert.deepEqual(caps, {
      conditionalPut: true,
      tagging: true,
      objectLock: false,
      versioning: false,
      checksumCrc32: false,
      md5Etags: true,
    });
    assert.equal(leftover, undefined);
    assert.deepEqual(requests, [
      'GET bucket 404', // GetObjectLockConfiguration: none
      'PUT scratch 200', // with tags and a CRC32: accepted
      'PUT scratch 412', // If-None-Match: * on the taken key: refused
      'DELETE scratch 204',
    ]);
    assert.deepEqual(await listAllObjects(client, plain.name), []);
  });

  it('Ceph RGW, a bucket with Object Lock: versioned, and If-None-Match: * is not kept', async () => {
    const { caps, leftover, requests } = await probe(info, locked.name);
    assert.deepEqual(caps, {
      conditionalPut: false,
      tagging: true,
      objectLock: true,
      versioning: true,
      checksumCrc32: false,
      md5Etags: true,
    });
    assert.equal(leftover, undefined);
    // the conditional PUT made a second version: both are removed, by their ids
    assert.deepEqual(requests, [
      'GET bucket 200',
      'PUT scratch 200',
      'PUT scratch 200',
      'DELETE scratch 204',
      'DELETE scratch 204',
    ]);
    assert.deepEqual(await listVersions(client, locked.name), [], 'no version, no delete marker');
  });

  it('Ceph RGW, a bucket that retains new objects by default: the scratch objects still go', async () => {
    const { caps, leftover } = await probe(info, retained.name);
    assert.equal(caps.objectLock, true);
    assert.equal(leftover, undefined);
    assert.deepEqual(await listVersions(client, retained.name), []);
  });

  const swift = swiftServer();
  it(
    "Swift's s3api: no conditional PUT, no tags, no Object Lock, MD5 ETags",
    { skip: swift === undefined ? 'Swift runs with CI=1 or S3FERRY_TEST_SWIFT=1' : false },
    async () => {
      assert.ok(swift !== undefined);
      const bucket = await createTestBucket(swift, 'caps-swift');
      const swiftClient = makeS3Client(swift);
      try {
        const { caps, leftover, requests } = await probe(swift, bucket.name);
        assert.deepEqual(caps, {
          conditionalPut: false,
          tagging: false,
          objectLock: false,
          versioning: false,
          checksumCrc32: false,
          md5Etags: true,
        });
        assert.equal(leftover, undefined);
        assert.deepEqual(requests, [
          'GET bucket 200', // an empty Object Lock configuration
          'PUT scratch 501', // tags (and a CRC32): "Object tagging is not supported"
          'PUT scratch 501', // tags alone
          'PUT scratch 200', // neither
          'PUT scratch 501', // If-None-Match: * : "Conditional object PUTs are not supported"
          'DELETE scratch 204',
        ]);
        assert.deepEqual(await listAllObjects(swiftClient, bucket.name), []);
      } finally {
        swiftClient.destroy();
        await bucket.cleanup();
      }
    },
  );
});
