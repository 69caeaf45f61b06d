/** Builds the real transfer engine (real S3 client, real SQLite journal) for in-process tests. */
import { randomInt } from 'node:crypto';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import type { NewEvent } from '../../src/journal/journal-store.js';
import { systemClock } from '../../src/platform/clock.js';
import { nodeFileSystem } from '../../src/platform/node-file-system.js';
import { buildS3Client } from '../../src/object-store/s3/s3-client.js';
import { S3ObjectTarget } from '../../src/object-store/s3/s3-object-target.js';
import { BandwidthLimiter } from '../../src/transfer/bandwidth-limiter.js';
import { BufferPool } from '../../src/transfer/buffer-pool.js';
import type { FileSystem } from '../../src/transfer/file-system.js';
import { FileUploader } from '../../src/transfer/file-uploader.js';
import { Semaphore } from '../../src/transfer/semaphore.js';
import {
  DEFAULT_BACKOFF_POLICY,
  type TransferSettings,
} from '../../src/transfer/transfer-types.js';
import type { S3ServerInfo } from './s3-server.js';

export interface Engine {
  readonly target: S3ObjectTarget;
  readonly journal: SqliteJournalStore;
  readonly uploader: FileUploader;
  readonly events: NewEvent[];
  close(): Promise<void>;
}

export const TEST_SETTINGS: TransferSettings = {
  partSize: 5 * 1024 * 1024,
  multipartThreshold: 5 * 1024 * 1024,
  partConcurrency: 4,
  resume: true,
  retry: { backoff: DEFAULT_BACKOFF_POLICY, maxElapsedMs: 60_000 },
  maxChangedRestarts: 3,
  unjournaledWindowMs: 15 * 60_000,
  ifNoneMatch: false,
};

export async function makeEngine(
  info: S3ServerInfo,
  bucket: string,
  journalPath: string,
  settings: Partial<TransferSettings> = {},
  bytesPerSec?: number,
  /** The file system the uploader reads through (the real one; a test may wrap it). */
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
  const all = { ...TEST_SETTINGS, ...settings };
  const uploader = new FileUploader(
    {
      target,
      journal,
      fs,
      clock: systemClock,
      random: () => randomInt(0, 1_000_000) / 1_000_000,
      slots: new Semaphore(all.partConcurrency),
      buffers: new BufferPool(all.partConcurrency),
      ...(bytesPerSec === undefined
        ? {}
        : { limiter: new BandwidthLimiter({ clock: systemClock, bytesPerSec }) }),
      owner: `test:${process.pid}`,
      observer: { onEvent: (e) => events.push(e) },
    },
    all,
  );
  return {
    target,
    journal,
    uploader,
    events,
    close: async () => {
      target.destroy();
      await journal.close();
    },
  };
}
