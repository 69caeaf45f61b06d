/**
 * Fleet mode, the database restarts: two real `s3ferry run` processes share one PostgreSQL journal
 * and one source; PostgreSQL is restarted (`pg_ctl restart -m fast`: every connection is cut)
 * while they upload and while new files arrive. The agents reconnect and go on; every file is
 * delivered exactly once (nothing lost, nothing uploaded twice), and they still answer their API.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from '../support/agent-process.js';
import {
  countDone,
  fleetDeliveryProblems,
  fleetJournalReport,
  writeSmallFiles,
} from '../support/fleet.js';
import { FleetFixture } from '../support/fleet-fixture.js';
import { restartPostgres } from '../support/postgres.js';
import { listAllObjects } from '../support/s3-server.js';

const skip = (process.env.PG_URL ?? '') === '' ? 'PG_URL is not set' : false;
const AGENTS = 2;
const BATCH = 100;

interface AgentsAnswer {
  self: string;
  items: { id: string; alive: boolean }[];
}

void describe('fleet: PostgreSQL restarted while the agents work', { skip }, () => {
  const fx = FleetFixture.use('fleet-pg-restart');

  void it('reconnects and delivers every file exactly once', async (t) => {
    const inbox = join(fx.tmp.path, 'inbox');
    await mkdir(inbox);
    const rels = await writeSmallFiles(inbox, 0, BATCH);
    await Promise.all(
      Array.from({ length: AGENTS }, async (_, i) => {
        // The lease outlasts the restart: no claim lapses while the agents cannot renew it.
        return fx.start(`agent-${i}`, await fx.yaml(inbox, { lease: '15s' }));
      }),
    );
    await waitFor('uploads under way', async () => (await countDone(fx.db.url)) >= 20);
    t.diagnostic(`${await countDone(fx.db.url)} of ${BATCH} files done when PostgreSQL restarts`);

    // The restart, with files arriving meanwhile; then more files once it is back.
    const [, during] = await Promise.all([restartPostgres(), writeSmallFiles(inbox, BATCH, BATCH)]);
    rels.push(...during, ...(await writeSmallFiles(inbox, 2 * BATCH, BATCH)));

    const total = 3 * BATCH;
    await waitFor('every file done', async () => (await countDone(fx.db.url)) === total, 600_000);
    for (const a of fx.agents) assert.equal(a.child.exitCode, null, `an agent exited:\n${a.log()}`);

    assert.deepEqual(await fleetDeliveryProblems(fx.client, fx.bucket.name, inbox), []);
    assert.equal((await listAllObjects(fx.client, fx.bucket.name)).length, total);
    const report = await fleetJournalReport(
      fx.db.url,
      rels.map((r) => join(inbox, r)),
      (p) => p.slice(inbox.length + 1),
    );
    assert.deepEqual(report.problems, []);

    // Both still answer their API and see each other alive.
    const ids: string[] = [];
    for (const a of fx.agents) {
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
    for (const a of fx.agents)
      assert.doesNotMatch(a.log(), /"event":"agent\.(error|heartbeat-failed)"/, a.log());
    for (const a of fx.agents.splice(0)) assert.equal(await a.stop(), 0);
  });
});
