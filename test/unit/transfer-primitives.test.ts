import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors/app-error.js';
import { BandwidthLimiter } from '../../src/transfer/bandwidth-limiter.js';
import { BufferPool } from '../../src/transfer/buffer-pool.js';
import { withRetry } from '../../src/transfer/retry.js';
import { Semaphore } from '../../src/transfer/semaphore.js';
import { FakeClock } from '../support/fake-clock.js';

const policy = { backoff: { baseMs: 100, capMs: 1000 }, maxElapsedMs: 10_000 };

describe('withRetry', () => {
  it('retries transient errors until success, waiting a backoff each time', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const retries: string[] = [];
    const out = await withRetry(
      'UploadPart',
      () => {
        calls += 1;
        return calls < 4
          ? Promise.reject(new AppError('ERR_S3_THROTTLED', 'slow down'))
          : Promise.resolve('ok');
      },
      policy,
      { clock, random: () => 0.5, onRetry: (r) => retries.push(r.error.code) },
    );
    assert.equal(out, 'ok');
    assert.equal(calls, 4);
    assert.equal(clock.sleeps.length, 3);
    assert.deepEqual(retries, ['ERR_S3_THROTTLED', 'ERR_S3_THROTTLED', 'ERR_S3_THROTTLED']);
  });
  it('retries a refused connection (an outage) but not a wrong key', async () => {
    const clock = new FakeClock();
    let calls = 0;
    await withRetry(
      'PutObject',
      () => {
        calls += 1;
        return calls === 1
          ? Promise.reject(new AppError('ERR_S3_ENDPOINT_UNREACHABLE', 'refused'))
          : Promise.resolve();
      },
      policy,
      { clock, random: () => 0 },
    );
    assert.equal(calls, 2);
    calls = 0;
    await assert.rejects(
      withRetry(
        'PutObject',
        () => {
          calls += 1;
          return Promise.reject(new AppError('ERR_S3_UNKNOWN_ACCESS_KEY', 'who?'));
        },
        policy,
        { clock, random: () => 0 },
      ),
      (e) => e instanceof AppError && e.code === 'ERR_S3_UNKNOWN_ACCESS_KEY',
    );
    assert.equal(calls, 1);
  });
  it('gives up once failures have lasted maxElapsedMs, keeping the code and saying how long', async () => {
    const clock = new FakeClock();
    await assert.rejects(
      withRetry('UploadPart', () => Promise.reject(new AppError('ERR_NETWORK', 'reset')), policy, {
        clock,
        random: () => 0.99,
      }),
      (e) =>
        e instanceof AppError &&
        e.code === 'ERR_NETWORK' &&
        /still failing after \d+ s/.test(e.message),
    );
    assert.ok(clock.time - 1_700_000_000_000 >= 10_000);
  });
  it('never retries a cancelled call', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    ac.abort();
    let calls = 0;
    await assert.rejects(
      withRetry(
        'UploadPart',
        () => {
          calls += 1;
          return Promise.reject(new AppError('ERR_NETWORK', 'reset'));
        },
        policy,
        { clock, random: () => 0 },
        ac.signal,
      ),
      (e) => e instanceof AppError && e.code === 'ERR_CANCELLED',
    );
    assert.equal(calls, 1);
  });
});

describe('BandwidthLimiter', () => {
  it('spaces requests so the average rate stays at the limit', async () => {
    const clock = new FakeClock();
    const limiter = new BandwidthLimiter({ clock, bytesPerSec: 1000 });
    const start = clock.now();
    for (let i = 0; i < 5; i += 1) await limiter.take(500);
    // 2,500 bytes at 1,000 B/s: the fifth request may start 2 s after the first
    assert.equal(clock.now() - start, 2000);
  });
});

describe('Semaphore', () => {
  it('never lets more than `size` holders run at once', async () => {
    const sem = new Semaphore(3);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        sem.with(async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((r) => setImmediate(r));
          running -= 1;
        }),
      ),
    );
    assert.equal(peak, 3);
  });
  it('a waiter whose signal aborts leaves the queue', async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const ac = new AbortController();
    const waiting = sem.acquire(ac.signal);
    ac.abort();
    await assert.rejects(waiting);
    sem.release();
    await sem.acquire(); // the slot is free again: the aborted waiter did not take it
  });
});

describe('BufferPool', () => {
  it('reuses large buffers and gives views of the asked size', () => {
    const pool = new BufferPool(2, 1000);
    const a = pool.take(2000);
    assert.equal(a.byteLength, 2000);
    const backing = a.buffer;
    pool.give(a);
    const b = pool.take(1500);
    assert.equal(b.byteLength, 1500);
    assert.equal(b.buffer, backing);
  });
  it('keeps at most maxIdle buffers and never pools small ones', () => {
    const pool = new BufferPool(1, 1000);
    const a = pool.take(2000);
    const b = pool.take(2000);
    pool.give(a);
    pool.give(b);
    assert.equal(pool.take(2000).buffer, a.buffer);
    assert.notEqual(pool.take(2000).buffer, b.buffer);
    const small = pool.take(10);
    pool.give(small);
    assert.notEqual(pool.take(2000).buffer, small.buffer);
  });
});
