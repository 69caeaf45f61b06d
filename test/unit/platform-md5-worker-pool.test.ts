import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Md5WorkerPool } from '../../src/platform/md5-worker-pool.js';
import { BufferPool } from '../../src/transfer/buffer-pool.js';

const MIB = 1024 * 1024;
const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

describe('Md5WorkerPool', () => {
  it('hashes pooled (shared) part buffers on workers, views included, like createHash', async () => {
    const pool = new Md5WorkerPool({ workers: 2 });
    const buffers = new BufferPool(4, MIB);
    try {
      const parts = [3 * MIB, 2 * MIB + 7, MIB].map((n) => randomFillSync(buffers.take(n)));
      assert.ok(parts.every((p) => p.buffer instanceof SharedArrayBuffer));
      const view = parts[0]?.subarray(12345, 12345 + MIB) ?? Buffer.alloc(0);
      const got = await Promise.all([...parts, view].map((p) => pool.md5Hex(p)));
      assert.deepEqual(
        got,
        [...parts, view].map((p) => md5(p)),
      );
    } finally {
      await pool.close();
    }
  });

  it('hashes small or unshared bodies inline, and everything inline once closed', async () => {
    const pool = new Md5WorkerPool({ workers: 1 });
    const small = Buffer.from('hello');
    const unshared = randomFillSync(Buffer.alloc(2 * MIB));
    assert.equal(await pool.md5Hex(small), '5d41402abc4b2a76b9719d911017c592');
    assert.equal(await pool.md5Hex(unshared), md5(unshared));
    await pool.close();
    const shared = randomFillSync(Buffer.from(new SharedArrayBuffer(MIB)));
    assert.equal(await pool.md5Hex(shared), md5(shared));
  });

  it('does not keep the process alive once its work is done', async () => {
    // A child that hashes on a worker and never closes the pool must still exit by itself.
    const module = fileURLToPath(new URL('../../src/platform/md5-worker-pool.js', import.meta.url));
    const script = `
      const { Md5WorkerPool } = await import(${JSON.stringify(module)});
      const pool = new Md5WorkerPool({ workers: 1 });
      const buf = Buffer.from(new SharedArrayBuffer(1024 * 1024));
      process.stdout.write(await pool.md5Hex(buf));`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { timeout: 60_000 },
        (err, stdout) => {
          if (err === null) resolve(stdout);
          else reject(new Error('the child failed', { cause: err }));
        },
      );
    });
    assert.equal(out, md5(Buffer.alloc(MIB)));
  });
});
