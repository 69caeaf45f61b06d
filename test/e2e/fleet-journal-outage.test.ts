/**
 * Fleet mode, the database is gone for longer than the journal retries: an agent, in process so
 * that its journal's retry window can be 2 s instead of 60 s (the same code, a shorter wait),
 * reaches PostgreSQL through a TCP relay that the test cuts. What an operator sees meanwhile: the
 * agent lives, /healthz answers, the API's journal-backed routes answer 503
 * ERR_JOURNAL_UNAVAILABLE, the heartbeat fails and work on held files stops (another agent may
 * take them over once their lease ends). Once the database is back, every file is delivered,
 * those that arrived during the outage included, without waiting for the hourly rescan.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { Registry } from 'prom-client';
import { Agent } from '../../src/agent/agent.js';
import { targetFor } from '../../src/agent/compose.js';
import { EventSink } from '../../src/agent/event-sink.js';
import { TransferTracker } from '../../src/agent/transfer-tracker.js';
import { buildApp } from '../../src/api/build-app.js';
import { loadConfig } from '../../src/config/load.js';
import { PostgresJournalStore } from '../../src/journal/postgres/postgres-journal-store.js';
import { systemClock } from '../../src/platform/clock.js';
import { createLogger } from '../../src/platform/logger.js';
import { nodeFileSystem } from '../../src/platform/node-file-system.js';
import { chokidarWatcherFactory } from '../../src/sources/chokidar/chokidar-watcher.js';
import { waitFor } from '../support/agent-process.js';
import {
  countDone,
  fleetDeliveryProblems,
  withJournalDb,
  writeSmallFiles,
} from '../support/fleet.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  createTestBucket,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { tcpRelay, type TcpRelay } from '../support/tcp-relay.js';
import { makeTmpDir } from '../support/tmp.js';

const skip = (process.env.PG_URL ?? '') === '' ? 'PG_URL is not set' : false;
/** The journal's retry window in this test (60 s in the product). */
const RETRY_MS = 2_000;

void describe('fleet: the database gone for longer than the journal retries', { skip }, () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let db: TestDatabase;
  let relay: TcpRelay;
  const closers: (() => Promise<unknown>)[] = [];

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'fleet-outage');
    tmp = await makeTmpDir('fleet-outage');
    db = await createTestDatabase();
    relay = await tcpRelay(Number(new URL(db.url).port));
  });
  after(async () => {
    await relay.start();
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await relay.stop();
    await db.drop();
    await bucket.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  /** The agent as compose.ts builds it, with a journal that gives up after RETRY_MS. */
  async function startAgent(inbox: string, log: string[]) {
    const url = new URL(db.url);
    url.port = String(relay.port);
    const file = join(tmp.path, 's3ferry.yaml');
    await writeFile(
      file,
      `journal: ${url.toString()}
lease: 3s
jobs:
  - name: inbox
    sources: [${JSON.stringify(inbox)}]
    settle: 1s
    destination:
      bucket: ${bucket.name}
      endpoint: ${info.endpoint}
      region: ${info.region}
      accessKeyId: ${info.accessKeyId}
      secretAccessKey: ${info.secretAccessKey}
      bwlimit: 40KiB
`,
    );
    const config = await loadConfig({ file });
    const journal = await PostgresJournalStore.open({ url: config.journal, retryMs: RETRY_MS });
    closers.push(() => journal.close());
    const logStream = new Writable({
      write(chunk: Buffer, _enc, done) {
        log.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const events = new EventSink({
      journal,
      logger: createLogger('info', logStream),
      clock: systemClock,
    });
    const transfers = new TransferTracker({ clock: systemClock });
    const agent = new Agent(config, {
      journal,
      events,
      clock: systemClock,
      fs: nodeFileSystem,
      watcherFactory: chokidarWatcherFactory(),
      buildTarget: targetFor,
      hostname: hostname(),
      owner: `${hostname()}:${process.pid}:outage`,
      env: {},
      random: () => randomInt(0, 1_000_000) / 1_000_000,
      transfers,
    });
    await agent.start();
    closers.push(() => agent.close());
    const app = buildApp({
      agent,
      journal,
      events,
      transfers,
      metrics: new Registry(),
      clock: systemClock,
      reload: () => Promise.resolve(),
    });
    closers.push(() => app.close());
    return { agent, app };
  }

  /** True once `log` holds `n` events of `type`. */
  const logged = (log: string[], type: string, n: number): Promise<boolean> =>
    Promise.resolve(
      log.filter((l) => (JSON.parse(l) as { event?: unknown }).event === type).length >= n,
    );

  void it('keeps running, says the journal is unavailable, and delivers everything once it is back', async () => {
    const inbox = join(tmp.path, 'inbox');
    await mkdir(inbox);
    const log: string[] = [];
    const rels = await writeSmallFiles(inbox, 0, 40);
    const { app } = await startAgent(inbox, log);
    await waitFor('uploads under way', async () => (await countDone(db.url)) >= 2);

    await relay.stop(); // the database is gone
    rels.push(...(await writeSmallFiles(inbox, 40, 5)));
    await waitFor('the new files refused by the journal', () => logged(log, 'source.error', 5));
    await waitFor('the heartbeat given up', () => logged(log, 'agent.heartbeat-failed', 1));
    // Silent for a whole lease: work on held files stopped, for another agent to take over.
    await waitFor('work on held files stopped', () => logged(log, 'file.taken-over', 1));
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
    const status = await app.inject({ url: '/api/v1/status' });
    assert.equal(status.statusCode, 503, status.body);
    assert.equal(status.json<{ error: { code: string } }>().error.code, 'ERR_JOURNAL_UNAVAILABLE');

    await relay.start(); // back
    const total = rels.length;
    await waitFor('every file done', async () => (await countDone(db.url)) === total, 300_000);
    assert.deepEqual(await fleetDeliveryProblems(client, bucket.name, inbox), []);
    await withJournalDb(db.url, async (c) => {
      const { rows } = await c.query<{ source_path: string; n: string }>(
        `SELECT source_path, count(*) AS n FROM history WHERE result = 'done' GROUP BY source_path`,
      );
      assert.equal(rows.length, total, 'a done history row per file');
      assert.ok(
        rows.every((r) => r.n === '1'),
        'one each',
      );
    });
    assert.equal((await app.inject({ url: '/api/v1/status' })).statusCode, 200);
  });
});
