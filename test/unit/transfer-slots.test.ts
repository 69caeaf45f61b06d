import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferPool } from '../../src/transfer/buffer-pool.js';
import { Semaphore } from '../../src/transfer/semaphore.js';
import type { TransferSettings } from '../../src/transfer/transfer-types.js';
import { UploadRun, type RunDeps } from '../../src/transfer/upload-run.js';

const MIB = 1024 * 1024;

function run(deps: Pick<RunDeps, 'slots' | 'bufferSlots' | 'buffers'>): UploadRun {
  return new UploadRun(
    deps as RunDeps,
    {} as TransferSettings,
    { path: '/x', key: 'x' },
    {},
    undefined,
  );
}

/** Starts `n` holders of `bytes` each that wait for `gate`; returns how many ran at most at once. */
async function peak(r: UploadRun, n: number, bytes: number): Promise<number> {
  let now = 0;
  let most = 0;
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const all = Array.from({ length: n }, () =>
    r.withSlots(bytes, async () => {
      now += 1;
      most = Math.max(most, now);
      await gate;
      now -= 1;
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  open();
  await Promise.all(all);
  return most;
}

describe('UploadRun.withSlots', () => {
  it('lets small bodies use every request slot while big ones wait for a buffer slot', async () => {
    const r = run({
      slots: new Semaphore(8),
      bufferSlots: new Semaphore(2),
      buffers: new BufferPool(2, MIB),
    });
    assert.equal(await peak(r, 20, 4096), 8);
    assert.equal(await peak(r, 20, 8 * MIB), 2);
    assert.equal(await peak(r, 20, MIB), 2);
  });

  it('bounds big bodies by the request slots too when those are fewer', async () => {
    const r = run({
      slots: new Semaphore(3),
      bufferSlots: new Semaphore(5),
      buffers: new BufferPool(5, MIB),
    });
    assert.equal(await peak(r, 10, 4096), 3);
    assert.equal(await peak(r, 10, 8 * MIB), 3);
  });

  it('keeps big bodies to the buffer slots with small ones mixed in', async () => {
    const r = run({
      slots: new Semaphore(4),
      bufferSlots: new Semaphore(1),
      buffers: new BufferPool(1, MIB),
    });
    const [big, small] = await Promise.all([peak(r, 6, 8 * MIB), peak(r, 6, 10)]);
    assert.equal(big, 1);
    assert.ok(small >= 1 && small <= 4, `small bodies at once: ${small}`);
  });
});
