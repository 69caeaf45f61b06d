/**
 * `npm run bench:fleet`'s PostgreSQL queue alone (issue 14): its options, the figures per number
 * of agents, the projection of how many agents one PostgreSQL serves and its arithmetic, and the
 * Fleet section with the load gate. No server: made-up phases only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFleetOptions } from '../../bench/lib/fleet-options.js';
import type { QueuePhase, QueueResult, QueueRun } from '../../bench/lib/fleet-queue.js';
import { projectAgents, queueLevels } from '../../bench/lib/fleet-queue-report.js';
import { renderFleetSection, type FleetResults } from '../../bench/lib/fleet-report.js';

const phase = (ops: number, seconds: number, pgCpuSec: number): QueuePhase => ({
  ops,
  seconds,
  pgCpuSec,
  clientCpuSec: seconds / 2,
});

/** 1,000 files: enqueued at 1,000/s, cycled at 500/s; 100 heartbeats at 200/s. */
function run(agents: number, round: number, pgPerFileMs = 1): QueueRun {
  return {
    agents,
    round,
    enqueue: phase(1000, 1, (1000 * pgPerFileMs) / 4000),
    heartbeat: phase(100, 0.5, 0.05),
    cycle: phase(1000, 2, (1000 * pgPerFileMs * 3) / 4000),
  };
}

function queue(runs: QueueRun[]): QueueResult {
  return { files: 1000, heartbeatsPerAgent: 100, held: 8, runs };
}

function fleet(over: Partial<FleetResults> = {}): FleetResults {
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    durationSec: 60,
    rounds: 1,
    quick: true,
    machine: { cpu: 'test', cores: 2, memGiB: 4, disk: 'tmpfs', loadAvg: '0.1 0.1 0.1' },
    loadAvgEnd: '0.1 0.1 0.1',
    versions: { node: 'node v20', s3ferry: '0', postgres: 'PostgreSQL 15', ceph: 'ceph 16' },
    workloads: [],
    configs: [],
    runs: [],
    ...over,
  };
}

describe('bench:fleet, the PostgreSQL queue alone', () => {
  it('takes --only, --load-wait and --ignore-load; runs both parts by default', () => {
    const d = parseFleetOptions([]);
    assert.deepEqual(d.parts, ['agents', 'queue']);
    assert.equal(d.rounds, 2);
    assert.equal(d.loadWaitMin, 10);
    assert.equal(d.ignoreLoad, false);
    const q = parseFleetOptions(['--only', 'queue', '--load-wait', '0', '--ignore-load']);
    assert.deepEqual(q.parts, ['queue']);
    assert.equal(q.loadWaitMin, 0);
    assert.equal(q.ignoreLoad, true);
    assert.throws(() => parseFleetOptions(['--only', 's3']), /--only takes agents or queue/);
    assert.throws(() => parseFleetOptions(['--rounds', '0']), /--rounds/);
  });

  it('gives rates and CPU per operation per number of agents, failed rounds left out', () => {
    const levels = queueLevels(
      queue([run(1, 1), run(2, 1, 2), { agents: 2, round: 2, error: 'deadlock' }]),
    );
    const one = levels[0];
    const two = levels[1];
    assert.ok(one !== undefined && two !== undefined && levels.length === 2);
    assert.equal(one.enqueuesPerSec, 1000);
    assert.equal(one.cyclesPerSec, 500);
    assert.equal(one.heartbeatsPerSec, 200);
    assert.ok(Math.abs(one.filesPerSec - 1000 / 3) < 1e-9, '1 / (1/1000 + 1/500)');
    assert.ok(Math.abs(one.pgMsPerFile - 1) < 1e-9);
    assert.ok(Math.abs(one.pgMsPerHeartbeat - 0.5) < 1e-9);
    assert.equal(two.runs, 1);
    assert.equal(two.failed, 1);
    assert.ok(Math.abs(two.pgMsPerFile - 2) < 1e-9);
  });

  it('projects agents per database core from the CPU per file and per heartbeat', () => {
    const c = { pgMsPerFile: 2, pgMsPerHeartbeat: 1, heartbeatEverySec: 10, bestFilesPerSec: 400 };
    const p = projectAgents(10, c);
    assert.equal(p.pgMsPerAgentSec, 20.1, '10 x 2 + 1 / 10');
    assert.ok(Math.abs(p.agentsPerCore - 1000 / 20.1) < 1e-9);
    assert.equal(p.agentsByThroughput, 40);
  });

  it('renders the queue, the projection with its arithmetic, and no projection when not usable', () => {
    const text = renderFleetSection(fleet({ queue: queue([run(1, 1), run(2, 1, 2)]) }));
    assert.match(text, /### The PostgreSQL queue alone \(no S3\)/);
    assert.match(text, /\| 1 \| 1\/1 \| 1,000 \| 500 \| 1,000 \| 200 \| 333 \| 1\.00 \| 0\.50 \|/);
    assert.match(
      text,
      /\| 10 \| 10 x 2\.00 \+ 0\.50 \/ 10 = 20\.05 ms\/s \| 1000 \/ 20\.05 = 49\.9 \|/,
    );
    const loaded = renderFleetSection(
      fleet({
        queue: queue([run(1, 1)]),
        loadGate: { load1: 2.4, limit: 0.5, waitedSec: 600 },
      }),
    );
    assert.match(loaded, /\*\*Not usable: load 2\.40\.\*\*/);
    assert.match(loaded, /Projection: not usable: load 2\.40\./);
    assert.doesNotMatch(loaded, /ms\/s \|/);
  });
});
