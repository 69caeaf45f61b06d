/** TransferTracker (the API's live transfers): bytes, speed over the last 5 s, ETA, lifetime. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransferTracker } from '../../src/agent/transfer-tracker.js';
import { FakeClock } from '../support/fake-clock.js';

const START = { fileId: 7, job: 'cams', path: '/srv/a.mp4', key: 'cams/a.mp4', size: 100_000_000 };

describe('TransferTracker', () => {
  it('an entry lives from begin to end; end is idempotent', () => {
    const clock = new FakeClock();
    const t = new TransferTracker({ clock });
    const h = t.begin(START);
    assert.equal(t.size, 1);
    assert.deepEqual(t.list(), [
      { ...START, bytesDone: 0, bytesPerSec: 0, etaMs: null, startedAt: clock.time },
    ]);
    h.end();
    h.end();
    h.progress(10); // late progress of an ended upload changes nothing
    assert.equal(t.size, 0);
    assert.deepEqual(t.list(), []);
  });

  it('speed is measured over the last 5 seconds; ETA follows from it', () => {
    const clock = new FakeClock();
    const t = new TransferTracker({ clock });
    const h = t.begin(START);
    clock.time += 1000;
    h.progress(8_000_000);
    let v = t.list()[0]!;
    assert.equal(v.bytesDone, 8_000_000);
    assert.equal(v.bytesPerSec, 8_000_000, 'young upload: measured since its start');
    assert.equal(v.etaMs, Math.round((92_000_000 / 8_000_000) * 1000));
    // 10 s later at 1 MB/s: only the last 5 s count
    for (let i = 0; i < 10; i += 1) {
      clock.time += 1000;
      h.progress(1_000_000);
    }
    v = t.list()[0]!;
    assert.equal(v.bytesDone, 18_000_000);
    assert.equal(v.bytesPerSec, 1_000_000);
    assert.equal(v.etaMs, 82_000);
    // stalled: the speed falls to 0 once the window holds no progress, and the ETA is unknown
    clock.time += 6000;
    v = t.list()[0]!;
    assert.equal(v.bytesPerSec, 0);
    assert.equal(v.etaMs, null);
  });

  it('a restart (the file changed) starts the bytes over; several uploads are listed in order', () => {
    const clock = new FakeClock();
    const t = new TransferTracker({ clock });
    const a = t.begin(START);
    const b = t.begin({ ...START, fileId: 8, path: '/srv/b.mp4', size: 10 });
    a.progress(5_000);
    a.restart();
    clock.time += 2000;
    b.progress(10);
    const [va, vb] = t.list();
    assert.ok(va !== undefined && vb !== undefined);
    assert.equal(va.bytesDone, 0);
    assert.deepEqual([vb.path, vb.etaMs, vb.bytesPerSec], ['/srv/b.mp4', 0, 5]);
  });
});
