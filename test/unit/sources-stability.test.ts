import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FileStamp } from '../../src/sources/file-stamp.js';
import { StabilityDetector } from '../../src/sources/stability-detector.js';
import { FakeClock } from '../support/fake-clock.js';

/** A synthetic stat: size and mtime move together as a writer appends. */
function stamp(size: number, mtimeMs: number, inode = 42): FileStamp {
  return { size, mtimeMs, inode };
}

describe('StabilityDetector', () => {
  it('hands a file out once its stamp stayed unchanged for the settle window, then forgets it', async () => {
    const clock = new FakeClock();
    const d = new StabilityDetector({ settleMs: 5_000 });
    const t0 = clock.now();
    d.observe('/in/a.mp4', stamp(100, t0), t0);
    assert.equal(d.size, 1);
    assert.equal(d.nextCheckAt(), t0 + 5_000);

    await clock.sleep(4_999);
    assert.deepEqual(d.due(clock.now()), []);
    d.observe('/in/a.mp4', stamp(100, t0), clock.now()); // same stamp: the window keeps running
    await clock.sleep(1);
    assert.deepEqual(d.due(clock.now()), [{ path: '/in/a.mp4', stat: stamp(100, t0) }]);
    assert.equal(d.size, 0);
    assert.equal(d.nextCheckAt(), undefined);
    assert.deepEqual(d.due(clock.now() + 60_000), [], 'handed out once');
  });

  it('restarts the window whenever size, mtime or inode changes', async () => {
    const clock = new FakeClock();
    const d = new StabilityDetector({ settleMs: 1_000 });
    const t0 = clock.now();
    d.observe('/f', stamp(10, t0), t0);
    await clock.sleep(900);
    d.observe('/f', stamp(20, t0 + 900), clock.now()); // grew
    assert.equal(d.nextCheckAt(), t0 + 1_900);
    await clock.sleep(900);
    d.observe('/f', stamp(20, t0 + 1_800), clock.now()); // touched
    await clock.sleep(900);
    d.observe('/f', stamp(20, t0 + 1_800, 43), clock.now()); // replaced by rename
    await clock.sleep(999);
    assert.deepEqual(d.due(clock.now()), []);
    await clock.sleep(1);
    assert.deepEqual(d.due(clock.now()), [{ path: '/f', stat: stamp(20, t0 + 1_800, 43) }]);
  });

  it('waits for the minimum age of the mtime as well as the window', () => {
    const clock = new FakeClock();
    const d = new StabilityDetector({ settleMs: 1_000, minAgeMs: 60_000 });
    const now = clock.now();
    d.observe('/young', stamp(1, now - 10_000), now); // 10 s old: ready when 60 s old
    d.observe('/old', stamp(1, now - 3_600_000), now); // an hour old: only the window
    assert.equal(d.nextCheckAt(), now + 1_000);
    assert.deepEqual(
      d.due(now + 1_000).map((f) => f.path),
      ['/old'],
    );
    assert.equal(d.nextCheckAt(), now + 50_000);
    assert.deepEqual(d.due(now + 49_999), []);
    assert.deepEqual(
      d.due(now + 50_000).map((f) => f.path),
      ['/young'],
    );
  });

  it('forgets a file that vanished (undefined stat) or that forget() names', () => {
    const clock = new FakeClock();
    const d = new StabilityDetector({ settleMs: 100 });
    const now = clock.now();
    d.observe('/a', stamp(1, now), now);
    d.observe('/b', stamp(1, now), now + 10);
    d.observe('/a', undefined, now + 20);
    assert.equal(d.has('/a'), false);
    d.forget('/b');
    d.forget('/never-seen');
    assert.equal(d.size, 0);
    assert.equal(d.nextCheckAt(), undefined);
    assert.deepEqual(d.due(now + 10_000), []);
  });

  it('nextCheckAt follows the earliest live candidate and skips restarted windows', () => {
    const d = new StabilityDetector({ settleMs: 1_000 });
    d.observe('/a', stamp(1, 0), 0);
    d.observe('/b', stamp(1, 0), 500);
    assert.equal(d.nextCheckAt(), 1_000);
    d.observe('/a', stamp(2, 600), 600); // /a restarts: /b is now first
    assert.equal(d.nextCheckAt(), 1_500);
    assert.deepEqual(
      d.due(2_000).map((f) => f.path),
      ['/b', '/a'],
      'earliest first',
    );
  });

  it('copies only the identity fields of a richer stat', () => {
    const d = new StabilityDetector({ settleMs: 0 });
    const rich = { size: 5, mtimeMs: 7, inode: 9, isFile: true, extra: 'x' };
    d.observe('/r', rich, 0);
    assert.deepEqual(d.due(0), [{ path: '/r', stat: { size: 5, mtimeMs: 7, inode: 9 } }]);
  });

  it('stays bounded while one file changes thousands of times', () => {
    const d = new StabilityDetector({ settleMs: 1_000 });
    for (let i = 0; i < 10_000; i++) d.observe('/growing', stamp(i, i), i);
    assert.equal(d.size, 1);
    assert.equal(d.nextCheckAt(), 9_999 + 1_000);
    assert.deepEqual(d.due(10_998), []);
    assert.deepEqual(d.due(10_999), [{ path: '/growing', stat: stamp(9_999, 9_999) }]);
    // internal heap compaction keeps memory proportional to candidates
    const heap = (d as unknown as { heap: unknown[] }).heap;
    assert.ok(heap.length <= 64, `heap has ${heap.length} nodes`);
  });

  it('hands out many files in deadline order', () => {
    const d = new StabilityDetector({ settleMs: 10 });
    const order = Array.from({ length: 500 }, (_, i) => (i * 7919) % 500);
    for (const i of order) d.observe(`/f${i}`, stamp(i, 0), i);
    const out = d.due(1_000).map((f) => Number(f.path.slice(2)));
    assert.deepEqual(
      out,
      Array.from({ length: 500 }, (_, i) => i),
    );
  });

  it('refuses a negative or non-finite window', () => {
    assert.throws(() => new StabilityDetector({ settleMs: -1 }), RangeError);
    assert.throws(() => new StabilityDetector({ settleMs: Number.NaN }), RangeError);
    assert.throws(() => new StabilityDetector({ settleMs: 1, minAgeMs: -5 }), RangeError);
  });
});
