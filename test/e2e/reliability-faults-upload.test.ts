/**
 * `s3ferry upload` through the fault proxy (test/support/fault-proxy.ts) to the real RGW: connection
 * resets mid-request and mid-response, 500 / 503 SlowDown / 429 with S3 error bodies, truncated
 * answers, delays, random faults, and a server that accepts a request and never answers. In every
 * case each file arrives byte for byte, nothing else is written and no multipart upload is left.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { isProbeKey } from '../../src/domain/capabilities.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { buildS3Client } from '../../src/object-store/s3/s3-client.js';
import { S3ObjectTarget } from '../../src/object-store/s3/s3-object-target.js';
import { isAppError } from '../../src/errors/app-error.js';
import {
  cliEnv,
  fileSha256,
  objectDigest,
  runCli,
  spawnCli,
  type CliResult,
} from '../support/cli.js';
import { makeService } from '../support/engine.js';
import {
  startFaultProxy,
  type Fault,
  type FaultProxy,
  type S3Operation,
} from '../support/fault-proxy.js';
import {
  createTestBucket,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir, testId } from '../support/tmp.js';
import { deliveryProblems, writeSampleFiles } from '../support/torture/delivery.js';

const op =
  (...ops: S3Operation[]) =>
  (r: { operation: S3Operation }): boolean =>
    ops.includes(r.operation);

describe('s3ferry upload through network faults', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let files: string;

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'faults-upload');
    tmp = await makeTmpDir('faults-upload');
    files = join(tmp.path, 'files');
    await writeSampleFiles(files);
  });
  after(async () => {
    client.destroy();
    await bucket.cleanup();
    await tmp.cleanup();
  });

  type Rule = { match: (r: { operation: S3Operation }) => boolean; fault: Fault; times: number };

  /** Uploads the sample files through a fresh proxy set up by `setup`; checks the delivery. */
  async function uploadThrough(
    setup: Rule[] | ((p: FaultProxy) => void),
    extra: string[] = [],
  ): Promise<{ res: CliResult; proxy: FaultProxy }> {
    const proxy = await startFaultProxy(info.endpoint);
    try {
      if (typeof setup === 'function') setup(proxy);
      else for (const r of setup) proxy.addRule(r);
      const prefix = `${testId('up')}/`;
      const res = await runCli(
        [
          'upload',
          files,
          '--to',
          `s3://${bucket.name}/${prefix}`,
          '--endpoint-url',
          proxy.url,
          '--journal',
          join(tmp.path, `${testId('j')}.db`),
          '--part-size',
          '5MiB',
          '--concurrency',
          '4',
          '--json',
          ...extra,
        ],
        cliEnv(info),
      );
      assert.equal(res.code, 0, `exit ${String(res.code)}\n${res.stderr}\n${res.stdout}`);
      assert.deepEqual(await deliveryProblems(client, bucket.name, prefix, files), []);
      return { res, proxy };
    } finally {
      await proxy.close();
    }
  }

  const applied = (p: FaultProxy, fault: string, ops: S3Operation[]): void => {
    for (const o of ops)
      assert.ok(
        p.log.some((e) => e.fault === fault && e.operation === o),
        `${fault} was injected into ${o}`,
      );
  };

  it('recovers from connections reset mid-request and mid-response', async () => {
    const resetReq: Fault = { kind: 'reset-request' };
    const resetRes: Fault = { kind: 'reset-response' };
    const { res, proxy: p } = await uploadThrough([
      { match: op('UploadPart'), fault: resetReq, times: 2 },
      { match: op('PutObject'), fault: resetReq, times: 1 },
      { match: op('UploadPart'), fault: resetRes, times: 2 },
      { match: op('PutObject'), fault: resetRes, times: 1 },
      // the server created an upload whose id never reached us: an orphan to abort
      { match: op('CreateMultipartUpload'), fault: resetRes, times: 1 },
      // the server completed the object but we never heard it
      { match: op('CompleteMultipartUpload'), fault: resetRes, times: 1 },
    ]);
    applied(p, 'reset-request', ['UploadPart', 'PutObject']);
    applied(p, 'reset-response', [
      'UploadPart',
      'PutObject',
      'CreateMultipartUpload',
      'CompleteMultipartUpload',
    ]);
    assert.ok(res.events.some((e) => e.type === 'upload.retry' && e.code === 'ERR_NETWORK'));
  });

  it('retries 500 InternalError, 503 SlowDown, 429 and truncated answers', async () => {
    const { res, proxy: p } = await uploadThrough([
      { match: op('UploadPart'), fault: { kind: 'error', status: 503 }, times: 3 },
      { match: op('PutObject'), fault: { kind: 'error', status: 500 }, times: 2 },
      { match: op('CreateMultipartUpload'), fault: { kind: 'error', status: 429 }, times: 1 },
      { match: op('HeadObject'), fault: { kind: 'error', status: 503 }, times: 1 },
      { match: op('CompleteMultipartUpload'), fault: { kind: 'error', status: 500 }, times: 1 },
      { match: op('CreateMultipartUpload'), fault: { kind: 'truncate' }, times: 1 },
      { match: op('CompleteMultipartUpload'), fault: { kind: 'truncate' }, times: 1 },
      { match: op('PutObject', 'UploadPart'), fault: { kind: 'truncate' }, times: 2 },
    ]);
    applied(p, 'error', ['UploadPart', 'PutObject', 'CreateMultipartUpload']);
    applied(p, 'truncate', ['CreateMultipartUpload', 'CompleteMultipartUpload']);
    const codes = new Set(res.events.filter((e) => e.type === 'upload.retry').map((e) => e.code));
    assert.ok(codes.has('ERR_S3_THROTTLED'), [...codes].join());
    assert.ok(codes.has('ERR_S3_SERVER'), [...codes].join());
  });

  it('delivers through delays before requests and before answers', async () => {
    const { proxy: p } = await uploadThrough([
      { match: op('UploadPart'), fault: { kind: 'delay', ms: 1500 }, times: 2 },
      {
        match: op('PutObject', 'CompleteMultipartUpload'),
        fault: { kind: 'delay', ms: 1500, phase: 'response' },
        times: 3,
      },
    ]);
    applied(p, 'delay', ['UploadPart', 'PutObject']);
  });

  it('delivers through random faults of every kind but the blackhole', async () => {
    const faults: Fault[] = [
      { kind: 'reset-request' },
      { kind: 'reset-response' },
      { kind: 'truncate' },
      { kind: 'delay', ms: 300 },
      { kind: 'delay', ms: 300, phase: 'response' },
      { kind: 'error', status: 500 },
      { kind: 'error', status: 503 },
      { kind: 'error', status: 429 },
    ];
    // One upload makes a few dozen requests: at 20 % a seed may hit only one kind of fault. Each
    // round must deliver; rounds go on (a new seed each) until two kinds at least were injected.
    const counts: Record<string, number> = {};
    const seeds: number[] = [];
    for (let round = 0; round < 5 && Object.keys(counts).length < 2; round += 1) {
      const seed = randomInt(1, 2 ** 31);
      seeds.push(seed);
      const { proxy: p } = await uploadThrough((proxy) => {
        proxy.setRandom({ probability: 0.2, faults }, seed);
      }).catch((err: unknown) => {
        throw new Error(`random faults with seed ${seed}: ${String(err)}`, { cause: err });
      });
      for (const [kind, n] of Object.entries(p.faultCounts()))
        counts[kind] = (counts[kind] ?? 0) + n;
    }
    assert.ok(
      Object.keys(counts).length >= 2,
      `${JSON.stringify(counts)} with seeds ${seeds.join(', ')}`,
    );
  });

  it('a request the server never answers times out and is retried (blackhole)', async () => {
    const proxy = await startFaultProxy(info.endpoint);
    const journal = await SqliteJournalStore.open({ path: join(tmp.path, `${testId('bh')}.db`) });
    const target = new S3ObjectTarget({
      client: buildS3Client({
        endpoint: proxy.url,
        region: info.region,
        accessKeyId: info.accessKeyId,
        secretAccessKey: info.secretAccessKey,
        requestTimeoutMs: 2000,
      }),
      bucket: bucket.name,
      endpoint: proxy.url,
    });
    try {
      // alone: a HeadObject into the blackhole fails with a timeout, it does not hang
      proxy.addRule({ match: op('HeadObject'), fault: { kind: 'blackhole' }, times: 1 });
      const hung = new Promise<never>((_, reject) => {
        setTimeout(() => {
          reject(
            new Error('HeadObject still waiting after 30 s: the request timeout did not fire'),
          );
        }, 30_000).unref();
      });
      await assert.rejects(Promise.race([target.headObject('nothing-here'), hung]), (err) =>
        isAppError(err, 'ERR_S3_TIMEOUT'),
      );
      // in an upload: two parts and a Complete vanish; the retries deliver the file
      proxy.addRule({ match: op('UploadPart'), fault: { kind: 'blackhole' }, times: 2 });
      proxy.addRule({
        match: op('CompleteMultipartUpload'),
        fault: { kind: 'blackhole' },
        times: 1,
      });
      const service = makeService(target, journal);
      const file = join(files, 'big', 'e.bin');
      const key = `${testId('bh')}/e.bin`;
      const result = await service.upload({ path: file, key });
      await service.close();
      assert.equal(result.partCount, 4);
      assert.equal((await objectDigest(client, bucket.name, key)).sha256, await fileSha256(file));
      assert.equal(proxy.faultCounts().blackhole, 4);
    } finally {
      target.destroy();
      await journal.close();
      await proxy.close();
    }
  });

  it('a conditional PUT whose answer was lost is recognised as ours on retry, not as "exists"', async () => {
    const one = join(tmp.path, 'one');
    await writeSampleFiles(one, { 'only.txt': 5000 });
    const proxy = await startFaultProxy(info.endpoint);
    try {
      // the server stores the object; the client sees a reset and retries If-None-Match: *
      // (the capability probe before it, on a scratch key of its own, is left alone)
      proxy.addRule({
        match: (r) => op('PutObject')(r) && !isProbeKey(r.key),
        fault: { kind: 'reset-response' },
        times: 1,
      });
      const prefix = `${testId('inm')}/`;
      const res = await runCli(
        [
          'upload',
          one,
          '--to',
          `s3://${bucket.name}/${prefix}`,
          '--endpoint-url',
          proxy.url,
          '--journal',
          join(tmp.path, `${testId('j')}.db`),
          '--if-none-match',
          '--json',
        ],
        cliEnv(info),
      );
      assert.equal(res.code, 0, `exit ${String(res.code)}\n${res.stderr}\n${res.stdout}`);
      assert.equal(
        proxy.log.find((e) => e.operation === 'PutObject' && !isProbeKey(e.key))?.upstreamStatus,
        200,
      );
      assert.deepEqual(await deliveryProblems(client, bucket.name, prefix, one), []);
    } finally {
      await proxy.close();
    }
  });

  it('a kill after the server completed the upload, before the journal knew, sends no part again', async () => {
    const one = join(tmp.path, 'complete-gap');
    await writeSampleFiles(one, { 'big.bin': 16 * 1024 * 1024 });
    const proxy = await startFaultProxy(info.endpoint);
    const journal = join(tmp.path, `${testId('gap')}.db`);
    const prefix = `${testId('gap')}/`;
    const args = [
      'upload',
      one,
      '--to',
      `s3://${bucket.name}/${prefix}`,
      '--endpoint-url',
      proxy.url,
      '--journal',
      journal,
      '--part-size',
      '5MiB',
      '--json',
    ];
    try {
      // the server completes the object; its answer is held until the client is killed
      proxy.addRule({
        match: op('CompleteMultipartUpload'),
        fault: { kind: 'delay', ms: 60_000, phase: 'response' },
        times: 1,
      });
      const first = spawnCli(args, cliEnv(info));
      await proxy.waitFor(
        (e) => e.operation === 'CompleteMultipartUpload' && e.upstreamStatus === 200,
      );
      first.child.kill('SIGKILL');
      assert.equal((await first.result).signal, 'SIGKILL');
      proxy.session = 1;
      const res = await runCli(args, cliEnv(info));
      assert.equal(res.code, 0, `exit ${String(res.code)}\n${res.stderr}\n${res.stdout}`);
      const resent = proxy.log.filter((e) => e.session === 1 && e.operation === 'UploadPart');
      assert.deepEqual(
        resent.map((e) => e.partNumber),
        [],
        'the parts of a completed upload are not sent again',
      );
      assert.deepEqual(await deliveryProblems(client, bucket.name, prefix, one), []);
    } finally {
      await proxy.close();
    }
  });
});
