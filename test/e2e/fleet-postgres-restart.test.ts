/**
 * Fleet mode, the database restarts: two real `s3ferry run` processes share one PostgreSQL journal
 * and one source; PostgreSQL is restarted (`pg_ctl restart -m fast`: every connection is cut)
 * while they upload and while new files arrive. The agents reconnect and go on; every file is
 * delivered exactly once (nothing lost, nothing uploaded twice), and they still answer their API.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import {
  countDone,
  fleetDeliveryProblems,
  fleetJournalReport,
  fleetYaml,
  writeSmallFiles,
} from '../support/fleet.js';
import { createTestDatabase, restartPostgres, type TestDatabase } from '../support/postgres.js';
import {
  createTestBucket,
  listAllObjects,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const skip = (process.env.PG_URL ?? '') === '' ? 'PG_URL is not set' : false;
const AGENTS = 2;
const BATCH = 100;

interface AgentsAnswer {
  self: string;
  items: { id: string; alive: boolean }[];
}

void describe('fleet: PostgreSQL restarted while the agents work', { skip }, () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let db: TestDatabase;
  const agents: AgentProcess[] = [];

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'fleet-pg-restart');
    tmp = await makeTmpDir('fleet-pg-restart');
    db = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop().catch(() => undefined)));
    await db.drop();
    await bucket.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  void it('reconnects and delivers every file exactly once', async (t) => {
    const inbox = join(tmp.path, 'inbox');
    await mkdir(inbox);
    const rels = await writeSmallFiles(inbox, 0, BATCH);
    const started = await Promise.all(
      Array.from({ length: AGENTS }, async (_, i) => {
        // The lease outlasts the restart: no claim lapses while the agents cannot renew it.
        const yaml = fleetYaml({
          port: await freePort(),
          journal: db.url,
          inbox,
          bucket: bucket.name,
          endpoint: info.endpoint,
          lease: '15s',
        });
        return startAgentProcess(join(tmp.path, `agent-${i}`), yaml, info);
      }),
    );
    agents.push(...started);
    await waitFor('uploads under way', async () => (await countDone(db.url)) >= 20);
    t.diagnostic(`${await countDone(db.url)} of ${BATCH} files done when PostgreSQL restarts`);

    // The restart, with files arriving meanwhile; then more files once it is back.
    const [, during] = await Promise.all([restartPostgres(), writeSmallFiles(inbox, BATCH, BATCH)]);
    rels.push(...during, ...(await writeSmallFiles(inbox, 2 * BATCH, BATCH)));

    const total = 3 * BATCH;
    await waitFor('every file done', async () => (await countDone(db.url)) === total, 600_000);
    for (const a of agents) assert.equal(a.child.exitCode, null, `an agent exited:\n${a.log()}`);

    assert.deepEqual(await fleetDeliveryProblems(client, bucket.name, inbox), []);
    assert.equal((await listAllObjects(client, bucket.name)).length, total);
    const report = await fleetJournalReport(
      db.url,
      rels.map((r) => join(inbox, r)),
      (p) => p.slice(inbox.length + 1),
    );
    assert.deepEqual(report.problems, []);

    // Both still answer their API and see each other alive.
    const ids: string[] = [];
    for (const a of agents) {
      const fleet = await a.api<AgentsAnswer>('GET', '/api/v1/agents');
      ids.push(fleet.self);
      assert.equal(fleet.items.filter((x) => x.alive).length, AGENTS, JSON.stringify(fleet));
      const status = await a.api<{ files: { done: number } }>('GET', '/api/v1/status');
      assert.equal(status.files.done, total);
    }
    t.diagnostic(
      `uploads per agent: ${ids.map((id) => report.uploadsByOwner.get(id) ?? 0).join(', ')}`,
    );
    assert.ok(
      ids.every((id) => (report.uploadsByOwner.get(id) ?? 0) > 0),
      `uploads per agent: ${JSON.stringify([...report.uploadsByOwner])}`,
    );
    // The restart was ridden out inside the journal (its operations wait for the server): no
    // operation failed, no heartbeat was missed.
    for (const a of agents)
      assert.doesNotMatch(a.log(), /"event":"agent\.(error|heartbeat-failed)"/, a.log());
    for (const a of agents.splice(0)) assert.equal(await a.stop(), 0);
  });
});
