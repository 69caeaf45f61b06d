import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunRecord } from '../../bench/lib/compare.js';
import { cpuBoundRate, rateUnits, serverCpuFigures } from '../../bench/lib/cpu-bound.js';
import { renderReport } from '../../bench/lib/report.js';
import { workloadFigures, type BenchResults } from '../../bench/lib/results.js';
import type { ToolId } from '../../bench/lib/tools.js';
import { MIB, workloads } from '../../bench/lib/workloads.js';
import { benchResults, verifiedRun } from '../support/bench-results.js';

const W = workloads(16);
const W2 = W.W2; // 125 objects of 4 KiB

/** A verified W2 run: `wallSec`, client CPU `cpuSec`, server CPU `serverCpuSec` (if given). */
function run(tool: ToolId, round: number, wallSec: number, cpuSec: number, server?: number) {
  return verifiedRun(W2, tool, cpuSec, {
    round,
    wallSec,
    ...(server === undefined ? {} : { serverCpuSec: server }),
  });
}

function results(runs: readonly RunRecord[], daemons?: readonly string[]): BenchResults {
  return benchResults([W2], runs, daemons === undefined ? {} : { serverCpuDaemons: daemons });
}

describe('bench CPU bound', () => {
  it('is cores over the CPU seconds one unit costs client and server together', () => {
    assert.equal(cpuBoundRate(2, 0.004, 0.001), 400);
    assert.equal(cpuBoundRate(2, 0.004, 0), 500);
    assert.ok(Number.isNaN(cpuBoundRate(2, Number.NaN, 0.001)));
    assert.ok(Number.isNaN(cpuBoundRate(2, 0, 0)));
  });

  it('counts objects for the small-file workloads and MiB for the big ones', () => {
    assert.equal(rateUnits(W2), 125);
    assert.equal(rateUnits(W.W1), W.W1.bytes / MIB);
  });

  it("takes the server's CPU per object over every tool's runs, each tool's bound from its own", () => {
    // 125 objects; server CPU per object 4 ms (s3ferry), 4.8 ms (rclone), 2.4 ms (curl)
    const runs = [
      run('s3ferry', 1, 0.5, 0.125, 0.5),
      run('rclone', 1, 1, 0.25, 0.6),
      run('aws', 1, 2, 1), // the daemons could not be read: left out
      run('curl', 1, 0.4, 0.05, 0.3),
    ];
    const f = workloadFigures(W2, runs);
    assert.equal(f.bestPeer, 'rclone');
    const s = serverCpuFigures(f, runs, 2);
    assert.ok(s !== undefined);
    assert.equal(s.runs, 3);
    assert.ok(Math.abs(s.serverSecPerUnit - 0.004) < 1e-12, 'median of 2.4, 4 and 4.8 ms');
    assert.ok(Math.abs(s.zeroClientBound - 500) < 1e-9);
    // s3ferry: 250 objects/s; (0.5 + 0.125) s / 125 = 5 ms per object -> at most 400
    assert.ok(Math.abs(s.s3ferry.bound - 400) < 1e-9);
    assert.equal(s.s3ferry.rate, 250);
    assert.ok(Math.abs(s.s3ferry.share - 0.625) < 1e-12);
    // rclone: 125 objects/s; (0.6 + 0.25) s / 125 = 6.8 ms per object -> at most 294
    assert.ok(s.bestPeer !== undefined);
    assert.equal(s.bestPeer.tool, 'rclone');
    assert.ok(Math.abs(s.bestPeer.bound - 2 / 0.0068) < 1e-9);
    assert.ok(Math.abs(s.zeroClientVsBestPeer - 4) < 1e-12, '500 vs 125 objects/s');
  });

  it('has no figure for results without server CPU', () => {
    const runs = [run('s3ferry', 1, 0.5, 0.125), run('rclone', 1, 1, 0.25)];
    assert.equal(serverCpuFigures(workloadFigures(W2, runs), runs, 2), undefined);
  });
});

describe('bench report: server CPU', () => {
  const head =
    '| tool | ok | wall s median (min-max) | objects/s | client CPU s | CPU s per 1,000 objects | server CPU s | server CPU ms per object | peak RSS MiB |';

  it('renders the columns and the bound sentence from the runs', () => {
    const md = renderReport(
      results(
        [run('s3ferry', 1, 0.5, 0.125, 0.5), run('rclone', 1, 1, 0.25, 0.6)],
        ['client.rgw.a', 'osd.0', 'mon.a'],
      ),
    );
    assert.ok(md.includes(head), md);
    assert.ok(
      md.includes(
        '| s3ferry upload | 1/1 | 0.50 (0.50-0.50) | 250 | 0.13 | 1.00 | 0.50 | 4.00 | 50 |',
      ),
    );
    assert.match(md, /Server CPU \(radosgw \+ ceph-osd \+ ceph-mon\): \*\*4\.40 ms per object\*\*/);
    assert.match(md, /s3ferry <= 400 objects\/s \(reached 250, 63 %\)/);
    assert.match(
      md,
      /at most 455 objects\/s = 3\.64x the best peer \(the 1\.5x target is within that\)/,
    );
  });

  it('says so when even a client using no CPU could not reach 1.5x the best peer', () => {
    const md = renderReport(
      results([run('s3ferry', 1, 0.5, 0.125, 1), run('rclone', 1, 0.25, 0.25, 1)], ['osd.0']),
    );
    // 8 ms per object: at most 250 objects/s, the best peer made 500
    assert.match(md, /at most 250 objects\/s = 0\.50x the best peer, \*\*below the 1\.5x target/);
  });

  it('renders results older than the figure with dashes and no sentence', () => {
    const md = renderReport(results([run('s3ferry', 1, 0.5, 0.125), run('rclone', 1, 1, 0.25)]));
    assert.ok(md.includes(head));
    assert.ok(
      md.includes('| s3ferry upload | 1/1 | 0.50 (0.50-0.50) | 250 | 0.13 | 1.00 | – | – | 50 |'),
    );
    assert.doesNotMatch(md, /Server CPU \(/);
    assert.match(md, /Server CPU: not recorded in this run/);
  });
});
