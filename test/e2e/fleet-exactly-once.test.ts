/**
 * Fleet mode, exactly once: three real `s3ferry run` processes share one PostgreSQL journal and
 * watch one source directory; 2,000 small files, half written before the agents start (found by
 * their start-up scans), half while they run (found by their watchers). Every file must reach the
 * real RGW exactly once, and the work must have been shared.
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
  withJournalDb,
  writeSmallFiles,
} from '../support/fleet.js';
import { FleetFixture } from '../support/fleet-fixture.js';
import { listAllObjects } from '../support/s3-server.js';

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
  const fx = FleetFixture.use('fleet-once');

  void it('uploads each of 2,000 files exactly once, the work shared by the agents', async (t) => {
    const inbox = join(fx.tmp.path, 'inbox');
    await mkdir(inbox);
    const rels = await writeSmallFiles(inbox, 0, BEFORE);
    await Promise.all(
      Array.from({ length: AGENTS }, async (_, i) => {
        return fx.start(`agent-${i}`, await fx.yaml(inbox, { lease: '5s' }));
      }),
    );
    rels.push(...(await writeSmallFiles(inbox, BEFORE, WHILE)));

    // Each agent sees the whole fleet while it works.
    for (const a of fx.agents) {
      const fleet = await a.api<AgentsAnswer>('GET', '/api/v1/agents');
      assert.equal(fleet.shared, true);
      assert.equal(fleet.items.filter((x) => x.alive).length, AGENTS, JSON.stringify(fleet));
    }

    const total = BEFORE + WHILE;
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
    const ids = await Promise.all(
      fx.agents.map(async (a) => (await a.api<AgentsAnswer>('GET', '/api/v1/agents')).self),
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
    const doneLines = fx.agents.map(
      (a) =>
        a
          .log()
          .split('\n')
          .filter((l) => l.includes('"event":"file.done"')).length,
    );
    assert.deepEqual(doneLines, split, 'file.done logged per agent');

    // A clean stop leaves the fleet list empty and holds nothing.
    for (const a of fx.agents.splice(0)) assert.equal(await a.stop(), 0);
    await withJournalDb(fx.db.url, async (c) => {
      assert.equal((await c.query('SELECT id FROM agents')).rows.length, 0);
      assert.equal((await c.query('SELECT id FROM files WHERE owner IS NOT NULL')).rows.length, 0);
    });
  });
});
