/**
 * The queue's time left (domain/queue-eta.ts), each job's throughput over a moving window
 * (agent/job-rates.ts, on a fake clock) and the /stats answer made of both (control/queue-stats.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobRates } from '../../src/agent/job-rates.js';
import { TransferTracker } from '../../src/agent/transfer-tracker.js';
import { queueStats } from '../../src/control/queue-stats.js';
import { queueEta } from '../../src/domain/queue-eta.js';
import type { EventRecord } from '../../src/journal/journal-store.js';
import { FakeClock } from '../support/fake-clock.js';

const MiB = 1024 * 1024;
const RUNNING = { paused: false, starting: false };

describe('queueEta', () => {
  it('nothing left: empty; paused: paused; never a number unless something moves', () => {
    const rate = { bytesPerSec: MiB, filesPerSec: 1 };
    assert.deepEqual(queueEta({ files: 0, bytes: 0 }, rate, RUNNING), { state: 'empty', ms: null });
    assert.deepEqual(queueEta({ files: 3, bytes: 10 }, rate, { paused: true, starting: false }), {
      state: 'paused',
      ms: null,
    });
    const still = { bytesPerSec: 0, filesPerSec: 0 };
    assert.deepEqual(queueEta({ files: 3, bytes: 10 }, still, RUNNING), {
      state: 'stalled',
      ms: null,
    });
    assert.deepEqual(queueEta({ files: 3, bytes: 10 }, still, { paused: false, starting: true }), {
      state: 'starting',
      ms: null,
    });
  });

  it('moving: the longer of the estimates by bytes and by files', () => {
    // bound by bytes: 100 MiB at 10 MiB/s is 10 s; 2 files at 1 file/s is 2 s
    assert.deepEqual(
      queueEta({ files: 2, bytes: 100 * MiB }, { bytesPerSec: 10 * MiB, filesPerSec: 1 }, RUNNING),
      { state: 'moving', ms: 10_000 },
    );
    // bound by files: 600 small files at 20 files/s is 30 s
    assert.deepEqual(
      queueEta({ files: 600, bytes: 6 * MiB }, { bytesPerSec: 10 * MiB, filesPerSec: 20 }, RUNNING),
      { state: 'moving', ms: 30_000 },
    );
    // one large file under way, none done in the window yet: bytes alone
    assert.deepEqual(
      queueEta({ files: 1, bytes: 4 * MiB }, { bytesPerSec: 2 * MiB, filesPerSec: 0 }, RUNNING),
      { state: 'moving', ms: 2000 },
    );
  });
});

const doneEvent = (job: string, mode?: string): EventRecord => ({
  id: 1,
  at: 0,
  type: 'file.done',
  level: 'info',
  message: 'done',
  data: mode === undefined ? { job } : { job, mode },
});

describe('JobRates', () => {
  it('bytes and files per second over the window, per job and in all', () => {
    const clock = new FakeClock();
    const rates = new JobRates({ clock, windowMs: 60_000 });
    assert.deepEqual(rates.rate('cams'), { bytesPerSec: 0, filesPerSec: 0, beganRecently: false });
    rates.began('cams');
    // measured from a second before the first activity: 9 s of 10 MiB/s after 9 s is 90 MiB in 10 s
    for (let s = 0; s < 9; s += 1) {
      clock.time += 1000;
      rates.moved('cams', 10 * MiB);
    }
    const listen = rates.listener();
    listen(doneEvent('cams', 'multipart'));
    listen(doneEvent('cams')); // no mode: not an upload of this agent (found done, copied)
    listen({ ...doneEvent('cams', 'single'), type: 'file.parked' });
    const cams = rates.rate('cams');
    assert.equal(cams.bytesPerSec, 9 * MiB);
    assert.equal(cams.filesPerSec, 0.1);
    assert.equal(cams.beganRecently, true);
    assert.deepEqual(rates.rate(), cams, 'one job: the total is its rate');
    assert.equal(rates.rate('other').bytesPerSec, 0);
  });

  it('falls to 0 within a window of silence; a new burst is measured over its own seconds', () => {
    const clock = new FakeClock();
    const rates = new JobRates({ clock, windowMs: 60_000 });
    rates.began('cams');
    clock.time += 1000;
    rates.moved('cams', 8 * MiB);
    assert.ok(rates.rate('cams').bytesPerSec > 0);
    assert.equal(rates.young(), true);
    clock.time += 61_000;
    assert.deepEqual(rates.rate('cams'), { bytesPerSec: 0, filesPerSec: 0, beganRecently: false });
    assert.equal(rates.young(), false);
    clock.time += 3_600_000;
    rates.began('cams');
    clock.time += 1000;
    rates.moved('cams', 4 * MiB);
    // 4 MiB since a second before the burst began, not over the quiet minute before it
    assert.equal(rates.rate('cams').bytesPerSec, 2 * MiB);
    assert.equal(rates.rate().bytesPerSec, 2 * MiB);
  });

  it('the TransferTracker feeds it with the bytes of its uploads', () => {
    const clock = new FakeClock();
    const tracker = new TransferTracker({ clock });
    const h = tracker.begin({ fileId: 1, job: 'j', path: '/a', key: 'a', size: 10 * MiB });
    assert.equal(tracker.rates.rate('j').beganRecently, true);
    clock.time += 1000;
    h.progress(4 * MiB);
    h.end();
    assert.equal(tracker.rates.rate('j').bytesPerSec, 2 * MiB);
  });
});

describe('queueStats', () => {
  it('left less the bytes sent; per job and in all; paused jobs left out of the total', () => {
    const clock = new FakeClock();
    const rates = new JobRates({ clock, windowMs: 60_000 });
    rates.began('a');
    clock.time += 1000;
    rates.moved('a', 2 * MiB); // 1 MiB/s over 2 s
    clock.time += 61_000 - 1000 - 1; // not young any more, a's burst still in the window
    const stats = queueStats({
      jobs: [
        { name: 'a', paused: false },
        { name: 'b', paused: true },
        { name: 'c', paused: false },
        { name: 'd', paused: false },
      ],
      left: {
        a: { files: 2, bytes: 12 * MiB },
        b: { files: 5, bytes: MiB },
        c: { files: 1, bytes: MiB },
        gone: { files: 9, bytes: MiB },
      },
      transfers: [
        {
          fileId: 1,
          job: 'a',
          path: '/a/1',
          key: '1',
          size: 10 * MiB,
          bytesDone: 2 * MiB,
          bytesPerSec: 0,
          etaMs: null,
          startedAt: 0,
        },
      ],
      rates,
    });
    const [a, b, c, d] = stats.jobs.map((j) => j);
    assert.deepEqual(
      stats.jobs.map((j) => j.name),
      ['a', 'b', 'c', 'd'],
    );
    assert.equal(stats.windowMs, 60_000);
    assert.deepEqual(a!.left, { files: 2, bytes: 10 * MiB });
    assert.equal(a!.eta.state, 'moving');
    assert.ok((a!.eta.ms ?? 0) > 0);
    assert.deepEqual(b!.eta, { state: 'paused', ms: null });
    assert.deepEqual(c!.eta, { state: 'stalled', ms: null });
    assert.deepEqual(d!.eta, { state: 'empty', ms: null });
    assert.deepEqual(stats.total.left, { files: 3, bytes: 11 * MiB }, 'a and c; not b, not gone');
    assert.equal(stats.total.eta.state, 'moving');
  });

  it('other agents upload the files and nothing moves here: no estimate, but never stalled', () => {
    const clock = new FakeClock();
    const rates = new JobRates({ clock, windowMs: 60_000 });
    clock.time += 120_000; // an agent long started, that moved nothing in the window
    const input = {
      jobs: [{ name: 'a', paused: false }],
      left: { a: { files: 3, bytes: 300 } },
      transfers: [],
      rates,
    };
    assert.deepEqual(queueStats(input).jobs[0]?.eta, { state: 'stalled', ms: null });
    const fleet = queueStats({ ...input, uploading: { a: { files: 1, bytes: 100 } } });
    assert.deepEqual(fleet.jobs[0]?.eta, { state: 'starting', ms: null });
    assert.deepEqual(fleet.total.eta, { state: 'starting', ms: null });
  });

  it('every job with files left paused: the total is paused', () => {
    const rates = new JobRates({ clock: new FakeClock() });
    const stats = queueStats({
      jobs: [
        { name: 'a', paused: true },
        { name: 'b', paused: false },
      ],
      left: { a: { files: 1, bytes: 1 } },
      transfers: [],
      rates,
    });
    assert.deepEqual(stats.total.eta, { state: 'paused', ms: null });
    assert.deepEqual(stats.total.left, { files: 0, bytes: 0 });
  });
});
