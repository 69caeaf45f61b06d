/**
 * delete-after under real SIGKILLs: the agent is killed at random moments while it uploads and
 * deletes, and restarted each time. In the end every file is in the bucket with its bytes, exactly
 * one successful upload per key is in the history (nothing sent twice), and the inbox is empty
 * (nothing deleted before it was verified, nothing lost). And the narrowest window, a kill after
 * an upload was journaled verified but before its history row was written, is set up exactly:
 * the restart sends nothing again and the history gets the row.
 */
import { isProbeKey } from '../../src/domain/capabilities.js';
import assert from 'node:assert/strict';
import { randomBytes, createHash, randomInt } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { freePort, startAgentProcess, waitFor } from '../support/agent-process.js';
import { objectDigest } from '../support/cli.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { createTestBucket, listAllObjects, makeS3Client, rgwServer } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const FILES = 24;
const KILLS = 5;

describe('delete-after across SIGKILLs', () => {
  it('loses nothing, deletes nothing unverified, uploads nothing twice', async () => {
    const info = await rgwServer();
    const bucket = await createTestBucket(info, 'kill-delete');
    const tmp = await makeTmpDir('kill-delete');
    const client = makeS3Client(info);
    try {
      const inbox = join(tmp.path, 'inbox');
      await mkdir(inbox);
      const yaml = `api:
  port: ${await freePort()}
jobs:
  - name: k
    sources: [${JSON.stringify(inbox)}]
    settle: 300ms
    after:
      action: delete
    destination:
      bucket: ${bucket.name}
      endpoint: ${info.endpoint}
      partSize: 5MiB
      multipartThreshold: 5MiB
      bwlimit: 30MiB
`;
      const expected = new Map<string, string>();
      for (let i = 0; i < FILES; i += 1) {
        // a mix of single-PUT and multipart sizes
        const body = randomBytes(i % 4 === 0 ? 6 * 1024 * 1024 + i : 100_000 + i);
        expected.set(`f${i}.bin`, createHash('sha256').update(body).digest('hex'));
        await writeFile(join(inbox, `f${i}.bin`), body);
      }
      const dir = join(tmp.path, 'agent');
      for (let k = 0; k < KILLS; k += 1) {
        const agent = await startAgentProcess(dir, yaml, info);
        await sleep(randomInt(300, 1500));
        await agent.kill();
      }
      const agent = await startAgentProcess(dir, yaml, info);
      try {
        await waitFor('inbox empty', async () => (await readdir(inbox)).length === 0, 120_000);
        await waitFor(
          'all done',
          async () =>
            ((await agent.api<{ files: Record<string, number> }>('GET', '/api/v1/status')).files
              .done ?? 0) === FILES,
          60_000,
        );
      } catch (err) {
        // say what the agent was doing: the state a user would look at
        const status = await agent.api<unknown>('GET', '/api/v1/status');
        const queue = await agent.api<unknown>('GET', '/api/v1/queue');
        const events = await agent.api<unknown>('GET', '/api/v1/events?limit=40');
        throw new Error(
          `${String(err)}\nstatus ${JSON.stringify(status)}\nqueue ${JSON.stringify(queue)}\nevents ${JSON.stringify(events)}`,
        );
      } finally {
        await agent.stop().catch(() => undefined);
      }

      const keys = (await listAllObjects(client, bucket.name)).map((o) => o.key).sort();
      assert.deepEqual(
        keys,
        [...expected.keys()].sort(),
        'every file is in the bucket, nothing else',
      );
      for (const [key, sha] of expected)
        assert.equal((await objectDigest(client, bucket.name, key)).sha256, sha, key);
      const store = await SqliteJournalStore.open({ path: join(dir, '.s3ferry', 'journal.db') });
      try {
        const done = (await store.listHistory({ limit: 1000 })).filter((h) => h.result === 'done');
        const perKey = new Map<string, number>();
        for (const h of done) perKey.set(h.key, (perKey.get(h.key) ?? 0) + 1);
        assert.deepEqual(
          [...perKey.entries()].filter(([, n]) => n !== 1),
          [],
          'one successful upload per key',
        );
        assert.equal(perKey.size, FILES);
        const counts = await store.countFiles();
        assert.equal(counts.done, FILES, `every file ends done: ${JSON.stringify(counts)}`);
      } finally {
        await store.close();
      }
    } finally {
      client.destroy();
      await bucket.cleanup();
      await tmp.cleanup();
    }
  });

  it('a kill between verification and the history row: the restart writes the row, sends nothing', async () => {
    const info = await rgwServer();
    const bucket = await createTestBucket(info, 'kill-history');
    const tmp = await makeTmpDir('kill-history');
    const client = makeS3Client(info);
    const proxy = await startFaultProxy(info.endpoint); // no fault: it counts what is sent
    try {
      const inbox = join(tmp.path, 'inbox');
      await mkdir(inbox);
      await writeFile(join(inbox, 'small.bin'), randomBytes(100_000));
      await writeFile(join(inbox, 'large.bin'), randomBytes(6 * 1024 * 1024));
      const yaml = `api:
  port: ${await freePort()}
jobs:
  - name: h
    sources: [${JSON.stringify(inbox)}]
    settle: 300ms
    destination:
      bucket: ${bucket.name}
      endpoint: ${proxy.url}
      partSize: 5MiB
      multipartThreshold: 5MiB
`;
      const dir = join(tmp.path, 'agent');
      const journal = join(dir, '.s3ferry', 'journal.db');
      const done = async (agent: { api<T>(m: 'GET', p: string): Promise<T> }): Promise<boolean> =>
        ((await agent.api<{ files: Record<string, number> }>('GET', '/api/v1/status')).files.done ??
          0) === 2;
      const first = await startAgentProcess(dir, yaml, info);
      await waitFor('both done', () => done(first));
      await first.stop();

      // what a SIGKILL right after the verification leaves: the uploads verified, the files
      // still 'uploading', no history row
      const db = new Database(journal);
      try {
        assert.equal(
          db.prepare(`SELECT count(*) AS n FROM uploads WHERE state = 'verified'`).pluck().get(),
          2,
        );
        db.exec(`DELETE FROM history; UPDATE files SET state = 'uploading'`);
      } finally {
        db.close();
      }

      proxy.session = 2;
      const second = await startAgentProcess(dir, yaml, info);
      try {
        await waitFor('both done again', () => done(second));
      } finally {
        await second.stop();
      }
      // the restarted agent probes its store on a scratch key of its own (capabilities-probe):
      // not a file's request
      const sent = proxy.log.filter(
        (e) =>
          e.session === 2 &&
          !isProbeKey(e.key) &&
          ['PutObject', 'UploadPart', 'CreateMultipartUpload', 'CopyObject'].includes(e.operation),
      );
      assert.deepEqual(sent, [], 'nothing is sent again');
      const store = await SqliteJournalStore.open({ path: journal });
      try {
        const rows = (await store.listHistory({ limit: 100 })).filter((h) => h.result === 'done');
        assert.deepEqual(rows.map((h) => h.key).sort(), ['large.bin', 'small.bin']);
        for (const row of rows) {
          const head = await client.send(
            new HeadObjectCommand({ Bucket: bucket.name, Key: row.key }),
          );
          assert.equal(row.size, head.ContentLength, row.key);
          assert.equal(`"${row.etag ?? ''}"`, head.ETag, row.key);
          assert.equal(row.job, 'h');
        }
      } finally {
        await store.close();
      }
    } finally {
      await proxy.close();
      client.destroy();
      await bucket.cleanup();
      await tmp.cleanup();
    }
  });
});
