/**
 * `node dist/bench/journal-ops.js [--files N] [--workers N] [--rounds N] [--synchronous full]
 * [--agent]`: main-thread CPU that the SQLite journal costs per uploaded small file. No S3, no
 * files: only the journal calls, replayed in the order one single-PUT upload makes them
 * (file-uploader.ts #attempt/#history, single-upload.ts, upload-run.ts emit):
 *
 *   findOpenUpload, beginUpload, appendEvent upload.started, <PUT>, recordPart, markCompleted,
 *   <HEAD>, finishUpload verified, addHistory, appendEvent upload.finished
 *
 * With `--agent`, also what the agent adds around it (admission.ts, agent.ts, file-processor.ts):
 * enqueueFile before, claimNextFile first, setFileState verifying and done at the end.
 *
 * N workers (16, as `upload` runs) each take the next file; every <PUT>, <HEAD> and the gap between
 * two files is an `await` of a promise resolved by setImmediate, standing for I/O, so the workers
 * interleave across event-loop turns the way they do for real. Each round opens a fresh journal
 * file in a tmp dir; a first, shorter round warms up and is not counted. Prints CPU ms per file
 * (process.cpuUsage, user + system: the main thread and SQLite, which runs on it) for every round
 * and their median. Not a test: a figure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { JournalStore } from '../src/journal/journal-store.js';
import { SqliteJournalStore } from '../src/journal/sqlite/sqlite-journal-store.js';

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '2000' },
    workers: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '5' },
    synchronous: { type: 'string', default: 'normal' },
    agent: { type: 'boolean', default: false },
  },
});
const FILES = Number(args.files);
const WORKERS = Number(args.workers);
const ROUNDS = Number(args.rounds);
const SYNCHRONOUS = args.synchronous === 'full' ? 'full' : 'normal';
const AGENT = args.agent;
const SIZE = 4096;
const JOB = 'bench';

/** Stands for one I/O wait (a read, an S3 request): the rest of the event loop turn runs first. */
const io = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

let clock = 1_700_000_000_000;
const now = (): number => (clock += 1);

async function uploadOne(journal: JournalStore, n: number): Promise<void> {
  const path = `/srv/bench/f-${n}.bin`;
  const key = `bench/f-${n}.bin`;
  const destination = { endpoint: '', bucket: 'bench', key };
  const file = AGENT ? await journal.claimNextFile(now(), [JOB]) : undefined;
  if (AGENT && file === undefined) throw new Error(`no file to claim for ${path}`);
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
  await io(); // HeadObject
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
    await journal.setFileState(file.id, 'verifying', now());
    await journal.setFileState(file.id, 'done', now());
  }
}

async function round(files: number): Promise<{ cpuMsPerFile: number; wallMsPerFile: number }> {
  const dir = await mkdtemp(join(tmpdir(), `s3ferry-bench-journal-${process.pid}-`));
  try {
    const journal = await SqliteJournalStore.open({
      path: join(dir, 'journal.db'),
      synchronous: SYNCHRONOUS,
    });
    try {
      if (AGENT) {
        // Admission happens as files are found, before the uploads: not part of the figure.
        for (let n = 0; n < files; n++) {
          const path = `/srv/bench/f-${n}.bin`;
          await journal.enqueueFile({ job: JOB, path, size: SIZE, mtimeMs: 1, inode: n }, now());
        }
      }
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < files) {
          const n = next++;
          await uploadOne(journal, n);
          await io(); // the gap between two files: stat, open, the scheduler
        }
      };
      const cpu = process.cpuUsage();
      const wall = performance.now();
      await Promise.all(Array.from({ length: WORKERS }, worker));
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

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

const sequence = AGENT ? 'upload + agent' : 'upload';
console.log(
  `journal-ops: ${FILES} files x ${ROUNDS} rounds, ${WORKERS} workers, ${sequence} sequence, synchronous=${SYNCHRONOUS}`,
);
await round(Math.min(FILES, 500)); // warm-up (JIT, page cache), not counted
const cpu: number[] = [];
const wall: number[] = [];
for (let r = 1; r <= ROUNDS; r++) {
  const res = await round(FILES);
  cpu.push(res.cpuMsPerFile);
  wall.push(res.wallMsPerFile);
  console.log(
    `  round ${r}: ${res.cpuMsPerFile.toFixed(3)} ms CPU/file, ${res.wallMsPerFile.toFixed(3)} ms wall/file`,
  );
}
console.log(
  `median: ${median(cpu).toFixed(3)} ms CPU/file, ${median(wall).toFixed(3)} ms wall/file`,
);
