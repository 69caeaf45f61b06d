/**
 * Fleet mode, exactly once: three real `s3ferry run` processes share one PostgreSQL journal and
 * watch one source directory; 2,000 small files, half written before the agents start (found by
 * their start-up scans), half while they run (found by their watchers). Every file must reach the
 * real RGW exactly once, and the work must have been shared.
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
  withJournalDb,
  writeSmallFiles,
} from '../support/fleet.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  createTestBucket,
  listAllObjects,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const skip = (process.env.PG_URL ?? '') === '' ? 'PG_URL is not set' : false;
const AGENTS = 3;
const BEFORE = 1000;
const WHILE = 1000;

interface AgentsAnswer {
  self: string;
  shared: boolean;
  items: { id: string; alive: boolean }[];
}

void describe('fleet: three agents, one PostgreSQL journal, one source', { skip }, () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let db: TestDatabase;
  const agents: AgentProcess[] = [];

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'fleet-once');
    tmp = await makeTmpDir('fleet-once');
    db = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop().catch(() => undefined)));
    await db.drop();
    await bucket.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  void it('uploads each of 2,000 files exactly once, the work shared by the agents', async (t) => {
    const inbox = join(tmp.path, 'inbox');
    await mkdir(inbox);
    const rels = await writeSmallFiles(inbox, 0, BEFORE);
    const started = await Promise.all(
      Array.from({ length: AGENTS }, async (_, i) => {
        const yaml = fleetYaml({
          port: await freePort(),
          journal: db.url,
          inbox,
          bucket: bucket.name,
          endpoint: info.endpoint,
          lease: '5s',
        });
        return startAgentProcess(join(tmp.path, `agent-${i}`), yaml, info);
      }),
    );
    agents.push(...started);
    rels.push(...(await writeSmallFiles(inbox, BEFORE, WHILE)));

    // Each agent sees the whole fleet while it works.
    for (const a of agents) {
      const fleet = await a.api<AgentsAnswer>('GET', '/api/v1/agents');
      assert.equal(fleet.shared, true);
      assert.equal(fleet.items.filter((x) => x.alive).length, AGENTS, JSON.stringify(fleet));
    }

    const total = BEFORE + WHILE;
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
    const ids = await Promise.all(
      agents.map(async (a) => (await a.api<AgentsAnswer>('GET', '/api/v1/agents')).self),
    );
    const split = ids.map((id) => report.uploadsByOwner.get(id) ?? 0);
    assert.equal(
      split.reduce((a, b) => a + b, 0),
      total,
      `every upload was begun by one of the agents: ${JSON.stringify([...report.uploadsByOwner])}`,
    );
    t.diagnostic(`uploads per agent: ${split.join(', ')}`);
    // Each agent took files from the shared queue (how many each is up to the race for claims).
    assert.ok(
      split.every((n) => n > 0),
      `uploads per agent: ${split.join(', ')}`,
    );
    // The agents' own logs say the same: file.done lines per agent add up to the whole.
    const doneLines = agents.map(
      (a) =>
        a
          .log()
          .split('\n')
          .filter((l) => l.includes('"event":"file.done"')).length,
    );
    assert.deepEqual(doneLines, split, 'file.done logged per agent');

    // A clean stop leaves the fleet list empty and holds nothing.
    for (const a of agents.splice(0)) assert.equal(await a.stop(), 0);
    await withJournalDb(db.url, async (c) => {
      assert.equal((await c.query('SELECT id FROM agents')).rows.length, 0);
      assert.equal((await c.query('SELECT id FROM files WHERE owner IS NOT NULL')).rows.length, 0);
    });
  });
});
