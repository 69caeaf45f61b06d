/**
 * The transfer service as the agent and `s3ferry upload` build it (real S3 client, real SQLite
 * journal, the MD5 worker pool), for in-process tests.
 */
import { randomInt } from 'node:crypto';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import type { NewEvent } from '../../src/journal/journal-store.js';
import { systemClock } from '../../src/platform/clock.js';
import { md5Workers, Md5WorkerPool } from '../../src/platform/md5-worker-pool.js';
import { nodeFileSystem } from '../../src/platform/node-file-system.js';
import { buildS3Client } from '../../src/object-store/s3/s3-client.js';
import { S3ObjectTarget } from '../../src/object-store/s3/s3-object-target.js';
import type { FileSystem } from '../../src/transfer/file-system.js';
import { TransferService } from '../../src/transfer/transfer-service.js';
import { DEFAULT_BACKOFF_POLICY, type TransferConfig } from '../../src/transfer/transfer-types.js';
import type { S3ServerInfo } from './s3-server.js';

export interface Engine {
  readonly target: S3ObjectTarget;
  readonly journal: SqliteJournalStore;
  readonly service: TransferService;
  /** Every event the service published, in order. */
  readonly events: NewEvent[];
  close(): Promise<void>;
}

export const TEST_CONFIG: TransferConfig = {
  partSize: 5 * 1024 * 1024,
  multipartThreshold: 5 * 1024 * 1024,
  concurrency: 4,
  partBuffers: 4,
  resume: true,
  retry: { backoff: DEFAULT_BACKOFF_POLICY, maxElapsedMs: 60_000 },
  verify: 'etag',
  write: {},
};

/** A service on `target` writing `journal`, started; the caller closes it. */
export function makeService(
  target: S3ObjectTarget,
  journal: SqliteJournalStore,
  options: {
    config?: Partial<TransferConfig>;
    fs?: FileSystem;
    hasher?: Md5WorkerPool;
    events?: NewEvent[];
  } = {},
): TransferService {
  const events = options.events;
  const service = new TransferService(
    {
      target,
      ledger: journal,
      fs: options.fs ?? nodeFileSystem,
      clock: systemClock,
      random: () => randomInt(0, 1_000_000) / 1_000_000,
      ...(options.hasher === undefined ? {} : { hasher: options.hasher }),
      owner: `test:${process.pid}`,
      publish: async (e) => {
        events?.push(e);
        await journal.appendEvent(e);
      },
    },
    { ...TEST_CONFIG, ...options.config },
  );
  service.start();
  return service;
}

export async function makeEngine(
  info: S3ServerInfo,
  bucket: string,
  journalPath: string,
  config: Partial<TransferConfig> = {},
  /** The file system the service reads through (the real one; a test may wrap it). */
  fs: FileSystem = nodeFileSystem,
): Promise<Engine> {
  const target = new S3ObjectTarget({
    client: buildS3Client({
      endpoint: info.endpoint,
      region: info.region,
      accessKeyId: info.accessKeyId,
      secretAccessKey: info.secretAccessKey,
    }),
    bucket,
    endpoint: info.endpoint,
  });
  const journal = await SqliteJournalStore.open({ path: journalPath });
  const events: NewEvent[] = [];
  const hasher = new Md5WorkerPool({ workers: md5Workers() });
  const service = makeService(target, journal, { config, fs, hasher, events });
  return {
    target,
    journal,
    service,
    events,
    close: async () => {
      await service.close();
      target.destroy();
      await hasher.close();
      await journal.close();
    },
  };
}
