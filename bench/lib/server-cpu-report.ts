/** The report's sentence on the server's CPU per unit of a workload and the bound it implies. */
import { serverCpuFigures, type ToolBound } from './cpu-bound.js';
import type { BenchResults, WorkloadFigures } from './results.js';
import { TOOL_LABELS } from './tools.js';

const int = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a';
const x = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}x` : 'n/a');
const pct = (v: number): string => (Number.isFinite(v) ? `${Math.round(v * 100)} %` : 'n/a');

/** The target of issue 7 for the small-object workloads: s3ferry's objects/s over the best peer's. */
const OBJECTS_TARGET = 1.5;

const DAEMON_LABELS: Readonly<Record<string, string>> = {
  'client.rgw.a': 'radosgw',
  'osd.0': 'ceph-osd',
  'mon.a': 'ceph-mon',
};

/** "radosgw + ceph-osd + ceph-mon": the daemons the server CPU figures sum. */
export function serverDaemonsLabel(r: BenchResults): string {
  const names = (r.serverCpuDaemons ?? []).map((d) => DAEMON_LABELS[d] ?? d);
  return names.length === 0 ? "the RGW's daemons" : names.join(' + ');
}

/** The bullet of the report's method on the server CPU figures. */
export function serverCpuMethod(r: BenchResults): string {
  if (r.serverCpuDaemons === undefined)
    return '- Server CPU: not recorded in this run (results older than the figure).';
  return `- Server CPU: user + system seconds of the bench RGW's daemons (${serverDaemonsLabel(r)}, found by their PID files), from /proc/PID/stat (utime + stime, every thread) just before and just after each run; it includes their background work during the run (heartbeats, bluestore flushes, RGW garbage collection of objects deleted by earlier runs) but not the listing that verifies the run. Client and server share the machine's ${r.machine.cores} cores, so a run needs at least (server + client CPU) / cores seconds: objects/s <= cores / (server + client CPU s per object), and a client using no CPU at all could reach at most cores / server CPU s per object.`;
}

function reached(b: ToolBound, label: string, unit: string): string {
  return `${label} <= ${int(b.bound)} ${unit} (reached ${int(b.rate)}, ${pct(b.share)})`;
}

/**
 * One sentence (Markdown) under a workload's ratio line; undefined when the results hold no server
 * CPU figure for the workload.
 */
export function serverCpuSentence(r: BenchResults, f: WorkloadFigures): string | undefined {
  const cores = r.machine.cores;
  const s = serverCpuFigures(f, r.runs, cores);
  if (s === undefined) return undefined;
  const objects = f.workload.unit === 'objects';
  const unit = objects ? 'objects/s' : 'MiB/s';
  const perUnit = objects
    ? `${(s.serverSecPerUnit * 1000).toFixed(2)} ms per object`
    : `${(s.serverSecPerUnit * 1024).toFixed(2)} s per GiB`;
  const peer =
    s.bestPeer === undefined
      ? ''
      : `, best peer ${reached(s.bestPeer, TOOL_LABELS[s.bestPeer.tool], unit)}`;
  const vsPeer = s.bestPeer === undefined ? '' : ` = ${x(s.zeroClientVsBestPeer)} the best peer`;
  const target = !objects
    ? ''
    : s.zeroClientVsBestPeer >= OBJECTS_TARGET
      ? ` (the ${OBJECTS_TARGET}x target is within that)`
      : Number.isFinite(s.zeroClientVsBestPeer)
        ? `, **below the ${OBJECTS_TARGET}x target: no client can meet it on this machine**`
        : '';
  return (
    `Server CPU (${serverDaemonsLabel(r)}): **${perUnit}** (median of ${s.runs} runs, all tools); ` +
    `with ${cores} cores shared by client and server, ${unit} <= ${cores} / (server + client CPU s per ${objects ? 'object' : 'MiB'}, each tool's own): ` +
    `${reached(s.s3ferry, 's3ferry', unit)}${peer}; ` +
    `even a client using no CPU could reach at most ${int(s.zeroClientBound)} ${unit}${vsPeer}${target}.`
  );
}
