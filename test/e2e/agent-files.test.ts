/**
 * The agent as a user runs it: a real `s3ferry run` process watching real directories, uploading
 * to the real RGW. What is checked is what a user would check: the objects and their bytes, the
 * journal's history, the files left in the inbox.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { HistoryRecord } from '../../src/journal/journal-store.js';
import {
  agentYaml,
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { fileSha256, objectDigest } from '../support/cli.js';
import {
  createTestBucket,
  listAllObjects,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

interface Status {
  paused: boolean;
  jobs: {
    name: string;
    paused: boolean;
    health: { healthy: boolean; cause?: string; hint?: string };
  }[];
  files: Record<string, number>;
}

describe('agent: finished files only, each exactly once', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let agent: AgentProcess | undefined;
  let inbox: string;
  let yaml: string;

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'agent-files');
    tmp = await makeTmpDir('agent-files');
    inbox = join(tmp.path, 'inbox');
    await mkdir(inbox);
    yaml = agentYaml({
      port: await freePort(),
      inbox,
      bucket: bucket.name,
      endpoint: info.endpoint,
    });
  });
  after(async () => {
    await agent?.stop();
    await bucket.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  const keys = async (): Promise<string[]> =>
    (await listAllObjects(client, bucket.name)).map((o) => o.key).sort();
  const history = async (): Promise<HistoryRecord[]> =>
    (await agent!.api<{ items: HistoryRecord[] }>('GET', '/api/v1/history?limit=1000')).items;

  it('a file written slowly over several seconds is uploaded once, complete', async () => {
    agent = await startAgentProcess(join(tmp.path, 'agent'), yaml, info);
    const file = join(inbox, 'slow.bin');
    for (let i = 0; i < 8; i += 1) {
      await appendFile(file, Buffer.alloc(64 * 1024, i)); // every 0.5 s, longer than nothing but shorter than the 1 s settle window
      await sleep(500);
    }
    await waitFor('slow.bin uploaded', async () => (await keys()).includes('slow.bin'));
    const got = await objectDigest(client, bucket.name, 'slow.bin');
    assert.equal(got.size, 8 * 64 * 1024);
    assert.equal(got.sha256, await fileSha256(file));
    await sleep(1500);
    assert.equal((await history()).filter((h) => h.key === 'slow.bin').length, 1, 'uploaded once');
  });

  it('write-to-temp-then-rename is uploaded once under the final name; *.tmp never', async () => {
    await writeFile(join(inbox, 'report.csv.tmp'), 'a,b\n1,2\n');
    await writeFile(join(inbox, 'scratch.tmp'), 'never');
    await writeFile(join(inbox, '.hidden'), 'never');
    await sleep(300);
    await rename(join(inbox, 'report.csv.tmp'), join(inbox, 'report.csv'));
    await waitFor('report.csv uploaded', async () => (await keys()).includes('report.csv'));
    await sleep(2500); // longer than the settle window: a temp file would have gone by now
    const all = await keys();
    assert.ok(!all.some((k) => k.endsWith('.tmp') || k.startsWith('.')), all.join(','));
    assert.equal((await history()).filter((h) => h.key === 'report.csv').length, 1);
  });

  it('files added while the agent was stopped are uploaded when it starts', async () => {
    assert.equal(await agent!.stop(), 0, 'a clean stop exits 0');
    agent = undefined;
    await writeFile(join(inbox, 'while-stopped-1.txt'), 'one');
    await mkdir(join(inbox, 'sub'), { recursive: true });
    await writeFile(join(inbox, 'sub', 'while-stopped-2.txt'), 'two');
    agent = await startAgentProcess(join(tmp.path, 'agent'), yaml, info);
    await waitFor('both uploaded', async () => {
      const k = await keys();
      return k.includes('while-stopped-1.txt') && k.includes('sub/while-stopped-2.txt');
    });
    assert.equal(
      (await history()).filter((h) => h.key === 'slow.bin').length,
      1,
      'a restart uploads nothing twice',
    );
  });

  it('paused: files are queued, not uploaded; resumed: they all go', async () => {
    await agent!.api('POST', '/api/v1/pause', {});
    await writeFile(join(inbox, 'paused-a.txt'), 'a');
    await writeFile(join(inbox, 'paused-b.txt'), 'b');
    const queued = await waitFor('both queued', async () => {
      const s = await agent!.api<Status>('GET', '/api/v1/status');
      return (s.files.queued ?? 0) >= 2 ? s : undefined;
    });
    assert.equal(queued.paused, true);
    assert.ok(!(await keys()).includes('paused-a.txt'), 'nothing goes while paused');
    await agent!.api('POST', '/api/v1/resume', {});
    await waitFor('both uploaded after resume', async () => {
      const k = await keys();
      return k.includes('paused-a.txt') && k.includes('paused-b.txt');
    });
  });

  it('history rows carry every field; average speed is size / duration', async () => {
    const rows = await history();
    const row = rows.find((h) => h.key === 'slow.bin');
    assert.ok(row !== undefined);
    assert.equal(row.sourcePath, join(inbox, 'slow.bin'));
    assert.equal(row.bucket, bucket.name);
    assert.equal(row.endpoint, info.endpoint);
    assert.equal(row.size, 8 * 64 * 1024);
    assert.equal(row.result, 'done');
    assert.ok(row.attempts >= 1);
    assert.match(row.etag ?? '', /^[0-9a-f]{32}$/);
    assert.match(row.checksum ?? '', /^md5:[0-9a-f]{32}$/);
    assert.ok(row.finishedAt >= row.startedAt);
    const expected = row.size / Math.max(0.001, (row.finishedAt - row.startedAt) / 1000);
    assert.ok(
      Math.abs(row.avgBytesPerSec - expected) <= expected * 1e-9 + 1e-9,
      `${row.avgBytesPerSec} vs ${expected}`,
    );
  });
  it('1,000 files dropped in bursts are each uploaded exactly once', async () => {
    const dir = join(inbox, 'burst');
    await mkdir(dir);
    for (let burst = 0; burst < 10; burst += 1) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          writeFile(join(dir, `f-${burst}-${i}.txt`), `burst ${burst} file ${i}\n`),
        ),
      );
      await sleep(100);
    }
    await waitFor(
      '1,000 uploaded',
      async () => (await keys()).filter((k) => k.startsWith('burst/')).length === 1000,
      // a wait limit, not a speed target: a loaded 2-core machine took over 300 s
      480_000,
    );
    await sleep(2000);
    const rows = (
      await agent!.api<{ items: HistoryRecord[] }>('GET', '/api/v1/history?limit=1000')
    ).items.filter((h) => h.key.startsWith('burst/'));
    assert.equal(rows.length, 1000, 'one history row per file');
    assert.equal(new Set(rows.map((h) => h.key)).size, 1000, 'no key twice');
    const s = await agent!.api<Status>('GET', '/api/v1/status');
    assert.ok((s.files.done ?? 0) >= 1000);
    assert.equal((await readdir(dir)).length, 1000, 'after.action keep: sources stay');
  });
});
