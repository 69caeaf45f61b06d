/**
 * The bench's agent burst (issue 14): its figures and ratios to rclone, the journal writes read
 * from the agent's /metrics text, its targets, its options and its section of the report. No
 * server: made-up runs only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  burstFigures,
  JOURNAL_WRITES_METRIC,
  metricValue,
  type BurstResult,
  type BurstRun,
  type BurstTool,
} from '../../bench/lib/burst-figures.js';
import { burstTargets } from '../../bench/lib/burst-report.js';
import { EXTRA_IDS, parseOptions } from '../../bench/lib/options.js';
import { renderReport } from '../../bench/lib/report.js';
import { benchResults } from '../support/bench-results.js';

const FILES = 1000;

function run(
  tool: BurstTool,
  round: number,
  wallSec: number,
  cpuSec: number,
  more: Partial<BurstRun> = {},
): BurstRun {
  return {
    tool,
    round,
    wallSec,
    cpuSec,
    objects: FILES,
    bytes: FILES * 4096,
    verified: true,
    ...more,
  };
}

function burst(runs: BurstRun[]): BurstResult {
  return { files: FILES, fileBytes: 4096, settleMs: 1000, pollMs: 100, runs };
}

/** The agent at 500 files/s (2 s), 0.6 ms CPU and 2.5 writes per file; rclone at 400 (2.5 s), 0.8 ms. */
const GOOD = burst([
  run('agent', 1, 2, 0.6, { journalWrites: 2500, serverCpuSec: 4 }),
  run('rclone', 1, 2.5, 0.8, { serverCpuSec: 5 }),
  run('agent', 2, 1.9, 0.5, { journalWrites: 2400 }),
  run('rclone', 2, 2.6, 0.9),
  run('agent', 3, 2.1, 0.7, { journalWrites: 2600 }),
  run('rclone', 3, 2.4, 0.7),
]);

describe('bench agent burst', () => {
  it('takes medians over the verified rounds and divides by the files', () => {
    const f = burstFigures(GOOD);
    assert.equal(f.tools.agent.runs, 3);
    assert.equal(f.tools.agent.filesPerSec, 500);
    assert.equal(f.tools.rclone.filesPerSec, 400);
    assert.equal(f.rateVsRclone, 1.25);
    assert.ok(Math.abs(f.tools.agent.cpuMsPerFile - 0.6) < 1e-9);
    assert.ok(Math.abs(f.cpuVsRclone - 0.75) < 1e-9);
    assert.equal(f.tools.agent.journalWritesPerFile, 2.5);
    assert.ok(Number.isNaN(f.tools.rclone.journalWritesPerFile));
    assert.equal(f.tools.agent.serverCpuMsPerFile, 4);
    assert.equal(f.tools.baseline.runs, 0);
  });

  it('leaves failed runs out of the figures and lists their reasons', () => {
    const f = burstFigures(
      burst([
        ...GOOD.runs,
        { ...run('agent', 4, Number.NaN, Number.NaN), verified: false, error: '3 file(s) parked' },
      ]),
    );
    assert.equal(f.tools.agent.runs, 3);
    assert.equal(f.tools.agent.failed, 1);
    assert.deepEqual(f.tools.agent.errors, ['3 file(s) parked']);
    assert.equal(f.tools.agent.filesPerSec, 500);
  });

  it("reads the journal's write transactions from /metrics, and nothing from a build without them", () => {
    const text = [
      '# HELP s3ferry_journal_write_transactions_total Write transactions ...',
      '# TYPE s3ferry_journal_write_transactions_total counter',
      's3ferry_journal_write_transactions_total 1234',
      's3ferry_files{state="done"} 5',
    ].join('\n');
    assert.equal(metricValue(text, JOURNAL_WRITES_METRIC), 1234);
    assert.equal(metricValue('s3ferry_files{state="done"} 5\n', JOURNAL_WRITES_METRIC), undefined);
    assert.equal(
      metricValue(`${JOURNAL_WRITES_METRIC}_other 3\n`, JOURNAL_WRITES_METRIC),
      undefined,
    );
  });

  it('checks the three targets of issue 14', () => {
    const checks = burstTargets({ ok: true, value: GOOD });
    assert.deepEqual(
      checks.map((c) => [c.met, c.measured]),
      [
        [false, '1.25x (500 vs 400 files/s)'], // short of 1.3x
        [true, '0.60 ms vs 0.80 ms (0.75x)'],
        [true, '2.50'],
      ],
    );
    const noCounter = burstTargets({
      ok: true,
      value: burst(GOOD.runs.map((r) => run(r.tool, r.round, r.wallSec, r.cpuSec))),
    });
    assert.equal(noCounter.at(-1)?.met, undefined, 'not measured without the metric');
    const failed = burstTargets({ ok: false, error: 'no agent' });
    assert.deepEqual(
      failed.map((c) => [c.met, c.measured]),
      [
        [false, 'failed: no agent'],
        [false, 'failed: no agent'],
        [false, 'failed: no agent'],
      ],
    );
    assert.deepEqual(burstTargets(undefined), []);
  });

  it('is an extra, on by default, scaled with the rest', () => {
    assert.ok(EXTRA_IDS.includes('burst'));
    assert.ok(parseOptions([]).extras.includes('burst'));
    assert.deepEqual(parseOptions(['--workloads', 'none', '--extras', 'burst']).extras, ['burst']);
    assert.equal(parseOptions(['--quick']).scale, 16);
  });

  it('has its section and targets in the report; an unusable run gives no ratio', () => {
    const report = renderReport(benchResults([], [], { burst: { ok: true, value: GOOD } }));
    assert.match(report, /## Agent burst: files moved into a watched directory/);
    assert.match(report, /\| s3ferry run \(the agent\) \| 3\/3 \| 2\.00 \(1\.90-2\.10\) \| 500 \|/);
    assert.match(report, /agent \/ rclone: files\/s \*\*1\.25x\*\* \(target >= 1\.3x\)/);
    assert.match(
      report,
      /journal write transactions per small file \*\*2\.50\*\* \(target at most 3\)/,
    );
    assert.match(report, /agent burst: >= 1\.3x rclone's files\/s .* \| \*\*no\*\* \|/);
    assert.match(report, /- Agent burst: the files are generated once/);
    const loaded = renderReport(
      benchResults([], [], {
        burst: { ok: true, value: GOOD },
        loadGate: { load1: 0.9, limit: 0.5, waitedSec: 600 },
      }),
    );
    assert.match(loaded, /Ratios: not usable: load 0\.90\./);
    assert.doesNotMatch(loaded, /agent \/ rclone/);
  });
});
