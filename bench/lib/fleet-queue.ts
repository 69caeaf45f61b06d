/**
 * The PostgreSQL queue alone (no S3), for `npm run bench:fleet` (issue 14): N "agents", each a
 * PostgresJournalStore of its own with one connection (the journal's real store, through the
 * ports the agent uses: FileQueue, Fleet), on a fresh database per run. Three timed phases, all
 * agents at once, each agent's operations one after another:
 * 1. enqueue: every file queued, with its `file.queued` event (as the agent's admission does);
 * 2. heartbeats: each agent holds HELD files (claimed beforehand, not timed) and sends HEARTBEATS
 *    heartbeats, each renewing the leases of its files;
 * 3. file cycles: claim -> markVerifying -> complete with its event and history row (a small
 *    file's transitions as the agent makes them), until the queue is empty.
 * Each phase records its wall time, the PostgreSQL cluster's CPU (fleet-servers.ts) and this
 * process's own CPU (the client side of all N agents).
 */
import { hostname } from 'node:os';
import type { FileQueue } from '../../src/journal/file-queue.js';
import type { AgentInfo, Fleet } from '../../src/journal/fleet.js';
import { PostgresJournalStore } from '../../src/journal/postgres/postgres-journal-store.js';
import { pgQuery, postgresCpu } from './fleet-servers.js';

/** What one bench agent uses of the journal: the agent's own slices of it. */
type QueueAgentJournal = Pick<FileQueue, 'enqueue' | 'claim' | 'markVerifying' | 'complete'> &
  Pick<Fleet, 'heartbeat'>;

/** One bench agent: its journal and who it is. */
interface QueueAgent {
  readonly journal: QueueAgentJournal;
  readonly info: AgentInfo;
}

/** The concurrencies measured. */
export const QUEUE_AGENTS = [1, 2, 4, 8] as const;
/** Files each agent holds during the heartbeat phase (an agent's 8 workers). */
export const HELD = 8;
/** The lease the claims and heartbeats ask for (the default `lease`). */
export const LEASE_MS = 30_000;
const JOB = 'bench';

/** One timed phase. */
export interface QueuePhase {
  readonly ops: number;
  readonly seconds: number;
  readonly pgCpuSec: number;
  /** This process's CPU: the client side of every agent. */
  readonly clientCpuSec: number;
}

export interface QueueRun {
  readonly agents: number;
  readonly round: number;
  readonly enqueue?: QueuePhase;
  readonly heartbeat?: QueuePhase;
  /** Files taken through claim -> markVerifying -> complete. */
  readonly cycle?: QueuePhase;
  readonly error?: string;
}

export interface QueueResult {
  readonly files: number;
  readonly heartbeatsPerAgent: number;
  readonly held: number;
  readonly runs: readonly QueueRun[];
}

/** The sizes of a run: files through the queue, heartbeats per agent. */
export function queueSizes(quick: boolean): { files: number; heartbeatsPerAgent: number } {
  return quick ? { files: 200, heartbeatsPerAgent: 25 } : { files: 2000, heartbeatsPerAgent: 200 };
}

/** Runs `work` for every agent at once and measures it. */
async function phase(
  ops: number,
  agents: readonly QueueAgent[],
  work: (a: QueueAgent, i: number) => Promise<unknown>,
): Promise<QueuePhase> {
  const pg0 = await postgresCpu();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(agents.map((a, i) => work(a, i)));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    ops,
    seconds,
    pgCpuSec: (await postgresCpu()) - pg0,
    clientCpuSec: (cpu.user + cpu.system) / 1e6,
  };
}

function agentInfo(i: number): AgentInfo {
  return {
    id: `queuebench-${process.pid}-${i}`,
    hostname: hostname(),
    pid: process.pid,
    startedAt: Date.now(),
    version: 'bench',
  };
}

async function enqueueShare(
  j: QueueAgentJournal,
  i: number,
  n: number,
  total: number,
): Promise<void> {
  for (let f = i; f < total; f += n) {
    const path = `/bench/inbox/f${String(f).padStart(6, '0')}.bin`;
    const now = Date.now();
    await j.enqueue({ job: JOB, path, size: 4096, mtimeMs: now - 5000, inode: 1000 + f }, now, {
      at: now,
      type: 'file.queued',
      level: 'info',
      message: `${path} queued`,
      path,
      data: { job: JOB, size: 4096 },
    });
  }
}

/** claim -> markVerifying -> complete until nothing is left to claim; resolves how many. */
async function drain({ journal: j, info }: QueueAgent): Promise<number> {
  let done = 0;
  for (;;) {
    const started = Date.now();
    const file = await j.claim(started, { owner: info.id, leaseMs: LEASE_MS }, [JOB]);
    if (file === undefined) return done;
    const hold = { fileId: file.id, owner: info.id };
    await j.markVerifying(hold, Date.now());
    const now = Date.now();
    const key = file.path.slice(1);
    await j.complete(hold, now, {
      event: {
        at: now,
        type: 'file.done',
        level: 'info',
        message: `${file.path} is in s3://bench/${key}`,
        path: file.path,
        key,
        data: { job: JOB, size: file.size, alreadyUploaded: false },
      },
      history: {
        sourcePath: file.path,
        endpoint: 'http://127.0.0.1:7680',
        bucket: 'bench',
        key,
        size: file.size,
        startedAt: started,
        finishedAt: now,
        avgBytesPerSec: file.size / Math.max(0.001, (now - started) / 1000),
        attempts: 1,
        etag: '"0123456789abcdef0123456789abcdef"',
        checksum: 'sha256:00',
        result: 'done',
        error: null,
        job: JOB,
      },
    });
    done += 1;
  }
}

/** One run at `n` agents on a fresh database of the cluster at `pgUrl`. */
export async function runQueue(
  pgUrl: string,
  spec: { agents: number; round: number; files: number; heartbeatsPerAgent: number },
): Promise<QueueRun> {
  const n = spec.agents;
  const db = `queuebench_${n}_r${spec.round}_${Date.now().toString(36)}`;
  await pgQuery(pgUrl, `CREATE DATABASE ${db}`);
  const u = new URL(pgUrl);
  u.pathname = `/${db}`;
  const stores: PostgresJournalStore[] = [];
  try {
    // One after another: the first creates the schema, the others find it migrated.
    for (let i = 0; i < n; i++)
      stores.push(await PostgresJournalStore.open({ url: u.toString(), maxConnections: 1 }));
    const agents = stores.map((journal, i) => ({ journal, info: agentInfo(i) }));
    const total = spec.files + n * HELD;
    const enqueue = await phase(total, agents, (a, i) => enqueueShare(a.journal, i, n, total));
    for (const a of agents)
      for (let h = 0; h < HELD; h++)
        await a.journal.claim(Date.now(), { owner: a.info.id, leaseMs: LEASE_MS }, [JOB]);
    const heartbeat = await phase(n * spec.heartbeatsPerAgent, agents, async (a) => {
      for (let h = 0; h < spec.heartbeatsPerAgent; h++)
        await a.journal.heartbeat(a.info, Date.now(), LEASE_MS);
    });
    const counts: number[] = [];
    const cycle = await phase(spec.files, agents, async (a, i) => {
      counts[i] = await drain(a);
    });
    const cycled = counts.reduce((sum, c) => sum + c, 0);
    if (cycled !== spec.files) throw new Error(`${cycled} files went through, not ${spec.files}`);
    return { agents: n, round: spec.round, enqueue, heartbeat, cycle };
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await pgQuery(pgUrl, `DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
  }
}
