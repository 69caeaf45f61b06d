/**
 * What "verified" costs in requests (DESIGN.md item 9), counted in the fault proxy's request log
 * against the real RGW: one PUT per small object and no HeadObject, for `s3ferry upload` and for
 * the agent; a HeadObject only where the store's answer does not prove the bytes (RGW's
 * CompleteMultipartUpload answers an empty ETag), where `verify: head` is set, or where a store
 * turns out not to use MD5 ETags.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort, startAgentProcess, waitFor } from '../support/agent-process.js';
import { cliEnv, objectDigest, runCli, type CliResult } from '../support/cli.js';
import { startFaultProxy, type FaultProxy, type S3Operation } from '../support/fault-proxy.js';
import { isProbeKey } from '../../src/domain/capabilities.js';
import { S3Fixture } from '../support/s3-fixture.js';
import { testId } from '../support/tmp.js';
import { deliveryProblems, writeSampleFiles } from '../support/torture/delivery.js';

const SMALL_FILES = 12;
const MIB = 1024 * 1024;
/** An MD5-shaped ETag no content here has. */
const OTHER_MD5 = '0123456789abcdef0123456789abcdef';
/** An ETag that is no MD5 (a store with its own scheme). */
const OPAQUE = 'rgw-opaque.etag.7';

const op =
  (...ops: S3Operation[]) =>
  (r: { operation: S3Operation }): boolean =>
    ops.includes(r.operation);

/** The upload.finished events of a --json run. */
function finished(res: CliResult): Record<string, unknown>[] {
  return res.events.filter((e) => e.type === 'upload.finished');
}

/** `n` files of 4 KiB: f-0.bin ... */
function smallFiles(n: number): Record<string, number> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`f-${i}.bin`, 4096]));
}

/**
 * The operations the proxy saw on each object key under `prefix`, in order; the capability probe's
 * scratch key (the agent's, at its start) is counted apart: {@link probeRequests}.
 */
function requestsByKey(proxy: FaultProxy, prefix: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of proxy.log) {
    if (!e.key.startsWith(prefix) || isProbeKey(e.key)) continue;
    out.set(e.key, [...(out.get(e.key) ?? []), e.operation]);
  }
  return out;
}

/** The requests of the capability probes under `prefix`: method, scratch or bucket, status. */
function probeRequests(proxy: FaultProxy, prefix: string): string[] {
  return proxy.log
    .filter((e) =>
      e.key === '' ? e.operation !== 'HeadBucket' : isProbeKey(e.key) && e.key.startsWith(prefix),
    )
    .map((e) => `${e.operation} ${e.status}`);
}

describe('requests per object', () => {
  const fx = S3Fixture.use('verify-requests');

  async function upload(proxy: FaultProxy, dir: string, prefix: string, ...extra: string[]) {
    const res = await runCli(
      [
        'upload',
        dir,
        '--to',
        `s3://${fx.bucket.name}/${prefix}`,
        '--endpoint-url',
        proxy.url,
        '--journal',
        join(fx.tmp.path, `${testId('j')}.db`),
        '--part-size',
        '5MiB',
        '--multipart-threshold',
        '5MiB',
        '--json',
        ...extra,
      ],
      cliEnv(fx.info),
    );
    return res;
  }

  it('s3ferry upload: one PUT per small file, no HEAD', async () => {
    const dir = join(fx.tmp.path, testId('cli'));
    await writeSampleFiles(dir, smallFiles(SMALL_FILES));
    const proxy = await startFaultProxy(fx.info.endpoint);
    try {
      const prefix = `${testId('cli')}/`;
      const res = await upload(proxy, dir, prefix);
      assert.equal(res.code, 0, res.stderr + res.stdout);
      const seen = requestsByKey(proxy, prefix);
      assert.equal(seen.size, SMALL_FILES);
      for (const [key, ops] of seen) assert.deepEqual(ops, ['PutObject'], key);
      assert.deepEqual(
        finished(res).map((e) => e.verifiedBy),
        Array.from({ length: SMALL_FILES }, () => 'etag'),
      );
      assert.deepEqual(await deliveryProblems(fx.client, fx.bucket.name, prefix, dir), []);
    } finally {
      await proxy.close();
    }
  });

  it('the agent: one PUT per small file, no HEAD (overwrite: never, by a conditional PUT)', async () => {
    const dir = join(fx.tmp.path, testId('agent'));
    const inbox = join(dir, 'inbox');
    await mkdir(inbox, { recursive: true });
    await writeSampleFiles(inbox, smallFiles(SMALL_FILES));
    const proxy = await startFaultProxy(fx.info.endpoint);
    const prefix = `${testId('agent')}/`;
    const yaml = `api:
  port: ${await freePort()}
journal: ${JSON.stringify(join(dir, 'journal.db'))}
jobs:
  - name: counted
    sources: [${JSON.stringify(inbox)}]
    settle: 300ms
    destination:
      bucket: ${fx.bucket.name}
      prefix: ${prefix}
      endpoint: ${proxy.url}
`;
    const agent = await startAgentProcess(dir, yaml, fx.info);
    try {
      await waitFor(
        `all ${SMALL_FILES} files done`,
        async () =>
          (await agent.api<{ files: Record<string, number> }>('GET', '/api/v1/status')).files
            .done === SMALL_FILES,
      );
    } finally {
      await agent.stop();
      await proxy.close();
    }
    const seen = requestsByKey(proxy, prefix);
    assert.equal(seen.size, SMALL_FILES);
    for (const [key, ops] of seen) assert.deepEqual(ops, ['PutObject'], key);
    // once per agent start, not per file: what the store accepts (a scratch key, removed)
    assert.deepEqual(probeRequests(proxy, prefix), [
      'ListObjects 404', // GetObjectLockConfiguration (a bucket GET): none
      'PutObject 200',
      'PutObject 412',
      'DeleteObject 204',
    ]);
    assert.deepEqual(await deliveryProblems(fx.client, fx.bucket.name, prefix, inbox), []);
  });

  it('a multipart object on RGW: Complete answers no ETag, so one HEAD verifies it', async () => {
    const dir = join(fx.tmp.path, testId('mp'));
    await writeSampleFiles(dir, { 'big.bin': 11 * MIB + 17 });
    const proxy = await startFaultProxy(fx.info.endpoint);
    try {
      const prefix = `${testId('mp')}/`;
      const res = await upload(proxy, dir, prefix);
      assert.equal(res.code, 0, res.stderr + res.stdout);
      const ops = requestsByKey(proxy, prefix).get(`${prefix}big.bin`) ?? [];
      assert.deepEqual(
        ops.filter((o) => o !== 'UploadPart'),
        ['CreateMultipartUpload', 'CompleteMultipartUpload', 'HeadObject'],
      );
      assert.equal(ops.filter((o) => o === 'UploadPart').length, 3);
      assert.equal(finished(res)[0]?.verifiedBy, 'head');
      assert.deepEqual(await deliveryProblems(fx.client, fx.bucket.name, prefix, dir), []);
    } finally {
      await proxy.close();
    }
  });

  it('verify: head adds one HEAD per object', async () => {
    const dir = join(fx.tmp.path, testId('head'));
    await writeSampleFiles(dir, smallFiles(3));
    const proxy = await startFaultProxy(fx.info.endpoint);
    try {
      const prefix = `${testId('head')}/`;
      const res = await upload(proxy, dir, prefix, '--verify', 'head');
      assert.equal(res.code, 0, res.stderr + res.stdout);
      const seen = requestsByKey(proxy, prefix);
      assert.equal(seen.size, 3);
      for (const [key, ops] of seen) assert.deepEqual(ops, ['PutObject', 'HeadObject'], key);
    } finally {
      await proxy.close();
    }
  });

  it('an answer with another ETag is decided by a HEAD that shows the right one', async () => {
    const dir = join(fx.tmp.path, testId('odd'));
    await writeSampleFiles(dir, smallFiles(1));
    const proxy = await startFaultProxy(fx.info.endpoint);
    try {
      proxy.addRule({ match: op('PutObject'), fault: { kind: 'etag', etag: OTHER_MD5 } });
      const prefix = `${testId('odd')}/`;
      const res = await upload(proxy, dir, prefix);
      assert.equal(res.code, 0, res.stderr + res.stdout);
      assert.deepEqual([...requestsByKey(proxy, prefix).values()], [['PutObject', 'HeadObject']]);
      assert.deepEqual(await deliveryProblems(fx.client, fx.bucket.name, prefix, dir), []);
    } finally {
      await proxy.close();
    }
  });

  it('a mismatch the HEAD confirms fails the file with ERR_VERIFY_FAILED', async () => {
    const dir = join(fx.tmp.path, testId('bad'));
    await writeSampleFiles(dir, smallFiles(1));
    const proxy = await startFaultProxy(fx.info.endpoint);
    try {
      proxy.addRule({
        match: op('PutObject', 'HeadObject'),
        fault: { kind: 'etag', etag: OTHER_MD5 },
      });
      const res = await upload(proxy, dir, `${testId('bad')}/`);
      assert.equal(res.code, 1, res.stderr + res.stdout);
      const failed = res.events.find((e) => e.type === 'file.failed');
      assert.equal(failed?.code, 'ERR_VERIFY_FAILED', res.stdout);
      assert.match(String(failed.message), new RegExp(`has ETag ${OTHER_MD5}`));
    } finally {
      await proxy.close();
    }
  });

  it('a store whose ETags are not MD5s: found at the first upload, then every object gets a HEAD', async () => {
    const dir = join(fx.tmp.path, testId('opaque'));
    await writeSampleFiles(dir, smallFiles(4));
    const proxy = await startFaultProxy(fx.info.endpoint);
    try {
      // only the first PUT's answer shows the store's scheme; every HEAD does
      proxy.addRule({ match: op('PutObject'), fault: { kind: 'etag', etag: OPAQUE }, times: 1 });
      proxy.addRule({ match: op('HeadObject'), fault: { kind: 'etag', etag: OPAQUE } });
      const prefix = `${testId('opaque')}/`;
      const res = await upload(proxy, dir, prefix, '--concurrency', '1');
      assert.equal(res.code, 0, res.stderr + res.stdout);
      const seen = requestsByKey(proxy, prefix);
      assert.equal(seen.size, 4);
      for (const [key, ops] of seen) assert.deepEqual(ops, ['PutObject', 'HeadObject'], key);
      assert.equal(res.events.filter((e) => e.type === 'destination.verify-head').length, 1);
      assert.deepEqual(await deliveryProblems(fx.client, fx.bucket.name, prefix, dir), []);
    } finally {
      await proxy.close();
    }
  });

  it("--if-none-match run again: an unchanged file is skipped by the journal, a taken key is skipped after one HEAD, --force takes this same file's object", async () => {
    const dir = join(fx.tmp.path, testId('again'));
    await writeSampleFiles(dir, smallFiles(2));
    const proxy = await startFaultProxy(fx.info.endpoint);
    try {
      const prefix = `${testId('again')}/`;
      const journal = join(fx.tmp.path, `${testId('j')}.db`);
      const args = ['--if-none-match', '--journal', journal];
      assert.equal((await upload(proxy, dir, prefix, ...args)).code, 0);
      await writeFile(join(dir, 'f-1.bin'), 'new content: not the object at the key');
      proxy.session = 1;
      const res = await upload(proxy, dir, prefix, ...args);
      assert.equal(res.code, 0, res.stderr + res.stdout);
      const skipped = res.events.filter((e) => e.type === 'file.skipped');
      assert.deepEqual(
        skipped.map((e) => [e.key, e.reason]),
        [
          [`${prefix}f-0.bin`, 'unchanged'],
          [`${prefix}f-1.bin`, 'exists'],
        ],
      );
      assert.equal(res.events.filter((e) => e.type === 'upload.failed').length, 0);
      const ops = (key: string, session: number): (string | number | undefined)[][] =>
        proxy.log
          .filter((e) => e.session === session && e.key === `${prefix}${key}`)
          .map((e) => [e.operation, e.status]);
      assert.deepEqual(ops('f-0.bin', 1), [], 'the journal knows it: no request at all');
      assert.deepEqual(ops('f-1.bin', 1), [
        ['PutObject', 412],
        ['HeadObject', 200],
      ]);
      const kept = await objectDigest(fx.client, fx.bucket.name, `${prefix}f-1.bin`);
      assert.equal(kept.size, 4096, 'the object of the earlier content is not replaced');
      // --force asks the store: this same file's object is taken as uploaded, not sent again
      proxy.session = 2;
      const forced = await upload(proxy, dir, prefix, ...args, '--force');
      assert.equal(forced.code, 0, forced.stderr + forced.stdout);
      assert.deepEqual(ops('f-0.bin', 2), [
        ['PutObject', 412],
        ['HeadObject', 200],
      ]);
      assert.ok(
        forced.events.some((e) => e.type === 'upload.finished' && e.key === `${prefix}f-0.bin`),
      );
    } finally {
      await proxy.close();
    }
  });
});
