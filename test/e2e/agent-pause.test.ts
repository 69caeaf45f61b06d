/**
 * The pause switch is kept in the journal (DESIGN.md item 12): a paused agent restarted stays
 * paused and uploads nothing until resumed; with PostgreSQL, a pause given through one agent's API
 * stops the claims of every agent sharing the journal.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { FileRecord } from '../../src/journal/journal-store.js';
import {
  agentYaml,
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { cliEnv, runCli } from '../support/cli.js';
import { FleetFixture } from '../support/fleet-fixture.js';
import { S3Fixture } from '../support/s3-fixture.js';
import { listAllObjects } from '../support/s3-server.js';

interface Status {
  paused: boolean;
}

/** The objects of the bucket, by key. */
async function keys(fx: S3Fixture): Promise<string[]> {
  return (await listAllObjects(fx.client, fx.bucket.name)).map((o) => o.key);
}

/** Waits until `path` is queued (settled, not claimed), then a little more: it must stay so. */
async function assertHeld(agent: AgentProcess, fx: S3Fixture, path: string): Promise<void> {
  const queued = async () => {
    const q = await agent.api<{ items: FileRecord[] }>('GET', '/api/v1/queue?state=pending');
    return q.items.some((f) => f.path === path && f.state === 'queued');
  };
  await waitFor(`${path} queued`, queued);
  await sleep(2500);
  assert.deepEqual(await keys(fx), [], 'nothing is uploaded while paused');
  assert.ok(await queued(), 'it waits in the queue');
}

void describe('pause: kept in the journal across a restart', () => {
  const fx = S3Fixture.use('agent-pause');

  void it('a paused agent restarted stays paused; nothing goes until resume', async () => {
    const dir = join(fx.tmp.path, 'agent');
    const inbox = join(fx.tmp.path, 'inbox');
    await mkdir(inbox, { recursive: true });
    const yaml = agentYaml({
      port: await freePort(),
      inbox,
      bucket: fx.bucket.name,
      endpoint: fx.info.endpoint,
    });
    const first = await startAgentProcess(dir, yaml, fx.info);
    try {
      assert.equal((await first.api<Status>('POST', '/api/v1/pause', {})).paused, true);
    } finally {
      await first.stop();
    }
    const file = join(inbox, 'while-paused.txt');
    await writeFile(file, 'paused across a restart\n');
    const second = await startAgentProcess(dir, yaml, fx.info);
    try {
      assert.equal((await second.api<Status>('GET', '/api/v1/status')).paused, true);
      await assertHeld(second, fx, file);
      assert.equal((await second.api<Status>('POST', '/api/v1/resume', {})).paused, false);
      await waitFor('uploaded after resume', async () =>
        (await keys(fx)).includes('while-paused.txt'),
      );
    } finally {
      await second.stop();
    }
  });
});

void describe('pause: given on the journal while no agent runs', () => {
  const fx = S3Fixture.use('agent-pause-cli');

  void it('`pause JOB --journal` with the agent stopped holds the job once the agent starts', async () => {
    const dir = join(fx.tmp.path, 'agent');
    const inbox = join(fx.tmp.path, 'inbox');
    await mkdir(inbox, { recursive: true });
    const port = await freePort();
    const yaml = agentYaml({ port, inbox, bucket: fx.bucket.name, endpoint: fx.info.endpoint });
    await (await startAgentProcess(dir, yaml, fx.info)).stop(); // the journal exists now
    const journal = join(dir, '.s3ferry', 'journal.db');
    const config = join(dir, 's3ferry.yaml');
    const env = cliEnv(fx.info);
    const paused = await runCli(['pause', 'inbox', '--journal', journal, '--config', config], env);
    assert.equal(paused.code, 0, `${paused.stdout}${paused.stderr}`);
    assert.match(paused.stdout, /^job inbox paused .* in the journal /);

    const file = join(inbox, 'paused-by-cli.txt');
    await writeFile(file, 'paused on the journal\n');
    const agent = await startAgentProcess(dir, yaml, fx.info);
    try {
      await assertHeld(agent, fx, file);
      const resumed = await runCli(['resume', 'inbox', '--config', config], env);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(resumed.stdout, 'job inbox resumed\n', 'through the running agent');
      await waitFor('uploaded after resume', async () =>
        (await keys(fx)).includes('paused-by-cli.txt'),
      );
    } finally {
      await agent.stop();
    }
  });
});

const skip = (process.env.PG_URL ?? '') === '' ? 'PG_URL is not set' : false;

void describe('pause: one switch for a fleet', { skip }, () => {
  const fx = FleetFixture.use('fleet-pause');

  void it('a pause given to one agent stops the claims of another sharing the journal', async () => {
    const inbox = join(fx.tmp.path, 'inbox');
    await mkdir(inbox);
    const a = await fx.start('agent-a', await fx.yaml(inbox, { lease: '5s' }));
    const b = await fx.start('agent-b', await fx.yaml(inbox, { lease: '5s' }));
    assert.equal((await a.api<Status>('POST', '/api/v1/pause', {})).paused, true);
    assert.equal((await b.api<Status>('GET', '/api/v1/status')).paused, true, 'B sees it');
    const file = join(inbox, 'fleet-paused.txt');
    await writeFile(file, 'held for the whole fleet\n');
    await assertHeld(b, fx, file);
    await b.api('POST', '/api/v1/resume', {});
    await waitFor('uploaded after resume', async () =>
      (await keys(fx)).includes('fleet-paused.txt'),
    );

    // the CLI of this machine finds an agent of the shared journal on its own port
    const found = await runCli(['status', '--journal', fx.db.url], cliEnv(fx.info));
    assert.equal(found.code, 0, found.stderr);
    const url = /^agent: running at (\S+),/m.exec(found.stdout)?.[1];
    assert.ok(url === a.url || url === b.url, found.stdout);
  });
});
