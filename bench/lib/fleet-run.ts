/**
 * One run of the fleet benchmark: N real `s3ferry run` processes on one journal (a fresh
 * PostgreSQL database, or a SQLite file for the single-agent reference) and one source holding
 * the workload. The job starts paused, so every agent queues the files without uploading any;
 * once the journal holds them all, every agent is resumed at once, and the clock runs until the
 * journal counts every file done. So the figure is the fleet draining a full queue (claims,
 * uploads, verification, journal writes), not discovery nor the settle window.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test/support/agent-process.js';
import { writeRandomFile } from '../../test/support/cli.js';
import { startBenchAgent, type BenchAgent } from './agent-runner.js';
import { cpuOf, pgQuery, postgresCpu, rgwCpu } from './fleet-servers.js';
import type { RgwInfo } from './rgw.js';
import { listPrefix } from './s3-check.js';
import type { S3Client } from '@aws-sdk/client-s3';

const MIB = 1024 * 1024;

/** A fixed set of files. */
export interface FleetWorkload {
  readonly id: 'small' | 'large';
  readonly title: string;
  readonly files: number;
  readonly fileBytes: number;
}

/** The two workloads: many small files (per-file cost), a few big ones (bytes). */
export function fleetWorkloads(quick: boolean): FleetWorkload[] {
  const small = quick ? 400 : 2000;
  const large = quick ? 4 : 24;
  return [
    {
      id: 'small',
      title: `${small.toLocaleString('en-US')} files of 16 KiB`,
      files: small,
      fileBytes: 16 * 1024,
    },
    { id: 'large', title: `${large} files of 32 MiB`, files: large, fileBytes: 32 * MIB },
  ];
}

/** Writes a workload under `dir` (small files spread over directories of 100). */
export async function generateFleetWorkload(w: FleetWorkload, dir: string): Promise<void> {
  for (let i = 0; i < w.files; i++) {
    const sub = join(dir, `d${String(Math.floor(i / 100)).padStart(3, '0')}`);
    await mkdir(sub, { recursive: true });
    const path = join(sub, `f${String(i).padStart(5, '0')}.bin`);
    if (w.fileBytes < MIB) await writeFile(path, randomBytes(w.fileBytes));
    else await writeRandomFile(path, w.fileBytes);
  }
}

export type FleetStore = 'sqlite' | 'postgres';

/** What one run measured. */
export interface FleetRunResult {
  readonly store: FleetStore;
  readonly agents: number;
  readonly workload: FleetWorkload['id'];
  readonly round: number;
  /** Resume -> every file done in the journal. */
  readonly seconds: number;
  /** CPU seconds over that time: the agents, the PostgreSQL cluster, the RGW daemons. */
  readonly cpu: { readonly agents: number; readonly postgres: number; readonly rgw: number };
  /** Files each agent took to `done` (its log's file.done lines). */
  readonly perAgent: readonly number[];
  /** The objects under the run's prefix: count and bytes as expected. */
  readonly verified: boolean;
}

/** What every run shares. */
export interface FleetRunContext {
  readonly rgw: RgwInfo;
  readonly client: S3Client;
  readonly bucket: string;
  readonly pgUrl: string;
  readonly env: NodeJS.ProcessEnv;
  readonly workDir: string;
  readonly dataDir: string;
  readonly log: (line: string) => void;
}

interface Status {
  files: Record<string, number>;
}

function yaml(o: {
  port: number;
  journal: string;
  source: string;
  prefix: string;
  rgw: RgwInfo;
  bucket: string;
}): string {
  return `api:
  port: ${o.port}
journal: ${JSON.stringify(o.journal)}
log:
  level: info
jobs:
  - name: bench
    paused: true
    sources: [${JSON.stringify(o.source)}]
    settle: 2s
    destination:
      bucket: ${o.bucket}
      prefix: ${o.prefix}
      endpoint: ${o.rgw.endpoint}
`;
}

/** Polls `check` every 100 ms until it is true; throws after `timeoutMs`. */
async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** One run; see the module comment. */
export async function runFleet(
  c: FleetRunContext,
  spec: { store: FleetStore; agents: number; workload: FleetWorkload; round: number },
): Promise<FleetRunResult> {
  const w = spec.workload;
  const name = `${spec.workload.id}-${spec.store}-${spec.agents}-r${spec.round}`;
  const dir = join(c.workDir, 'runs', name);
  await mkdir(dir, { recursive: true });
  let journal = join(dir, 'journal.db');
  if (spec.store === 'postgres') {
    const db = `fleetbench_${name.replace(/-/g, '_')}`;
    await pgQuery(c.pgUrl, `CREATE DATABASE ${db}`);
    const u = new URL(c.pgUrl);
    u.pathname = `/${db}`;
    journal = u.toString();
  }
  const prefix = `${name}-${Date.now().toString(36)}`;
  const source = join(c.dataDir, w.id);
  const agents: BenchAgent[] = await Promise.all(
    Array.from({ length: spec.agents }, async (_, i) => {
      const port = await freePort();
      const text = yaml({ port, journal, source, prefix, rgw: c.rgw, bucket: c.bucket });
      return startBenchAgent(join(dir, `agent-${i}`), text, port, c.env);
    }),
  );
  try {
    const first = agents[0];
    if (first === undefined) throw new Error('no agent');
    const files = async (): Promise<Record<string, number>> =>
      (await first.api<Status>('GET', '/api/v1/status')).files;
    await until('every file queued', async () => (await files()).queued === w.files, 600_000);
    const pids = agents.map((a) => a.child.pid ?? 0);
    const cpu0 = { agents: await cpuOf(pids), postgres: await postgresCpu(), rgw: await rgwCpu() };
    const t0 = performance.now();
    await Promise.all(agents.map((a) => a.api('POST', '/api/v1/resume', { job: 'bench' })));
    await until('every file done', async () => (await files()).done === w.files, 3_600_000);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = {
      agents: (await cpuOf(pids)) - cpu0.agents,
      postgres: (await postgresCpu()) - cpu0.postgres,
      rgw: (await rgwCpu()) - cpu0.rgw,
    };
    const perAgent = await Promise.all(
      agents.map(
        async (a) => (await readFile(a.logFile, 'utf8')).split('"event":"file.done"').length - 1,
      ),
    );
    const listed = await listPrefix(c.client, c.bucket, `${prefix}/`);
    const verified = listed.objects === w.files && listed.bytes === w.files * w.fileBytes;
    c.log(
      `${name}: ${seconds.toFixed(2)} s, ${(w.files / seconds).toFixed(1)} files/s, ` +
        `${((w.files * w.fileBytes) / MIB / seconds).toFixed(1)} MiB/s; per agent ${perAgent.join('/')}; ` +
        `CPU s agents ${cpu.agents.toFixed(1)}, PostgreSQL ${cpu.postgres.toFixed(1)}, RGW ${cpu.rgw.toFixed(1)}; verified ${String(verified)}`,
    );
    return { ...spec, workload: w.id, seconds, cpu, perAgent, verified };
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
  }
}
