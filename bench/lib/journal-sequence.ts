/**
 * The SQLite journal's calls of one single-PUT upload of a small file, replayed without S3 or
 * files, and the main-thread CPU they cost per file (bench/journal-ops.ts prints it; the bench's
 * per-object cost figures use it too):
 *
 *   findOpenUpload, beginUpload, appendEvent upload.started, <PUT>, recordPart, markCompleted,
 *   finishUpload verified, addHistory, appendEvent upload.finished
 *
 * (file-uploader.ts, single-upload.ts, upload-run.ts emit; the history row by the caller: the
 * PUT's ETag verifies the object, no HeadObject). With `agent`, also
 * what the agent adds around it (admission.ts, agent.ts, file-processor.ts): enqueue before,
 * claim first, markVerifying and complete at the end.
 *
 * N workers (16, as `upload` runs) each take the next file; every <PUT>, <HEAD> and the gap between
 * two files is an `await` of a promise resolved by setImmediate, standing for I/O, so the workers
 * interleave across event-loop turns the way they do for real. Each round opens a fresh journal
 * file in a tmp dir. CPU is process.cpuUsage (user + system: the main thread and SQLite, which
 * runs on it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JournalStore } from '../../src/journal/journal-store.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';

/** How one round runs. */
export interface JournalSequenceOptions {
  readonly files: number;
  readonly workers: number;
  readonly synchronous: 'normal' | 'full';
  /** Add the agent's file-state calls. */
  readonly agent: boolean;
}

const SIZE = 4096;
const JOB = 'bench';

/** Stands for one I/O wait (a read, an S3 request): the rest of the event loop turn runs first. */
const io = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

let clock = 1_700_000_000_000;
const now = (): number => (clock += 1);

async function uploadOne(journal: JournalStore, n: number, agent: boolean): Promise<void> {
  const path = `/srv/bench/f-${n}.bin`;
  const key = `bench/f-${n}.bin`;
  const destination = { endpoint: '', bucket: 'bench', key };
  const file = agent
    ? await journal.claim(now(), { owner: 'bench', leaseMs: 60_000 }, [JOB])
    : undefined;
  if (agent && file === undefined) throw new Error(`no file to claim for ${path}`);
  const startedAt = now();
  const open = await journal.findOpenUpload(destination);
  if (open !== undefined) throw new Error(`unexpected open upload for ${key}`);
  const record = await journal.beginUpload({
    destination,
    source: { path, size: SIZE, mtimeMs: startedAt, inode: n },
    mode: 'single',
    partSize: SIZE,
    partCount: 1,
    startedAt,
    owner: 'bench:1',
  });
  const event = { level: 'info', path, key } as const;
  await journal.appendEvent({
    ...event,
    at: now(),
    type: 'upload.started',
    message: `uploading ${path} to s3://bench/${key}`,
    data: { size: SIZE, mode: 'single' },
  });
  await io(); // read + md5 + PutObject
  const etag = n.toString(16).padStart(32, '0');
  await journal.recordPart(record.id, { partNumber: 1, size: SIZE, etag, md5: etag });
  await journal.markCompleted(record.id, etag);
  const finishedAt = now();
  await journal.finishUpload(record.id, { state: 'verified', finishedAt, etag });
  await journal.addHistory({
    sourcePath: path,
    endpoint: '',
    bucket: 'bench',
    key,
    size: SIZE,
    startedAt,
    finishedAt,
    avgBytesPerSec: SIZE / 0.001,
    attempts: 1,
    etag,
    checksum: `md5:${etag}`,
    result: 'done',
    error: null,
    job: JOB,
  });
  await journal.appendEvent({
    ...event,
    at: now(),
    type: 'upload.finished',
    message: `uploaded ${path} to s3://bench/${key}`,
    data: { job: JOB, size: SIZE, bytesSent: SIZE, etag, partsSent: 1, partsReused: 0 },
  });
  if (file !== undefined) {
    const hold = { fileId: file.id, owner: 'bench' };
    await journal.markVerifying(hold, now());
    await journal.complete(hold, now());
  }
}

/** One round on a fresh journal: CPU and wall ms per file. */
export async function journalRound(
  o: JournalSequenceOptions,
): Promise<{ cpuMsPerFile: number; wallMsPerFile: number }> {
  const { files } = o;
  const dir = await mkdtemp(join(tmpdir(), `s3ferry-bench-journal-${process.pid}-`));
  try {
    const journal = await SqliteJournalStore.open({
      path: join(dir, 'journal.db'),
      synchronous: o.synchronous,
    });
    try {
      if (o.agent) {
        // Admission happens as files are found, before the uploads: not part of the figure.
        for (let n = 0; n < files; n++) {
          const path = `/srv/bench/f-${n}.bin`;
          await journal.enqueue({ job: JOB, path, size: SIZE, mtimeMs: 1, inode: n }, now());
        }
      }
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < files) {
          const n = next++;
          await uploadOne(journal, n, o.agent);
          await io(); // the gap between two files: stat, open, the scheduler
        }
      };
      const cpu = process.cpuUsage();
      const wall = performance.now();
      await Promise.all(Array.from({ length: o.workers }, worker));
      const used = process.cpuUsage(cpu);
      const wallMs = performance.now() - wall;
      return {
        cpuMsPerFile: (used.user + used.system) / 1000 / files,
        wallMsPerFile: wallMs / files,
      };
    } finally {
      await journal.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
