/**
 * The hold, checked before every outside effect (src/agent/hold-guard.ts, fleet-member.ts), on a
 * real SQLite journal with a clock the test moves: valid until the lease of the file (from its
 * claim, or the last heartbeat that renewed it) minus the margin, renewed by a heartbeat, lost at
 * once when a heartbeat finds the file taken over, and lost when the clock jumps past the lease
 * (an agent stopped and continued) before any heartbeat could say so.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventSink } from '../../src/agent/event-sink.js';
import { FleetMember } from '../../src/agent/fleet-member.js';
import { HoldGuard, holdMargin } from '../../src/agent/hold-guard.js';
import { isAppError } from '../../src/errors/app-error.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import type { Clock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';

const LEASE = 30_000;
const MARGIN = holdMargin(LEASE);

/** A clock the test sets; each sleep waits until the test calls wake() (or its signal aborts). */
class SteppedClock implements Clock {
  time = 1_000_000;
  #sleepers: (() => void)[] = [];
  now(): number {
    return this.time;
  }
  sleep(_ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(new Error('aborted'));
        return;
      }
      signal?.addEventListener('abort', () => {
        reject(new Error('aborted'));
      });
      this.#sleepers.push(resolve);
    });
  }
  /** Ends the pending sleeps (the heartbeat loop beats once). */
  wake(): void {
    for (const s of this.#sleepers.splice(0)) s();
  }
}

function lapsed(fn: () => void): void {
  assert.throws(fn, (err) => isAppError(err, 'ERR_LEASE_LOST') && /lapsed/.test(err.message));
}

void describe('HoldGuard', () => {
  void it('is valid while its signal is not aborted and the clock is before its end', () => {
    const clock = new SteppedClock();
    const abort = new AbortController();
    const guard = new HoldGuard({ fileId: 1, owner: 'a' }, '/in/f', {
      clock,
      signal: abort.signal,
      validUntil: () => 2_000_000,
    });
    clock.time = 1_999_999;
    assert.equal(guard.valid, true);
    guard.check();
    clock.time = 2_000_000;
    assert.equal(guard.valid, false);
    lapsed(() => {
      guard.check();
    });
    clock.time = 1_000;
    abort.abort();
    assert.equal(guard.valid, false, 'an aborted signal ends it whatever the clock');
  });

  void it('a tenth of the lease is the margin', () => {
    assert.equal(holdMargin(30_000), 3_000);
    assert.equal(holdMargin(3_000), 300);
  });

  void it('follows the lease the journal holds: claim, heartbeats, takeover', async () => {
    const clock = new SteppedClock();
    const journal = await SqliteJournalStore.open({ path: ':memory:' });
    const events = new EventSink({ journal, logger: silentLogger, clock });
    const info = { id: 'a', hostname: 'h', pid: 1, startedAt: clock.time, version: '0' };
    const member = new FleetMember({ journal, clock, events, info, leaseMs: LEASE });
    try {
      await member.start(); // first heartbeat at 1,000,000
      const { file } = await journal.enqueue(
        { job: 'j', path: '/in/f', size: 1, mtimeMs: 1, inode: 1 },
        clock.time,
      );
      clock.time = 1_010_000;
      const claimedAt = clock.time;
      assert.equal((await journal.claim(claimedAt, member.claim, ['j']))?.id, file.id);
      const guard = member.hold(file, claimedAt, new AbortController().signal);
      // The claim's lease ends at claimedAt + LEASE (later than the first heartbeat's).
      clock.time = claimedAt + LEASE - MARGIN - 1;
      guard.check();
      clock.time = claimedAt + LEASE - MARGIN;
      lapsed(() => {
        guard.check();
      });
      // A heartbeat now renews the lease (the journal: now + LEASE): valid again.
      clock.wake();
      await waitUntil(() => guard.valid);
      const renewedAt = clock.time;
      assert.equal((await journal.getFile(file.id))?.leaseUntil, renewedAt + LEASE);
      clock.time = renewedAt + LEASE - MARGIN - 1;
      guard.check();
      // Stopped past its lease: the clock jumps, no heartbeat has run yet; the hold is lapsed.
      clock.time = renewedAt + LEASE + 5_000;
      lapsed(() => {
        guard.check();
      });
      // Another agent takes the file over; the next heartbeat finds it gone: lost for good.
      const other = { owner: 'b', leaseMs: LEASE };
      assert.equal((await journal.claim(clock.time, other, ['j']))?.owner, 'b');
      clock.wake();
      await waitUntil(() => guard.signal.aborted);
      assert.equal(guard.valid, false);
    } finally {
      await member.leave();
      await events.close();
      await journal.close();
    }
  });
});

/** Polls `check` on the event loop (the heartbeat's journal writes run there). */
async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i += 1) await new Promise((r) => setImmediate(r));
  assert.ok(check(), 'the condition came true');
}
