/**
 * Idle workers and the agent's stop signal (issue 17 item 5): every agent start printed
 * "MaxListenersExceededWarning ... 11 abort listeners added to [AbortSignal]". Each idle worker
 * waited for a wake-up or a one-second timer; a wake-up left the timer running with its listener
 * on the stop signal, so a few wake-ups within a second (files queued at start) added them up.
 * Here the clock's sleeps never end by themselves, so any timer a wake-up leaves behind stays.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent } from '../../src/agent/agent.js';
import { targetFor } from '../../src/agent/compose.js';
import { EventSink } from '../../src/agent/event-sink.js';
import { TransferTracker } from '../../src/agent/transfer-tracker.js';
import { parseConfig } from '../../src/config/load.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import type { Clock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { nodeFileSystem } from '../../src/platform/node-file-system.js';
import { chokidarWatcherFactory } from '../../src/sources/chokidar/chokidar-watcher.js';
import { makeTmpDir } from '../support/tmp.js';

/** Real time; a sleep ends only when its signal aborts, as a long timer would look to a listener. */
const parkedClock: Clock = {
  now: () => Date.now(),
  sleep: (_ms, signal) =>
    new Promise<void>((_resolve, reject) => {
      signal?.addEventListener(
        'abort',
        () => {
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        },
        { once: true },
      );
    }),
};

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('agent workers waiting for work', () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w);
  };
  before(() => process.on('warning', onWarning));
  after(() => process.off('warning', onWarning));

  it('leave no timer listening on the stop signal when woken (no MaxListenersExceededWarning)', async () => {
    const tmp = await makeTmpDir('idle-wait');
    const config = parseConfig(
      // port 9 (discard) refuses: the destination is unhealthy and the workers find nothing to do
      `jobs:\n  - name: inbox\n    sources: [${JSON.stringify(tmp.path)}]\n    destination:\n      bucket: b\n      endpoint: http://127.0.0.1:9\n`,
      'test.yaml',
    );
    const journal = await SqliteJournalStore.open({ path: ':memory:' });
    const events = new EventSink({ journal, logger: silentLogger, clock: parkedClock });
    const agent = new Agent(config, {
      journal,
      events,
      clock: parkedClock,
      fs: nodeFileSystem,
      watcherFactory: chokidarWatcherFactory(),
      buildTarget: targetFor,
      hostname: 'test',
      owner: 'test:1',
      env: {},
      random: () => 0.5,
      transfers: new TransferTracker({ clock: parkedClock }),
    });
    try {
      await agent.start();
      // each resume wakes the 8 idle workers, which look for work and wait again
      for (let i = 0; i < 4; i += 1) {
        await agent.resume();
        for (let t = 0; t < 5; t += 1) await turn();
      }
      await turn();
      const leaks = warnings.filter((w) => w.name === 'MaxListenersExceededWarning');
      assert.deepEqual(
        leaks.map((w) => w.message),
        [],
      );
    } finally {
      await agent.close();
      await events.close();
      await journal.close();
      await tmp.cleanup();
    }
  });
});
