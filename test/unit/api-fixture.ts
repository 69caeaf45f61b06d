/**
 * An API over a real, in-memory agent that is never started (no sources, no S3 requests): for
 * tests that exercise the HTTP layer itself (validation, errors, OpenAPI, auth) with inject().
 */
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../src/agent/agent.js';
import { targetFor } from '../../src/agent/compose.js';
import { EventSink } from '../../src/agent/event-sink.js';
import { TransferTracker } from '../../src/agent/transfer-tracker.js';
import { buildApp } from '../../src/api/build-app.js';
import { parseConfig } from '../../src/config/load.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { nodeFileSystem } from '../../src/platform/node-file-system.js';
import { chokidarWatcherFactory } from '../../src/sources/chokidar/chokidar-watcher.js';

/** The API and what it was built on; close() disposes of all. */
export interface ApiFixture {
  readonly app: FastifyInstance;
  readonly journal: SqliteJournalStore;
  readonly reloads: { count: number };
  close(): Promise<void>;
}

/** Builds the API on an unstarted agent with one job `inbox`; `token` turns auth on. */
export async function apiFixture(token?: string): Promise<ApiFixture> {
  const config = parseConfig(
    `jobs:\n  - name: inbox\n    sources: [/nonexistent/s3ferry-inbox]\n    destination:\n      bucket: b\n      endpoint: http://127.0.0.1:9\n`,
    'test.yaml',
  );
  const journal = await SqliteJournalStore.open({ path: ':memory:' });
  const events = new EventSink({ journal, logger: silentLogger, clock: systemClock });
  const transfers = new TransferTracker({ clock: systemClock });
  const agent = new Agent(config, {
    journal,
    events,
    clock: systemClock,
    fs: nodeFileSystem,
    watcherFactory: chokidarWatcherFactory(),
    buildTarget: targetFor,
    hostname: 'test',
    owner: 'test:1',
    env: {},
    random: () => 0.5,
    transfers,
  });
  const reloads = { count: 0 };
  const app = buildApp({
    agent,
    journal,
    events,
    transfers,
    metrics: new Registry(),
    clock: systemClock,
    reload: () => {
      reloads.count += 1;
      return Promise.resolve();
    },
    ...(token === undefined ? {} : { token }),
  });
  await app.ready();
  return {
    app,
    journal,
    reloads,
    close: async () => {
      await app.close();
      await events.close();
      await journal.close();
    },
  };
}
