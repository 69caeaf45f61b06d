/**
 * The bench's load gate (issue 14): its decision as a pure function, the wait driven by a fake
 * load and clock, the options, and what the report says when a run is not usable. No server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  awaitQuietMachine,
  loadGateDecision,
  LoadTooHighError,
  MAX_LOAD_1MIN,
  usability,
} from '../../bench/lib/load-gate.js';
import { parseOptions } from '../../bench/lib/options.js';
import { renderReport } from '../../bench/lib/report.js';
import { workloads } from '../../bench/lib/workloads.js';
import { benchResults, verifiedRun } from '../support/bench-results.js';

const W2 = workloads(16).W2;

describe('bench load gate', () => {
  it('runs at or under 0.5, waits while there is time, then refuses or runs marked unusable', () => {
    const at = (load1: number, waitedMs: number, ignoreLoad = false) =>
      loadGateDecision({ load1, waitedMs, maxWaitMs: 600_000, ignoreLoad });
    assert.equal(MAX_LOAD_1MIN, 0.5);
    assert.equal(at(0.1, 0), 'run');
    assert.equal(at(0.5, 0), 'run');
    assert.equal(at(0.51, 0), 'wait');
    assert.equal(at(3, 599_999), 'wait');
    assert.equal(at(3, 600_000), 'refuse');
    assert.equal(at(3, 600_000, true), 'run-unusable');
    assert.equal(at(0.2, 700_000), 'run', 'a load that settled late still runs usable');
    assert.equal(at(Number.NaN, 600_000), 'refuse', 'an unknown load is not a quiet machine');
    assert.equal(
      loadGateDecision({ load1: 0.4, waitedMs: 0, maxWaitMs: 0, ignoreLoad: false, limit: 0.3 }),
      'refuse',
    );
  });

  it('judges a report by its gate record, or by the load before the run for older results', () => {
    assert.deepEqual(usability({ load1: 0.2, limit: 0.5, waitedSec: 0 }, '9 9 9'), {
      usable: true,
      load1: 0.2,
      label: '',
    });
    const old = usability(undefined, '3.47 4.34 3.29');
    assert.equal(old.usable, false);
    assert.equal(old.label, 'not usable: load 3.47');
    assert.equal(usability(undefined, '0.40 1 1').usable, true);
  });

  it('says the load, waits for it to settle, and goes on once it is low', async () => {
    const loads = [2.5, 1.1, 0.45];
    let t = 0;
    const lines: string[] = [];
    const record = await awaitQuietMachine({
      maxWaitMin: 10,
      ignoreLoad: false,
      log: (l) => lines.push(l),
      readLoad: () => Promise.resolve(loads.shift() ?? Number.NaN),
      pause: (ms) => {
        t += ms;
        return Promise.resolve();
      },
      now: () => t,
    });
    assert.equal(record.load1, 0.45);
    assert.equal(record.waitedSec, 30);
    assert.match(lines[0] ?? '', /2\.50.*waiting up to 10 min/);
    assert.equal(lines.length, 2, 'the wait is said once');
    assert.match(lines[1] ?? '', /0\.45.*ratios will be reported/);
  });

  it('refuses after the wait without --ignore-load, and says how to go on', async () => {
    let t = 0;
    const wait = (ignoreLoad: boolean) =>
      awaitQuietMachine({
        maxWaitMin: 1,
        ignoreLoad,
        log: () => undefined,
        readLoad: () => Promise.resolve(1.7),
        pause: (ms) => {
          t += ms;
          return Promise.resolve();
        },
        now: () => t,
      });
    await assert.rejects(wait(false), (err: unknown) => {
      assert.ok(err instanceof LoadTooHighError);
      assert.match(err.message, /1\.70.*--load-wait.*--ignore-load/);
      return true;
    });
    t = 0;
    const record = await wait(true);
    assert.equal(record.load1, 1.7);
    assert.equal(record.waitedSec, 60);
  });

  it('takes --load-wait and --ignore-load', () => {
    const o = parseOptions([]);
    assert.equal(o.loadWaitMin, 10);
    assert.equal(o.ignoreLoad, false);
    const p = parseOptions(['--load-wait', '0', '--ignore-load']);
    assert.equal(p.loadWaitMin, 0);
    assert.equal(p.ignoreLoad, true);
    assert.throws(() => parseOptions(['--load-wait', '-1']), /--load-wait/);
  });

  it('an unusable report gives no ratio and checks no target', () => {
    const runs = [verifiedRun(W2, 's3ferry', 1, { wallSec: 1 }), verifiedRun(W2, 'rclone', 1)];
    const loaded = renderReport(
      benchResults([W2], runs, { loadGate: { load1: 1.25, limit: 0.5, waitedSec: 600 } }),
    );
    assert.match(loaded, /\*\*Not usable: load 1\.25\.\*\*/);
    assert.match(loaded, /Not usable: load 1\.25\*\*: no target is checked/);
    assert.match(loaded, /Ratios: not usable: load 1\.25\./);
    assert.doesNotMatch(loaded, /s3ferry \/ best peer/);
    assert.doesNotMatch(loaded, /\| met \|/);
    const quiet = renderReport(benchResults([W2], runs));
    assert.doesNotMatch(quiet, /not usable: load \d/i);
    assert.match(quiet, /s3ferry \/ best peer/);
    const older = renderReport(benchResults([W2], runs, { machine: { loadAvg: '3.47 4 4' } }));
    assert.match(older, /Not usable: load 3\.47/);
  });
});
