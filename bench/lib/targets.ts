/** The targets of issues 7 and 14, checked against one run's figures. */
import { burstTargets } from './burst-report.js';
import type { BenchResults, WorkloadFigures } from './results.js';
import type { WorkloadId } from './workloads.js';

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** undefined: not measured in this run. */
  readonly met: boolean | undefined;
}

const x = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}x` : 'n/a');
const num = (v: number, d = 2): string => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');

function check(target: string, measured: string, ok: boolean, valid: boolean): TargetCheck {
  return { target, measured, met: valid ? ok : undefined };
}

export function checkTargets(
  r: BenchResults,
  figures: ReadonlyMap<WorkloadId, WorkloadFigures>,
): TargetCheck[] {
  const out: TargetCheck[] = [];
  const ceiling = (id: WorkloadId, min: number): void => {
    const f = figures.get(id);
    if (f === undefined) return;
    out.push(
      check(
        `${id}: s3ferry >= ${min}x the ceiling`,
        x(f.vsCeiling),
        f.vsCeiling >= min,
        Number.isFinite(f.vsCeiling),
      ),
    );
  };
  ceiling('W1', 0.8);
  for (const id of ['W2', 'W3', 'W2T', 'W3T'] as const) {
    const f = figures.get(id);
    if (f === undefined) continue;
    ceiling(id, 0.75);
    out.push(
      check(
        `${id}: s3ferry >= 1.5x the best peer's objects/s`,
        `${x(f.vsBestPeer)} (best peer: ${f.bestPeer ?? 'none'})`,
        f.vsBestPeer >= 1.5,
        Number.isFinite(f.vsBestPeer),
      ),
    );
  }
  ceiling('W4', 0.8);
  const w1 = figures.get('W1');
  if (w1 !== undefined) {
    const own = w1.tools.s3ferry.cpuPerGiB;
    const aws = w1.tools.aws.cpuPerGiB;
    out.push(
      check(
        "W1: client CPU per GiB <= 0.5x the AWS CLI's",
        `${num(own)} s vs ${num(aws)} s (${x(own / aws)})`,
        own <= 0.5 * aws,
        Number.isFinite(own / aws),
      ),
    );
    const rss = w1.tools.s3ferry.peakRssMiB;
    out.push(
      check(
        'W1: peak RSS <= 150 MiB at default settings',
        `${num(rss, 0)} MiB`,
        rss <= 150,
        Number.isFinite(rss),
      ),
    );
  }
  for (const id of ['W2', 'W3', 'W2T', 'W3T'] as const) {
    const f = figures.get(id);
    if (f === undefined) continue;
    const own = f.tools.s3ferry.cpuPer1000;
    const rc = Math.min(f.tools.rclone.cpuPer1000, f.tools['rclone-tuned'].cpuPer1000);
    out.push(
      check(
        `${id}: client CPU per 1,000 objects <= rclone's (the lower of default and tuned)`,
        `${num(own)} s vs ${num(rc)} s`,
        own <= rc,
        Number.isFinite(own) && Number.isFinite(rc),
      ),
    );
  }
  out.push(...burstTargets(r.burst));
  if (r.latency !== undefined) {
    const l = r.latency;
    out.push(
      l.ok
        ? check(
            'agent: latency p99 <= settle window + 0.5 s',
            `p99 settle + ${num(l.value.p99Ms / 1000)} s (p50 + ${num(l.value.p50Ms / 1000)} s)`,
            l.value.p99Ms <= 500,
            Number.isFinite(l.value.p99Ms),
          )
        : {
            target: 'agent: latency p99 <= settle window + 0.5 s',
            measured: `failed: ${l.error}`,
            met: false,
          },
    );
  }
  if (r.journal !== undefined) {
    const j = r.journal;
    const target = `agent: ${(r.journalFiles ?? 0).toLocaleString('en-US')} files journaled with peak RSS <= 300 MiB`;
    out.push(
      j.ok
        ? check(
            target,
            `${j.value.journaled.toLocaleString('en-US')} in ${num(j.value.seconds, 1)} s, peak RSS ${num(j.value.peakRssMiB, 0)} MiB`,
            !j.value.timedOut && j.value.peakRssMiB <= 300,
            true,
          )
        : { target, measured: `failed: ${j.error}`, met: false },
    );
  }
  return out;
}
