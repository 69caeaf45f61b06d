/**
 * The agent's composition root: builds the journal, logger, event sink, targets, watcher and the
 * Agent from a validated configuration. Nothing below builds its own clock, store, client or logger.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import { Registry } from 'prom-client';
import type { AgentConfig, DestinationConfig } from '../config/agent-config.js';
import { connectionEnvironment } from '../config/connection-env.js';
import { readEnvironment } from '../config/environment.js';
import { isJournalUrl, openJournal } from '../journal/open-journal.js';
import { isInMemoryPath } from '../journal/sqlite/sqlite-connection.js';
import type { JournalStore } from '../journal/journal-store.js';
import { acquireAgentLock } from '../platform/agent-lock.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { packageVersion } from '../platform/package-version.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { md5Workers, Md5WorkerPool } from '../platform/md5-worker-pool.js';
import { nodeFileSystem } from '../platform/node-file-system.js';
import { chokidarWatcherFactory } from '../sources/chokidar/chokidar-watcher.js';
import { buildS3Connection } from '../object-store/s3/s3-client.js';
import { S3ObjectTarget } from '../object-store/s3/s3-object-target.js';
import { createAgentMetrics, writeTransactionsOf } from '../metrics/agent-metrics.js';
import { Agent } from './agent.js';
import type { TargetContext } from './job-builder.js';
import { EventSink } from './event-sink.js';
import { TransferTracker } from './transfer-tracker.js';

/** Everything a running agent consists of, closed in reverse order by close(). */
export interface RunningAgent {
  readonly agent: Agent;
  readonly journal: JournalStore;
  readonly events: EventSink;
  readonly logger: Logger;
  /** Uploads running now, with their progress. */
  readonly transfers: TransferTracker;
  /** The agent's Prometheus metrics (its own registry). */
  readonly metrics: Registry;
  readonly clock: Clock;
  /**
   * Records where the agent's API listens (a URL this machine reaches it by), in the SQLite
   * journal's lock and in the journal's agents table, so that the CLI finds the agent holding a
   * journal whatever its port. Never rejects: a failure is logged.
   */
  announceApi(url: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds the S3 target of a destination. `context.env` supplies what the AWS CLI would take from
 * the environment (AWS_CA_BUNDLE, the profile's ca_bundle, S3FERRY_RESOLVE; default: this
 * process's); `context.settings` names the destination's settings in the fixes of its errors (the
 * configuration's paths). Throws ERR_CONFIG_INVALID when the CA bundle cannot be read.
 */
export function targetFor(d: DestinationConfig, context: TargetContext = {}): S3ObjectTarget {
  const env = context.env ?? readEnvironment();
  const { ca, resolve } = connectionEnvironment(d.caBundle, 'caBundle', d.profile, env);
  const { client, direct } = buildS3Connection({
    ...(d.endpoint === undefined ? {} : { endpoint: d.endpoint }),
    ...(d.region === undefined ? {} : { region: d.region }),
    ...(d.forcePathStyle === undefined ? {} : { forcePathStyle: d.forcePathStyle }),
    ...(d.profile === undefined ? {} : { profile: d.profile }),
    ...(d.accessKeyId === undefined ? {} : { accessKeyId: d.accessKeyId }),
    ...(d.secretAccessKey === undefined ? {} : { secretAccessKey: d.secretAccessKey }),
    ...(d.sessionToken === undefined ? {} : { sessionToken: d.sessionToken }),
    ...(d.proxy === undefined ? {} : { proxy: d.proxy }),
    noProxy: d.noProxy,
    checksumMode: d.checksumMode,
    maxSockets: Math.max(16, d.concurrency * 2),
    ...(ca === undefined ? {} : { ca: ca.pem }),
    ...(resolve.length === 0 ? {} : { resolve }),
  });
  return new S3ObjectTarget({
    client,
    direct,
    bucket: d.bucket,
    endpoint: d.endpoint ?? '',
    ...(d.region === undefined ? {} : { region: d.region }),
    ...(ca === undefined ? {} : { caBundle: `${ca.path} (from ${ca.origin})` }),
    ...(context.settings === undefined ? {} : { settings: context.settings }),
  });
}

export async function startAgent(
  config: AgentConfig,
  options: {
    env: Readonly<Record<string, string | undefined>>;
    logStream?: NodeJS.WritableStream;
    clock?: Clock;
  },
): Promise<RunningAgent> {
  const clock = options.clock ?? systemClock;
  const logger = createLogger(config.log.level, options.logStream, config.log.format);
  const agentId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  // One agent per SQLite journal; agents that share work share a PostgreSQL journal.
  const lock =
    isJournalUrl(config.journal) || isInMemoryPath(config.journal)
      ? undefined
      : acquireAgentLock(config.journal, {
          pid: process.pid,
          hostname: hostname(),
          now: clock.now(),
        });
  let journal: JournalStore;
  try {
    journal = await openJournal(config.journal, { eventRetention: config.events.retention });
  } catch (err) {
    lock?.release();
    throw err;
  }
  const events = new EventSink({
    journal,
    logger,
    clock,
    ...(config.events.webhook === undefined ? {} : { webhook: config.events.webhook }),
  });
  const transfers = new TransferTracker({ clock });
  // files per second: the uploads this agent finished, as the metrics count them
  const unsubscribeRates = events.subscribe(transfers.rates.listener());
  // One pool for the process, lent to every destination's transfer service; closed after them.
  const hasher = new Md5WorkerPool({ workers: md5Workers() });
  const agent = new Agent(config, {
    transfers,
    journal,
    events,
    clock,
    fs: nodeFileSystem,
    watcherFactory: chokidarWatcherFactory(),
    buildTarget: (d, context) => targetFor(d, { ...context, env: readEnvironment(options.env) }),
    hostname: hostname(),
    owner: agentId,
    version: packageVersion(),
    env: options.env,
    random: () => randomInt(0, 1_000_000) / 1_000_000,
    hasher,
  });
  const metrics = createAgentMetrics({
    registry: new Registry(),
    events,
    countFiles: () => journal.countFiles(),
    webhook: () => events.webhookStats(),
    destinations: () =>
      agent.destinations().map((d) => ({ name: d.name, healthy: d.health.healthy })),
    bandwidth: () => agent.bandwidth.view(),
    journalWriteTransactions: writeTransactionsOf(journal),
  });
  try {
    await agent.start();
  } catch (err) {
    await agent.close().catch(() => undefined);
    await hasher.close();
    metrics.close();
    unsubscribeRates();
    await journal.close();
    lock?.release();
    throw err;
  }
  return {
    agent,
    journal,
    events,
    logger,
    transfers,
    metrics: metrics.registry,
    clock,
    announceApi: async (url) => {
      try {
        lock?.announceApi(url);
        await journal.announceApi(agentId, url);
      } catch (err) {
        logger.warn({ err: String(err) }, 'the API address could not be recorded in the journal');
      }
    },
    close: async () => {
      await agent.close();
      await hasher.close();
      metrics.close();
      unsubscribeRates();
      await events.close();
      await journal.close();
      lock?.release();
    },
  };
}
