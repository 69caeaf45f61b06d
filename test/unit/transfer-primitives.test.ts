import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors/app-error.js';
import { BandwidthLimiter, chainThrottles } from '../../src/transfer/bandwidth-limiter.js';
import { BufferPool } from '../../src/transfer/buffer-pool.js';
import { withRetry } from '../../src/transfer/retry.js';
import { Semaphore } from '../../src/transfer/semaphore.js';
import { FakeClock } from '../support/fake-clock.js';
import { ManualClock } from '../support/job-source-harness.js';

/** Lets promise callbacks run (the manual clock fires timers synchronously). */
const settle = () => new Promise((r) => setImmediate(r));

/** A take() whose settling can be looked at. */
function watch(p: Promise<void>): { done: boolean; error: unknown } {
  const state: { done: boolean; error: unknown } = { done: false, error: undefined };
  p.then(
    () => (state.done = true),
    (err: unknown) => {
      state.done = true;
      state.error = err;
    },
  );
  return state;
}

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

  it('a rate change re-plans the requests that wait: the bytes released so far stay released', async () => {
    const clock = new ManualClock();
    const limiter = new BandwidthLimiter({ clock, bytesPerSec: 100 });
    await limiter.take(1000); // first: at once
    const second = watch(limiter.take(1000)); // its turn: 10 s at 100 B/s
    await settle();
    clock.advance(5000); // 500 bytes of the first released
    await settle();
    assert.equal(second.done, false);
    limiter.setRate(1000); // the other 500 at 1000 B/s: 0.5 s
    await settle();
    clock.advance(499);
    await settle();
    assert.equal(second.done, false);
    clock.advance(1);
    await settle();
    assert.deepEqual(second, { done: true, error: undefined });
  });

  it('no limit lets the waiting requests go at once, and later ones pass; a new rate starts from now', async () => {
    const clock = new ManualClock();
    const limiter = new BandwidthLimiter({ clock, bytesPerSec: 1 });
    await limiter.take(3600);
    const held = watch(limiter.take(10)); // an hour away
    await settle();
    limiter.setRate(undefined);
    await settle();
    assert.deepEqual(held, { done: true, error: undefined });
    assert.equal(limiter.bytesPerSec, undefined);
    await limiter.take(1e9); // no limit: no wait
    limiter.setRate(1000);
    await limiter.take(1000); // what went unlimited is not owed: at once
    const next = watch(limiter.take(1));
    await settle();
    assert.equal(next.done, false);
    clock.advance(1000);
    await settle();
    assert.equal(next.done, true);
  });

  it('an abort still ends a wait, across rate changes', async () => {
    const clock = new ManualClock();
    const limiter = new BandwidthLimiter({ clock, bytesPerSec: 10 });
    await limiter.take(100);
    const ac = new AbortController();
    const held = watch(limiter.take(100, ac.signal));
    await settle();
    limiter.setRate(20);
    await settle();
    assert.equal(held.done, false);
    ac.abort();
    await settle();
    assert.equal((held.error as Error | undefined)?.name, 'AbortError');
  });

  it('a chain takes from each limiter in turn', async () => {
    const clock = new FakeClock();
    const own = new BandwidthLimiter({ clock, bytesPerSec: 1000 });
    const shared = new BandwidthLimiter({ clock, bytesPerSec: 500 });
    const chain = chainThrottles([own, shared]);
    const start = clock.now();
    for (let i = 0; i < 3; i += 1) await chain?.take(500);
    // the shared 500 B/s bounds it: the third request starts 2 s after the first
    assert.equal(clock.now() - start, 2000);
    assert.equal(chainThrottles([]), undefined);
    assert.equal(chainThrottles([own]), own);
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
