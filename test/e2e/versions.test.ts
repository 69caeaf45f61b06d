/**
 * Version ids on the project's RGW, with a bucket that has versioning enabled (issue 16, item 2):
 * - the store's answers: PutObject (both request paths: the SDK's and the direct one) and
 *   CompleteMultipartUpload give the version they created (CopyObject too on AWS; RGW 16 answers
 *   it with none), HeadObject and a presigned GET name one; an unversioned bucket gives none;
 * - the agent (a real `s3ferry run`): a key uploaded twice has two history rows whose version ids
 *   are the ones ListObjectVersions lists, in the file.done events, the webhook's body, the
 *   report; a link (API and `s3ferry link`) to the first upload's version serves the first bytes
 *   after the second upload.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { md5HexToBase64 } from '../../src/domain/etag.js';
import type { EventRecord, HistoryRecord } from '../../src/journal/journal-store.js';
import { buildS3Connection } from '../../src/object-store/s3/s3-client.js';
import { S3ObjectTarget } from '../../src/object-store/s3/s3-object-target.js';
import { md5Hex } from '../../src/transfer/upload-run.js';
import {
  agentYaml,
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { cliEnv, runCli } from '../support/cli.js';
import {
  createTestBucket,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { createVersionedBucket, listVersions } from '../support/versioned-bucket.js';

const MIB = 1024 * 1024;

/** A target on the RGW whose PutObject, UploadPart and HeadObject take `path`. */
function target(info: S3ServerInfo, bucket: string, path: 'sdk' | 'direct'): S3ObjectTarget {
  const { client, direct } = buildS3Connection({
    endpoint: info.endpoint,
    region: info.region,
    accessKeyId: info.accessKeyId,
    secretAccessKey: info.secretAccessKey,
  });
  assert.ok(direct !== undefined);
  return new S3ObjectTarget({
    client,
    bucket,
    endpoint: info.endpoint,
    ...(path === 'direct' ? { direct } : {}),
  });
}

const put = (t: S3ObjectTarget, key: string, body: Buffer) =>
  t.putObject({ key, body, contentMd5: md5HexToBase64(md5Hex(body)) });

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  return res.text();
}

void describe('version ids: what the store answers', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let versioned: { name: string; cleanup(): Promise<void> };
  let plain: { name: string; cleanup(): Promise<void> };
  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    versioned = await createVersionedBucket(info, 'versions-target');
    plain = await createTestBucket(info, 'versions-plain');
  });
  after(async () => {
    await versioned.cleanup();
    await plain.cleanup();
    client.destroy();
  });

  for (const path of ['sdk', 'direct'] as const) {
    void it(`PutObject and HeadObject (${path} requests) give the version ListObjectVersions lists`, async () => {
      const t = target(info, versioned.name, path);
      try {
        const key = `${path}/twice.txt`;
        const first = await put(t, key, Buffer.from('first'));
        const second = await put(t, key, Buffer.from('second!'));
        assert.ok(first.versionId !== undefined && second.versionId !== undefined);
        assert.notEqual(first.versionId, second.versionId);
        const listed = await listVersions(client, versioned.name, key);
        assert.deepEqual(
          listed.map((v) => [v.versionId, v.isLatest, v.size]),
          [
            [second.versionId, true, 7],
            [first.versionId, false, 5],
          ],
        );
        assert.equal((await t.headObject(key))?.versionId, second.versionId);
        const old = await t.headObject(key, undefined, { versionId: first.versionId });
        assert.equal(old?.size, 5);
        assert.equal(old.versionId, first.versionId);
        const url = await t.presignGet(key, 60, { versionId: first.versionId });
        assert.equal(await fetchText(url), 'first', 'the link serves that version');
        assert.equal(await fetchText(await t.presignGet(key, 60)), 'second!');
      } finally {
        t.destroy();
      }
    });
  }

  void it('CompleteMultipartUpload gives the version it created (CopyObject where the store says)', async () => {
    const t = target(info, versioned.name, 'direct');
    try {
      const body = randomBytes(MIB);
      const md5 = md5Hex(body);
      const id = await t.createMultipartUpload('mp/one.bin', {});
      const { etag } = await t.uploadPart({
        key: 'mp/one.bin',
        uploadId: id,
        partNumber: 1,
        body,
        contentMd5: md5HexToBase64(md5),
      });
      const done = await t.completeMultipartUpload('mp/one.bin', id, [{ partNumber: 1, etag }]);
      const [mp] = await listVersions(client, versioned.name, 'mp/one.bin');
      assert.ok(done.versionId !== undefined);
      assert.equal(done.versionId, mp?.versionId);
      // AWS answers CopyObject with x-amz-version-id; RGW 16 answers none (so the version of a
      // server-side copy is recorded where the store says it): what it answers is the copy's
      const copied = await t.copyObject('mp/one.bin', 'mp/copy.bin');
      const [copy] = await listVersions(client, versioned.name, 'mp/copy.bin');
      assert.ok(copy !== undefined);
      if (copied.versionId !== undefined) assert.equal(copied.versionId, copy.versionId);
    } finally {
      t.destroy();
    }
  });

  void it('an unversioned bucket gives no version id, and nothing else changes', async () => {
    for (const path of ['sdk', 'direct'] as const) {
      const t = target(info, plain.name, path);
      try {
        const answer = await put(t, `${path}.txt`, Buffer.from('x'));
        assert.deepEqual(answer, { etag: md5Hex(Buffer.from('x')) }, path);
        const head = await t.headObject(`${path}.txt`);
        assert.equal(head?.versionId, undefined);
        assert.equal(head?.size, 1);
      } finally {
        t.destroy();
      }
    }
  });
});

/** A webhook receiver on loopback: the bodies it was POSTed. */
async function receiver(): Promise<{ url: string; bodies: EventRecord[]; close(): Promise<void> }> {
  const bodies: EventRecord[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', () => {
      bodies.push(JSON.parse(text) as EventRecord);
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

void describe('version ids: the agent', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let hook: Awaited<ReturnType<typeof receiver>>;
  let agent: AgentProcess | undefined;
  let inbox: string;
  let config: string;
  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createVersionedBucket(info, 'versions-agent');
    tmp = await makeTmpDir('versions-agent');
    hook = await receiver();
    inbox = join(tmp.path, 'inbox');
    await mkdir(inbox);
    const yaml = agentYaml({
      port: await freePort(),
      inbox,
      bucket: bucket.name,
      endpoint: info.endpoint,
      // the destination's mapping goes on, then the job's
      extraJob: '      partSize: 5MiB\n      multipartThreshold: 5MiB\n    overwrite: always',
      extra: `events:\n  webhook:\n    url: ${hook.url}\n`,
    });
    agent = await startAgentProcess(join(tmp.path, 'agent'), yaml, info);
    config = join(tmp.path, 'agent', 's3ferry.yaml');
  });
  after(async () => {
    await agent?.stop();
    await hook.close();
    await bucket.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  const rows = async (key: string): Promise<HistoryRecord[]> =>
    (
      await agent!.api<{ items: HistoryRecord[] }>(
        'GET',
        `/api/v1/history?key=${encodeURIComponent(key)}&order=asc&limit=100`,
      )
    ).items.filter((h) => h.key === key);

  void it('a key uploaded twice: each history row has the version ListObjectVersions lists', async () => {
    await writeFile(join(inbox, 'same.txt'), 'first upload');
    await waitFor('the first upload', async () => (await rows('same.txt')).length === 1);
    await writeFile(join(inbox, 'same.txt'), 'second upload, longer');
    const both = await waitFor('the second upload', async () => {
      const r = await rows('same.txt');
      return r.length === 2 ? r : undefined;
    });
    const listed = await listVersions(client, bucket.name, 'same.txt');
    assert.equal(listed.length, 2);
    for (const row of both) {
      const version = listed.find((v) => v.versionId === row.versionId);
      assert.ok(version !== undefined, `${row.versionId} is a listed version`);
      assert.equal(version.size, row.size);
      assert.equal(version.etag, row.etag);
    }
    assert.equal(both[1]?.versionId, listed.find((v) => v.isLatest)?.versionId, 'newest last');
    assert.notEqual(both[0]?.versionId, both[1]?.versionId);
  });

  void it('file.done events and the webhook carry the version id', async () => {
    const versions = (await rows('same.txt')).map((h) => h.versionId);
    const events = await agent!.api<{ items: EventRecord[] }>(
      'GET',
      '/api/v1/events?type=file.done&key=same.txt&limit=10',
    );
    assert.deepEqual(
      events.items.map((e) => e.data?.versionId).reverse(),
      versions,
      'one file.done per upload, with its version',
    );
    const posted = await waitFor('the webhook got both', () => {
      const done = hook.bodies.filter((b) => b.type === 'file.done' && b.key === 'same.txt');
      return Promise.resolve(done.length === 2 ? done : undefined);
    });
    assert.deepEqual(
      posted.map((b) => b.data?.versionId),
      versions,
    );
  });

  void it('a link to the first version serves its bytes after the second upload', async () => {
    const [first, second] = await rows('same.txt');
    assert.ok(first?.versionId && second?.versionId);
    const byKey = await agent!.api<{ url: string; versionId: string | null }>(
      'GET',
      `/api/v1/link?key=same.txt&job=inbox&versionId=${encodeURIComponent(first.versionId)}`,
    );
    assert.equal(byKey.versionId, first.versionId);
    assert.equal(await fetchText(byKey.url), 'first upload');
    const byPath = await agent!.api<{ url: string; versionId: string | null }>(
      'GET',
      `/api/v1/link?path=${encodeURIComponent(join(inbox, 'same.txt'))}`,
    );
    assert.equal(byPath.versionId, second.versionId, 'a file links to the version it stored');
    assert.equal(await fetchText(byPath.url), 'second upload, longer');
    const env = cliEnv(info);
    const cli = await runCli(
      ['link', 'same.txt', '--version-id', first.versionId, '--config', config, '--json'],
      env,
    );
    assert.equal(cli.code, 0, cli.stderr);
    const link = cli.events[0] as { url: string; versionId: string };
    assert.equal(link.versionId, first.versionId);
    assert.equal(await fetchText(link.url), 'first upload');
    const refused = await runCli(
      ['link', join(inbox, 'same.txt'), '--version-id', 'x', '--config', config],
      env,
    );
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--version-id goes with a KEY/);
  });

  void it('a multipart upload records the version too, and the report shows them all', async () => {
    await writeFile(join(inbox, 'big.bin'), randomBytes(6 * MIB));
    const [big] = await waitFor('big.bin uploaded', async () => {
      const r = await rows('big.bin');
      return r.length === 1 ? r : undefined;
    });
    const [listed] = await listVersions(client, bucket.name, 'big.bin');
    assert.ok(big?.versionId);
    assert.equal(big.versionId, listed?.versionId);
    const report = await runCli(
      ['report', '--since', '1h', '--format', 'csv', '--config', config],
      cliEnv(info),
    );
    assert.equal(report.code, 0, report.stderr);
    const lines = report.stdout.split('\r\n');
    assert.match(lines[0] ?? '', /^outcome,job,path,bucket,key,version_id,/);
    for (const h of [...(await rows('same.txt')), big])
      assert.ok(
        lines.some((l) => l.includes(`,${h.key},${h.versionId},${h.size},${h.etag},`)),
        `${h.key} ${h.versionId} in the report`,
      );
  });

  void it('with the agent stopped, the report reads the journal: the same rows', async () => {
    const expected = await rows('same.txt');
    assert.equal(await agent!.stop(), 0);
    agent = undefined;
    const env = cliEnv(info);
    // the agent's journal is where it ran (the default ./.s3ferry/journal.db of its directory)
    const journal = [
      '--config',
      config,
      '--journal',
      join(tmp.path, 'agent', '.s3ferry', 'journal.db'),
    ];
    const json = await runCli(['report', '--since', '1h', '--format', 'json', ...journal], env);
    assert.equal(json.code, 0, json.stderr);
    const items = json.events as { outcome: string; key: string; versionId: string }[];
    assert.equal(items.length, json.stdout.trimEnd().split('\n').length, 'one row a line');
    assert.deepEqual(
      items.filter((r) => r.key === 'same.txt').map((r) => [r.outcome, r.versionId]),
      expected.map((h) => ['uploaded', h.versionId]),
    );
    const table = await runCli(['report', '--since', '1h', ...journal], env);
    assert.equal(table.code, 0, table.stderr);
    assert.ok(table.stdout.includes(`same.txt (version ${expected[0]?.versionId ?? ''})`));
    assert.match(table.stdout, /^3 uploaded \(/m);
  });
});
