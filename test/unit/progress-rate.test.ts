/**
 * Speed and ETA of the upload progress (issue 17 item 3): from a moving window, so that a stall
 * makes the speed fall to 0 and the ETA grow, then unknown, as rclone's do; and the bar drawn on
 * a tick shows it while no byte moves. Time is a number the tests set.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { RateMeter, RATE_WINDOW_MS } from '../../src/domain/rate-meter.js';
import { ProgressReporter } from '../../src/cli/progress-reporter.js';
import type { Clock } from '../../src/platform/clock.js';

const MIB = 1024 * 1024;
const T0 = 1_700_000_000_000;

/** A meter fed `mibPerSec` in 100 ms steps from T0 for `ms`; returns the meter and the time. */
function steady(mibPerSec: number, ms: number): { meter: RateMeter; now: number } {
  const meter = new RateMeter(T0);
  let now = T0;
  while (now < T0 + ms) {
    now += 100;
    meter.add(now, (mibPerSec * MIB) / 10);
  }
  return { meter, now };
}

describe('RateMeter', () => {
  it('measures a steady speed, and the ETA at it', () => {
    const { meter, now } = steady(20, 10_000);
    assert.equal(Math.round(meter.rate(now) / MIB), 20);
    const total = meter.bytes + 100 * MIB;
    assert.equal(Math.round((meter.eta(now, total) ?? 0) / 1000), 5);
    assert.equal(meter.eta(now, meter.bytes), 0, 'nothing left: 0');
  });

  it('in a stall, the speed falls to 0 within the window and the ETA grows, then is unknown', () => {
    const { meter, now: stalled } = steady(20, 10_000);
    const total = meter.bytes + 220 * MIB;
    let lastRate = meter.rate(stalled);
    let lastEta = meter.eta(stalled, total) ?? 0;
    for (let t = stalled + 500; t < stalled + RATE_WINDOW_MS; t += 500) {
      const rate = meter.rate(t);
      const eta = meter.eta(t, total);
      assert.ok(rate < lastRate, `the speed falls (${rate} after ${lastRate})`);
      assert.ok(eta !== undefined && eta > lastEta, `the ETA grows (${eta} after ${lastEta})`);
      lastRate = rate;
      lastEta = eta;
    }
    assert.equal(meter.rate(stalled + RATE_WINDOW_MS), 0);
    assert.equal(meter.eta(stalled + RATE_WINDOW_MS, total), undefined);
    assert.equal(meter.rate(stalled + 30_000), 0, 'the gateway silent 30 s: 0, not the old speed');
  });

  it('picks up again after a stall', () => {
    const { meter, now } = steady(20, 10_000);
    let t = now + 30_000;
    for (let i = 0; i < 50; i += 1) meter.add((t += 100), MIB);
    assert.equal(Math.round(meter.rate(t) / MIB), 10);
  });

  it('takes bytes back (a failed request) without a negative speed', () => {
    const meter = new RateMeter(T0);
    meter.add(T0 + 100, 4 * MIB);
    meter.add(T0 + 200, -4 * MIB);
    assert.equal(meter.bytes, 0);
    assert.equal(meter.rate(T0 + 300), 0);
  });

  it('measures right under a report every millisecond (close reports are one sample)', () => {
    const meter = new RateMeter(T0);
    for (let i = 1; i <= 100_000; i += 1) meter.add(T0 + i, 1);
    assert.equal(meter.bytes, 100_000);
    // 100 s of reports every ms: the window of 5 s holds a few dozen samples, the rate is right
    assert.equal(Math.round(meter.rate(T0 + 100_000)), 1000);
  });
});

describe('ProgressReporter on a terminal', () => {
  it('redraws on a tick while nothing moves: the speed falls to 0 and the ETA becomes unknown', () => {
    let time = T0;
    const clock: Clock = { now: () => time, sleep: () => Promise.resolve() };
    const err = new PassThrough();
    let drawn = '';
    err.setEncoding('utf8').on('data', (d: string) => (drawn += d));
    const reporter = new ProgressReporter({
      mode: 'tty',
      out: new PassThrough(),
      err,
      clock,
      bucketUrl: 's3://b/',
      totalBytes: 400 * MIB,
      totalFiles: 1,
    });
    for (let i = 0; i < 100; i += 1) {
      time += 100;
      reporter.onProgress({ bytes: 2 * MIB });
    }
    assert.match(reporter.text(time), /200\.0 MiB\/400\.0 MiB 20\.0 MiB\/s ETA 10s/);
    time += 30_000; // the gateway silent for 30 s
    drawn = '';
    reporter.tick();
    assert.match(drawn, /200\.0 MiB\/400\.0 MiB 0 B\/s ETA -- files 0\/1/);
  });

  it('moves within a part when bytes are reported as written', () => {
    let time = T0;
    const clock: Clock = { now: () => time, sleep: () => Promise.resolve() };
    const reporter = new ProgressReporter({
      mode: 'tty',
      out: new PassThrough(),
      err: new PassThrough(),
      clock,
      bucketUrl: 's3://b/',
      totalBytes: 8 * MIB,
      totalFiles: 1,
    });
    time += 500;
    reporter.onProgress({ bytes: MIB });
    assert.match(reporter.text(time), /1\.00 MiB\/8\.00 MiB/);
    reporter.onProgress({ bytes: -MIB }); // the request failed: taken back, sent again
    assert.match(reporter.text(time), /\s0% 0 B\/8\.00 MiB/);
  });
});
