/**
 * The tool comparison: for each workload, `rounds` rounds of every tool in turn (A B C D E, A B C D
 * E, ...), so slow drifts of the shared machine hit every tool alike. Every run uploads to a fresh
 * prefix and is verified by listing it (object count and bytes); a failed run is recorded, not
 * fatal. Objects of the big workloads are deleted after verification to bound the store's disk.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deletePrefix, listPrefix } from './s3-check.js';
import { timedRun } from './timed-run.js';
import { toolCommand, toolsFor, type RunContext, type ToolId } from './tools.js';
import { MIB, type Workload, type WorkloadId } from './workloads.js';
import type { RgwInfo } from './rgw.js';
import { cpuDeltaSec, type ServerCpuProbe } from './server-cpu.js';

export interface RunRecord {
  readonly workload: WorkloadId;
  readonly tool: ToolId;
  readonly round: number;
  readonly wallSec: number;
  readonly cpuSec: number;
  readonly userSec: number;
  readonly sysSec: number;
  readonly maxRssMiB: number;
  /**
   * CPU seconds (user + system) of the bench's Ceph daemons (radosgw, ceph-osd, ceph-mon) from just
   * before to just after the run, background work included. Absent in results older than the
   * figure, and when a daemon could not be read.
   */
  readonly serverCpuSec?: number;
  readonly objects: number;
  readonly bytes: number;
  readonly verified: boolean;
  /** Why the run does not count (exit code, verification). */
  readonly error?: string;
}

export interface CompareSetup {
  readonly client: S3Client;
  readonly rgw: RgwInfo;
  readonly env: NodeJS.ProcessEnv;
  readonly rcloneRemote: string;
  readonly dataDir: string;
  readonly workDir: string;
  readonly bucketOf: (w: WorkloadId) => string;
  readonly rounds: number;
  /** The tools, in the order each round runs them. */
  readonly tools: readonly ToolId[];
  /** Those that run the TLS workloads (default TLS_TOOLS; rclone only where its names resolve). */
  readonly tlsTools?: readonly ToolId[];
  /** The baseline checkout's CLI, for the tool `baseline`. */
  readonly baselineCli?: string;
  /** Extra arguments of the tool `s3ferry`. */
  readonly s3ferryArgs?: readonly string[];
  /** Reads the CPU of the RGW's daemons around every run (none: no server CPU figure). */
  readonly serverCpu?: ServerCpuProbe;
  readonly log: (line: string) => void;
}

/** Above this many bytes per run the objects are deleted once verified. */
const DELETE_ABOVE_BYTES = 256 * MIB;
const RUN_TIMEOUT_MS = 30 * 60_000;

export async function compareTools(
  workloads: readonly Workload[],
  s: CompareSetup,
): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (const w of workloads) {
    for (let round = 1; round <= s.rounds; round++) {
      for (const tool of toolsFor(w, s.tools, s.tlsTools)) {
        const r = await oneRun(w, tool, round, s);
        records.push(r);
        const rate =
          w.unit === 'objects'
            ? `${(r.objects / r.wallSec).toFixed(0)} obj/s`
            : `${(r.bytes / MIB / r.wallSec).toFixed(0)} MiB/s`;
        s.log(
          `${w.id} round ${round} ${tool.padEnd(12)} ${r.wallSec.toFixed(2)} s, ${rate}, CPU ${r.cpuSec.toFixed(2)} s, server CPU ${r.serverCpuSec?.toFixed(2) ?? '?'} s, RSS ${r.maxRssMiB.toFixed(0)} MiB${r.error === undefined ? '' : `  FAILED: ${r.error}`}`,
        );
      }
    }
  }
  return records;
}

async function oneRun(
  w: Workload,
  tool: ToolId,
  round: number,
  s: CompareSetup,
): Promise<RunRecord> {
  const bucket = s.bucketOf(w.id);
  const prefix = `${tool}-r${round}-${randomBytes(3).toString('hex')}/`;
  const runDir = join(s.workDir, 'runs', `${w.id}-${tool}-r${round}`);
  await mkdir(runDir, { recursive: true });
  const ctx: RunContext = {
    workload: w,
    dataDir: s.dataDir,
    runDir,
    bucket,
    prefix,
    rgw: s.rgw,
    rcloneRemote: s.rcloneRemote,
    ...(s.baselineCli === undefined ? {} : { baselineCli: s.baselineCli }),
    ...(s.s3ferryArgs === undefined ? {} : { s3ferryArgs: s.s3ferryArgs }),
  };
  const command = await toolCommand(tool, ctx);
  const stderrFile = join(runDir, 'stderr.log');
  const before = await s.serverCpu?.sample();
  const t = await timedRun({
    cmd: command.cmd,
    args: command.args,
    env: command.env === undefined ? s.env : { ...s.env, ...command.env },
    stdoutFile: join(runDir, 'stdout.log'),
    stderrFile,
    timeoutMs: RUN_TIMEOUT_MS,
  });
  // before the listing that verifies the run, which costs the server CPU too
  const after = await s.serverCpu?.sample();
  const serverCpuSec =
    s.serverCpu === undefined || before === undefined || after === undefined
      ? undefined
      : cpuDeltaSec(before, after, s.serverCpu.ticksPerSec);
  const listed = await listPrefix(s.client, bucket, prefix);
  const verified = t.code === 0 && listed.objects === w.objects && listed.bytes === w.bytes;
  let error: string | undefined;
  if (t.code !== 0) {
    const tail = (await readFile(stderrFile, 'utf8')).trim().split('\n').slice(-3).join(' | ');
    error = `exit ${String(t.code)}: ${tail}`;
  } else if (!verified) {
    error = `verification: ${listed.objects} objects / ${listed.bytes} bytes, expected ${w.objects} / ${w.bytes}`;
  }
  if (w.bytes > DELETE_ABOVE_BYTES) await deletePrefix(s.client, bucket, prefix);
  return {
    workload: w.id,
    tool,
    round,
    wallSec: t.wallSec,
    cpuSec: t.userSec + t.sysSec,
    userSec: t.userSec,
    sysSec: t.sysSec,
    maxRssMiB: t.maxRssMiB,
    ...(serverCpuSec === undefined ? {} : { serverCpuSec }),
    objects: listed.objects,
    bytes: listed.bytes,
    verified,
    ...(error === undefined ? {} : { error }),
  };
}
