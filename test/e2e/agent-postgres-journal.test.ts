/**
 * The agent with its journal in PostgreSQL (`journal: postgres://…`): a real `s3ferry run` process
 * uploads to the real RGW and keeps its queue and history in a database of its own, rides out a
 * restart of the server, and never shows the journal's password.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { PostgresJournalStore } from '../../src/journal/postgres/postgres-journal-store.js';
import {
  agentYaml,
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { cliEnv, spawnCli } from '../support/cli.js';
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

void describe('agent: a PostgreSQL journal', { skip }, () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let db: TestDatabase;
  let agent: AgentProcess | undefined;
  let inbox: string;
  let yaml: string;

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'agent-pg');
    tmp = await makeTmpDir('agent-pg');
    db = await createTestDatabase();
    inbox = join(tmp.path, 'inbox');
    await mkdir(inbox);
    yaml = `journal: ${db.url}\n${agentYaml({
      port: await freePort(),
      inbox,
      bucket: bucket.name,
      endpoint: info.endpoint,
    })}`;
  });
  after(async () => {
    await agent?.stop();
    await db.drop();
    await bucket.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  const keys = async (): Promise<string[]> =>
    (await listAllObjects(client, bucket.name)).map((o) => o.key).sort();

  /** The journal as another agent of the fleet would read it. */
  const history = async (): Promise<string[]> => {
    const store = await PostgresJournalStore.open({ url: db.url });
    try {
      return (await store.listHistory({ limit: 100 })).map((h) => h.key).sort();
    } finally {
      await store.close();
    }
  };

  void it('uploads files and keeps their history in the database', async () => {
    agent = await startAgentProcess(join(tmp.path, 'agent'), yaml, info);
    await writeFile(join(inbox, 'a.bin'), Buffer.alloc(1000, 1));
    await writeFile(join(inbox, 'b.bin'), Buffer.alloc(2000, 2));
    await waitFor('both objects', async () => (await keys()).length === 2);
    await waitFor('both history rows', async () => (await history()).length === 2);
    assert.deepEqual(await history(), ['a.bin', 'b.bin']);
  });

  void it('goes on after PostgreSQL restarted', async () => {
    assert.ok(agent !== undefined);
    await restartPostgres();
    await writeFile(join(inbox, 'c.bin'), Buffer.alloc(3000, 3));
    await waitFor('the file after the restart', async () => (await keys()).includes('c.bin'));
    await waitFor('its history row', async () => (await history()).includes('c.bin'));
    assert.deepEqual(await keys(), ['a.bin', 'b.bin', 'c.bin'], 'nothing uploaded twice');
    assert.equal(agent.child.exitCode, null, 'the agent is still running');
  });

  void it('never shows the journal password (log, config check)', async () => {
    const password = new URL(db.url).password;
    assert.ok(!agent?.log().includes(password), 'not in the log');
    const check = await spawnCli(
      ['config', 'check', join(tmp.path, 'agent', 's3ferry.yaml'), '--json'],
      cliEnv(info),
    ).result;
    assert.equal(check.code, 0, check.stderr);
    assert.ok(check.stdout.includes('"journal":"postgres://s3ferry:'), check.stdout);
    assert.ok(!`${check.stdout}${check.stderr}`.includes(password), 'not in config check');
  });
});
