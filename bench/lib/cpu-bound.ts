/**
 * What the CPU of a shared machine allows. Client and server run on the same cores, so a workload
 * of N units (objects, or MiB for the big-file workloads) needs (server + client CPU s per unit) x
 * N CPU seconds, and `cores` cores give at most `cores` CPU seconds per second:
 * units/s <= cores / (server + client CPU s per unit). With a client using no CPU at all, the
 * server's share alone bounds the rate: cores / server CPU s per unit.
 */
import type { RunRecord } from './compare.js';
import { rate, type WorkloadFigures } from './results.js';
import { median } from './stats.js';
import type { ToolId } from './tools.js';
import { MIB, type Workload } from './workloads.js';

/**
 * The highest rate `cores` cores allow when one unit costs the given CPU seconds; NaN when the
 * costs are unknown (NaN) or add up to nothing.
 */
export function cpuBoundRate(
  cores: number,
  serverSecPerUnit: number,
  clientSecPerUnit: number,
): number {
  const perUnit = serverSecPerUnit + clientSecPerUnit;
  return Number.isFinite(perUnit) && perUnit > 0 && cores > 0 ? cores / perUnit : Number.NaN;
}

/** The units a workload's rate counts: objects, or MiB for the big-file workloads. */
export function rateUnits(w: Workload): number {
  return w.unit === 'objects' ? w.objects : w.bytes / MIB;
}

/** One tool's rate against the bound its own CPU per unit (server + client) implies. */
export interface ToolBound {
  readonly tool: ToolId;
  readonly rate: number;
  readonly bound: number;
  /** rate / bound: 1 means the tool used every CPU second of the machine. */
  readonly share: number;
}

export interface ServerCpuFigures {
  /** Server CPU seconds per unit: median over the workload's verified runs of every tool. */
  readonly serverSecPerUnit: number;
  /** The runs that median is over. */
  readonly runs: number;
  /** cores / serverSecPerUnit: what a client using no CPU could reach at most. */
  readonly zeroClientBound: number;
  /** zeroClientBound over the best peer's rate (NaN without a peer). */
  readonly zeroClientVsBestPeer: number;
  readonly s3ferry: ToolBound;
  readonly bestPeer: ToolBound | undefined;
}

function toolBound(
  f: WorkloadFigures,
  tool: ToolId,
  cores: number,
  serverSecPerUnit: number,
): ToolBound {
  const units = rateUnits(f.workload);
  const tf = f.tools[tool];
  // the tool's own server CPU when measured (a tool may cost the server more per object, e.g. by
  // extra requests); else the workload's
  const server = Number.isFinite(tf.serverCpuMedian)
    ? tf.serverCpuMedian / units
    : serverSecPerUnit;
  const bound = cpuBoundRate(cores, server, tf.cpuMedian / units);
  const measured = rate(f.workload, tf);
  return { tool, rate: measured, bound, share: measured / bound };
}

/**
 * The server's CPU per unit of a workload and the bounds it implies on `cores` cores; undefined
 * when no verified run of the workload recorded the server's CPU (results older than the figure).
 */
export function serverCpuFigures(
  f: WorkloadFigures,
  runs: readonly RunRecord[],
  cores: number,
): ServerCpuFigures | undefined {
  const units = rateUnits(f.workload);
  const perUnit = runs
    .filter((r) => r.workload === f.workload.id && r.verified && r.serverCpuSec !== undefined)
    .map((r) => (r.serverCpuSec ?? Number.NaN) / units);
  if (perUnit.length === 0) return undefined;
  const serverSecPerUnit = median(perUnit);
  const zeroClientBound = cpuBoundRate(cores, serverSecPerUnit, 0);
  const bestPeer =
    f.bestPeer === undefined ? undefined : toolBound(f, f.bestPeer, cores, serverSecPerUnit);
  return {
    serverSecPerUnit,
    runs: perUnit.length,
    zeroClientBound,
    zeroClientVsBestPeer: bestPeer === undefined ? Number.NaN : zeroClientBound / bestPeer.rate,
    s3ferry: toolBound(f, 's3ferry', cores, serverSecPerUnit),
    bestPeer,
  };
}
