/**
 * The agent burst (issue 14): N files of 4 KiB moved (renamed, same filesystem) into a directory
 * that a real `s3ferry run` watches (settle 1 s), timed from the first rename until the agent's
 * status counts every file done, against `rclone copy --transfers 16` of the same files to the
 * same RGW. Rounds are interleaved (agent, baseline agent, rclone; again), each run into a fresh
 * bucket of its own.
 *
 * The agent is started before the timed span, with a fresh journal, and left a moment to settle
 * (start-up scan, first heartbeat); its CPU over the span comes from /proc/PID/stat (utime + stime
 * of every thread, the MD5 workers included), its journal write transactions from its /metrics
 * (s3ferry_journal_write_transactions_total) read just before and after. rclone is timed as a
 * whole process under GNU time (timed-run.ts), start-up included, as every tool of the comparison.
 * The status is polled every BURST_POLL_MS: a cheap count per state, whose own CPU (well under 1 %
 * of the agent's) is counted as the agent's.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { randomFillSync } from 'node:crypto';
import { renameSync } from 'node:fs';
import { link, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test/support/agent-process.js';
import { startBenchAgent, type BenchAgent } from './agent-runner.js';
import {
  BURST_FILE_BYTES,
  BURST_POLL_MS,
  BURST_SETTLE_MS,
  JOURNAL_WRITES_METRIC,
  metricValue,
  type BurstResult,
  type BurstRun,
  type BurstTool,
} from './burst-figures.js';
import type { RgwInfo } from './rgw.js';
import { createBucket, listPrefix } from './s3-check.js';
import {
  clockTicks,
  cpuDeltaSec,
  parseProcStatCpuTicks,
  type ServerCpuProbe,
} from './server-cpu.js';
import { timedRun } from './timed-run.js';

export interface BurstSetup {
  readonly client: S3Client;
  readonly rgw: RgwInfo;
  readonly env: NodeJS.ProcessEnv;
  readonly rcloneRemote: string;
  /** The suite's work directory: the data, the agents' directories and the inboxes go under it. */
  readonly workDir: string;
  readonly files: number;
  readonly rounds: number;
  /** A baseline build's CLI: its agent runs in the same rounds. */
  readonly baselineCli?: string;
  readonly serverCpu?: ServerCpuProbe;
  /** Makes bucket names unique to this suite run. */
  readonly stamp: string;
  readonly log: (line: string) => void;
}

const fileName = (i: number): string => `f${String(i).padStart(5, '0')}.bin`;

/** The burst's files (random bytes, one flat directory); resolves with their names. */
async function generate(dir: string, files: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const buf = Buffer.allocUnsafe(BURST_FILE_BYTES);
  const names = Array.from({ length: files }, (_, i) => fileName(i));
  for (const name of names) await writeFile(join(dir, name), randomFillSync(buf));
  return names;
}

/** Runs every round; see the module comment. A failed run is recorded, not fatal. */
export async function measureBurst(s: BurstSetup): Promise<BurstResult> {
  const dataDir = join(s.workDir, 'burst', 'data');
  const names = await generate(dataDir, s.files);
  const tools: BurstTool[] = [
    'agent',
    ...(s.baselineCli === undefined ? [] : ['baseline' as const]),
    'rclone',
  ];
  const runs: BurstRun[] = [];
  for (let round = 1; round <= s.rounds; round++) {
    for (const tool of tools) {
      const bucket = `bench-burst-${tool}-r${round}-${s.stamp}`;
      const dir = join(s.workDir, 'burst', `${tool}-r${round}`);
      const run = await createBucket(s.client, bucket)
        .then(() =>
          tool === 'rclone'
            ? rcloneRun(s, dataDir, bucket, dir, round)
            : agentRun(s, tool, { dataDir, names, bucket, dir, round }),
        )
        .catch((err: unknown) => failed(tool, round, err));
      const verified = run.error === undefined ? await verify(s, bucket) : undefined;
      const done: BurstRun = { ...run, ...verified };
      runs.push(done);
      const writes =
        done.journalWrites === undefined
          ? ''
          : `, ${(done.journalWrites / s.files).toFixed(2)} journal writes per file`;
      s.log(
        done.error === undefined
          ? `burst round ${round} ${tool.padEnd(8)} ${done.wallSec.toFixed(2)} s, ${(s.files / done.wallSec).toFixed(0)} files/s, CPU ${((done.cpuSec / s.files) * 1000).toFixed(2)} ms per file${writes}`
          : `burst round ${round} ${tool.padEnd(8)} FAILED: ${done.error}`,
      );
    }
  }
  return {
    files: s.files,
    fileBytes: BURST_FILE_BYTES,
    settleMs: BURST_SETTLE_MS,
    pollMs: BURST_POLL_MS,
    runs,
  };
}

function failed(tool: BurstTool, round: number, err: unknown): BurstRun {
  const message = err instanceof Error ? err.message : String(err);
  return {
    tool,
    round,
    wallSec: Number.NaN,
    cpuSec: Number.NaN,
    objects: 0,
    bytes: 0,
    verified: false,
    error: message.split('\n')[0] ?? message,
  };
}

/** The bucket holds every file, with every byte: { verified } plus what was listed. */
async function verify(
  s: BurstSetup,
  bucket: string,
): Promise<Pick<BurstRun, 'objects' | 'bytes' | 'verified' | 'error'>> {
  const listed = await listPrefix(s.client, bucket, '');
  const bytes = s.files * BURST_FILE_BYTES;
  const verified = listed.objects === s.files && listed.bytes === bytes;
  return {
    objects: listed.objects,
    bytes: listed.bytes,
    verified,
    ...(verified
      ? {}
      : {
          error: `verification: ${listed.objects} objects / ${listed.bytes} bytes, expected ${s.files} / ${bytes}`,
        }),
  };
}

async function serverSample(s: BurstSetup): Promise<ReadonlyMap<number, number> | undefined> {
  return s.serverCpu?.sample();
}

function serverDelta(
  s: BurstSetup,
  before: ReadonlyMap<number, number> | undefined,
  after: ReadonlyMap<number, number> | undefined,
): { serverCpuSec?: number } {
  if (s.serverCpu === undefined || before === undefined || after === undefined) return {};
  const sec = cpuDeltaSec(before, after, s.serverCpu.ticksPerSec);
  return sec === undefined ? {} : { serverCpuSec: sec };
}

async function rcloneRun(
  s: BurstSetup,
  dataDir: string,
  bucket: string,
  dir: string,
  round: number,
): Promise<BurstRun> {
  await mkdir(dir, { recursive: true });
  const before = await serverSample(s);
  const t = await timedRun({
    cmd: 'rclone',
    args: ['copy', '--transfers', '16', dataDir, `${s.rcloneRemote}:${bucket}/`],
    env: s.env,
    stdoutFile: join(dir, 'stdout.log'),
    stderrFile: join(dir, 'stderr.log'),
    timeoutMs: 30 * 60_000,
  });
  const after = await serverSample(s);
  if (t.code !== 0) {
    const tail = (await readFile(join(dir, 'stderr.log'), 'utf8')).trim().split('\n').slice(-3);
    throw new Error(`exit ${String(t.code)}: ${tail.join(' | ')}`);
  }
  return {
    tool: 'rclone',
    round,
    wallSec: t.wallSec,
    cpuSec: t.userSec + t.sysSec,
    ...serverDelta(s, before, after),
    objects: 0,
    bytes: 0,
    verified: false,
  };
}

/** CPU seconds the process has used so far (every thread), from /proc/PID/stat. */
async function processCpuSec(pid: number, ticksPerSec: number): Promise<number> {
  return parseProcStatCpuTicks(await readFile(`/proc/${pid}/stat`, 'utf8')) / ticksPerSec;
}

async function journalWrites(agent: BenchAgent): Promise<number | undefined> {
  return metricValue(await agent.metricsText(), JOURNAL_WRITES_METRIC);
}

/** Polls the agent's counts until every file is done; throws on a parked file or a timeout. */
async function untilAllDone(agent: BenchAgent, files: number): Promise<void> {
  const deadline = Date.now() + 120_000 + files * 20;
  for (;;) {
    const { files: counts } = await agent.api<{ files: Record<string, number> }>(
      'GET',
      '/api/v1/status',
    );
    if ((counts.done ?? 0) >= files) return;
    if ((counts.parked ?? 0) > 0)
      throw new Error(`${counts.parked} file(s) parked: see the agent's log`);
    if (Date.now() > deadline)
      throw new Error(
        `only ${counts.done ?? 0} of ${files} files done in time: ${JSON.stringify(counts)}`,
      );
    await sleep(BURST_POLL_MS);
  }
}

/** The agent's configuration: defaults but the settle window, one job on the inbox. */
function burstYaml(o: {
  journal: string;
  port: number;
  inbox: string;
  bucket: string;
  s: BurstSetup;
}): string {
  return `journal: ${JSON.stringify(o.journal)}
api:
  port: ${o.port}
jobs:
  - name: burst
    sources: [${JSON.stringify(o.inbox)}]
    settle: ${BURST_SETTLE_MS}ms
    destination:
      bucket: ${o.bucket}
      endpoint: ${o.s.rgw.endpoint}
`;
}

async function agentRun(
  s: BurstSetup,
  tool: BurstTool,
  r: { dataDir: string; names: readonly string[]; bucket: string; dir: string; round: number },
): Promise<BurstRun> {
  const inbox = join(r.dir, 'inbox');
  const staging = join(r.dir, 'staging');
  await mkdir(inbox, { recursive: true });
  await mkdir(staging, { recursive: true });
  // Hard links: the same bytes without copying them; renamed into the inbox within one filesystem.
  for (const name of r.names) await link(join(r.dataDir, name), join(staging, name));
  const port = await freePort();
  const yaml = burstYaml({ journal: join(r.dir, 'journal.db'), port, inbox, bucket: r.bucket, s });
  const cli = tool === 'baseline' ? s.baselineCli : undefined;
  const agent = await startBenchAgent(r.dir, yaml, port, s.env, 60_000, cli);
  try {
    await sleep(1500); // the start-up scan, the first heartbeat: not part of the burst
    const pid = agent.child.pid ?? 0;
    const ticks = await clockTicks();
    const writes0 = await journalWrites(agent);
    const before = await serverSample(s);
    const cpu0 = await processCpuSec(pid, ticks);
    const t0 = performance.now();
    for (const name of r.names) renameSync(join(staging, name), join(inbox, name));
    await untilAllDone(agent, r.names.length);
    const wallSec = (performance.now() - t0) / 1000;
    const cpuSec = (await processCpuSec(pid, ticks)) - cpu0;
    const after = await serverSample(s);
    const writes1 = await journalWrites(agent);
    return {
      tool,
      round: r.round,
      wallSec,
      cpuSec,
      ...serverDelta(s, before, after),
      ...(writes0 === undefined || writes1 === undefined
        ? {}
        : { journalWrites: writes1 - writes0 }),
      objects: 0,
      bytes: 0,
      verified: false,
    };
  } finally {
    await agent.stop();
  }
}
