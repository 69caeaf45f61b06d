/** Everything one run of the suite measured, and the figures derived from it. */
import type { BurstResult } from './burst-figures.js';
import type { CrashTrial } from './crash-resend.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { RunRecord } from './compare.js';
import type { MachineInfo, Versions } from './environment.js';
import type { JournalResult } from './journal-million.js';
import type { LatencyResult } from './agent-latency.js';
import type { LoadGateRecord } from './load-gate.js';
import type { ObjectCost } from './object-cost.js';
import { max, median, min } from './stats.js';
import { PEERS, TOOL_IDS, type ToolId } from './tools.js';
import { GIB, MIB, type Workload, type WorkloadId } from './workloads.js';

/** A part of the suite that either measured something or failed with a reason. */
export type Outcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface BenchResults {
  readonly startedAt: string;
  readonly durationSec: number;
  readonly quick: boolean;
  /** Counts and the big file divided by this (absent in results older than the option: 1). */
  readonly scale?: number;
  /** Extra arguments s3ferry ran with (--s3ferry-args). */
  readonly s3ferryArgs?: readonly string[];
  /** The baseline checkout, when one ran as the tool `baseline`. */
  readonly baseline?: string;
  readonly rounds: number;
  readonly machine: MachineInfo;
  /** The load gate when the run began (absent in results older than the gate). */
  readonly loadGate?: LoadGateRecord;
  readonly loadAvgEnd: string;
  readonly versions: Versions;
  readonly workloads: readonly Workload[];
  readonly runs: readonly RunRecord[];
  /** The RGW daemons whose CPU each run's serverCpuSec sums (absent in older results). */
  readonly serverCpuDaemons?: readonly string[];
  /** The agent burst against rclone (issue 14). */
  readonly burst?: Outcome<BurstResult>;
  readonly latency?: Outcome<LatencyResult>;
  readonly journal?: Outcome<JournalResult>;
  /** The files of the journal figure (1,000,000; fewer when scaled down). */
  readonly journalFiles?: number;
  readonly crash?: Outcome<CrashTrial[]>;
  readonly profiles?: readonly { workload: WorkloadId; summary: Outcome<ProfileSummary> }[];
  /** The parts of a small object's client CPU, measured apart (object-cost.ts). */
  readonly objectCost?: Outcome<ObjectCost>;
}

/** One tool on one workload, over its verified runs. */
export interface ToolFigures {
  readonly tool: ToolId;
  readonly runs: number;
  readonly failed: number;
  readonly errors: readonly string[];
  readonly wallMedian: number;
  readonly wallMin: number;
  readonly wallMax: number;
  /** Every verified round's wall time, in round order. */
  readonly walls: readonly number[];
  readonly mibPerSec: number;
  readonly objPerSec: number;
  readonly cpuMedian: number;
  readonly cpuPerGiB: number;
  readonly cpuPer1000: number;
  /** The RGW daemons' CPU seconds during a run (median; NaN when not recorded). */
  readonly serverCpuMedian: number;
  readonly peakRssMiB: number;
}

export function toolFigures(w: Workload, tool: ToolId, runs: readonly RunRecord[]): ToolFigures {
  const mine = runs.filter((r) => r.workload === w.id && r.tool === tool);
  const ok = mine.filter((r) => r.verified);
  const wall = ok.map((r) => r.wallSec);
  const cpu = median(ok.map((r) => r.cpuSec));
  const wallMedian = median(wall);
  return {
    tool,
    runs: ok.length,
    failed: mine.length - ok.length,
    errors: mine.flatMap((r) => (r.error === undefined ? [] : [r.error])),
    wallMedian,
    wallMin: min(wall),
    wallMax: max(wall),
    walls: wall,
    mibPerSec: w.bytes / MIB / wallMedian,
    objPerSec: w.objects / wallMedian,
    cpuMedian: cpu,
    cpuPerGiB: cpu / (w.bytes / GIB),
    cpuPer1000: cpu / (w.objects / 1000),
    serverCpuMedian: median(ok.map((r) => r.serverCpuSec ?? Number.NaN)),
    peakRssMiB: max(ok.map((r) => r.maxRssMiB)),
  };
}

/** The workload's rate in its unit (objects/s for small files, MiB/s for big ones). */
export function rate(w: Workload, f: ToolFigures): number {
  return w.unit === 'objects' ? f.objPerSec : f.mibPerSec;
}

export interface WorkloadFigures {
  readonly workload: Workload;
  readonly tools: Readonly<Record<ToolId, ToolFigures>>;
  readonly bestPeer: ToolId | undefined;
  /** s3ferry's rate over the best peer's (above 1: s3ferry is faster). */
  readonly vsBestPeer: number;
  /** s3ferry's rate over the curl ceiling's. */
  readonly vsCeiling: number;
}

export function workloadFigures(w: Workload, runs: readonly RunRecord[]): WorkloadFigures {
  const tools = Object.fromEntries(TOOL_IDS.map((t) => [t, toolFigures(w, t, runs)])) as Record<
    ToolId,
    ToolFigures
  >;
  const peers = PEERS.filter((p) => tools[p].runs > 0);
  const bestPeer = peers.sort((a, b) => rate(w, tools[b]) - rate(w, tools[a]))[0];
  const own = rate(w, tools.s3ferry);
  return {
    workload: w,
    tools,
    bestPeer,
    vsBestPeer: bestPeer === undefined ? Number.NaN : own / rate(w, tools[bestPeer]),
    vsCeiling: own / rate(w, tools.curl),
  };
}
