/** Bench results made up for the report's unit tests: a small test machine, one round. */
import type { RunRecord } from '../../bench/lib/compare.js';
import type { MachineInfo } from '../../bench/lib/environment.js';
import type { BenchResults } from '../../bench/lib/results.js';
import type { ToolId } from '../../bench/lib/tools.js';
import type { Workload } from '../../bench/lib/workloads.js';

/** Results of `runs` on `workloads` (scale 16), with `over` replacing fields; `machine` merges. */
export function benchResults(
  workloads: readonly Workload[],
  runs: readonly RunRecord[],
  over: Partial<Omit<BenchResults, 'machine'>> & { machine?: Partial<MachineInfo> } = {},
): BenchResults {
  const { machine, ...rest } = over;
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    durationSec: 60,
    quick: true,
    scale: 16,
    rounds: 1,
    machine: {
      cpu: 'test',
      cores: 2,
      memGiB: 4,
      disk: 'tmpfs',
      kernel: 'Linux',
      loadAvg: '0 0 0',
      ...machine,
    },
    loadAvgEnd: '0 0 0',
    versions: { node: 'v20', s3ferry: '0', aws: '2', rclone: '1', curl: '8', ceph: '16' },
    workloads,
    runs,
    ...rest,
  };
}

/**
 * A verified run of `tool` on all of `w` in `wallSec` (default 1), with `cpuSec` of client CPU
 * (all user time), 50 MiB of RSS and, when given, `serverCpuSec` of server CPU.
 */
export function verifiedRun(
  w: Workload,
  tool: ToolId,
  cpuSec: number,
  more: { round?: number; wallSec?: number; serverCpuSec?: number } = {},
): RunRecord {
  return {
    workload: w.id,
    tool,
    round: more.round ?? 1,
    wallSec: more.wallSec ?? 1,
    cpuSec,
    userSec: cpuSec,
    sysSec: 0,
    maxRssMiB: 50,
    ...(more.serverCpuSec === undefined ? {} : { serverCpuSec: more.serverCpuSec }),
    objects: w.objects,
    bytes: w.bytes,
    verified: true,
  };
}
