/** The report's section on the agent burst (agent-burst.ts) and its targets (issue 14). */
import {
  BURST_LABELS,
  BURST_TOOLS,
  burstFigures,
  type BurstFigures,
  type BurstResult,
} from './burst-figures.js';
import type { Outcome } from './results.js';
import type { TargetCheck } from './targets.js';

/** The agent's files/s over rclone's at least this (issue 14). */
export const BURST_RATE_TARGET = 1.3;
/** Journal write transactions per small file at most this (issue 14, item 7). */
export const BURST_JOURNAL_WRITES_TARGET = 3;

const n = (v: number, d = 2): string => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const x = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}x` : 'n/a');
const int = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a';

const TARGETS = {
  rate: `agent burst: >= ${BURST_RATE_TARGET}x rclone's files/s (rclone copy --transfers 16)`,
  cpu: "agent burst: client CPU per file <= rclone's",
  writes: `agent burst: journal write transactions per small file <= ${BURST_JOURNAL_WRITES_TARGET}`,
} as const;

/** The burst's three targets; each "failed" when the burst failed as a whole. */
export function burstTargets(burst: Outcome<BurstResult> | undefined): TargetCheck[] {
  if (burst === undefined) return [];
  if (!burst.ok)
    return Object.values(TARGETS).map((target) => ({
      target,
      measured: `failed: ${burst.error}`,
      met: false,
    }));
  const f = burstFigures(burst.value);
  const agent = f.tools.agent;
  const rclone = f.tools.rclone;
  const valid = (v: number): boolean | undefined => (Number.isFinite(v) ? true : undefined);
  const met = (ok: boolean, v: number): boolean | undefined => (valid(v) === true ? ok : undefined);
  return [
    {
      target: TARGETS.rate,
      measured: `${x(f.rateVsRclone)} (${int(agent.filesPerSec)} vs ${int(rclone.filesPerSec)} files/s)`,
      met: met(f.rateVsRclone >= BURST_RATE_TARGET, f.rateVsRclone),
    },
    {
      target: TARGETS.cpu,
      measured: `${n(agent.cpuMsPerFile)} ms vs ${n(rclone.cpuMsPerFile)} ms (${x(f.cpuVsRclone)})`,
      met: met(f.cpuVsRclone <= 1, f.cpuVsRclone),
    },
    {
      target: TARGETS.writes,
      measured: n(agent.journalWritesPerFile),
      met: met(
        agent.journalWritesPerFile <= BURST_JOURNAL_WRITES_TARGET,
        agent.journalWritesPerFile,
      ),
    },
  ];
}

function table(f: BurstFigures): string[] {
  const rows = BURST_TOOLS.filter((t) => f.tools[t].runs + f.tools[t].failed > 0).map((t) => {
    const tf = f.tools[t];
    const walls = tf.walls.filter(Number.isFinite);
    return `| ${BURST_LABELS[t]} | ${tf.runs}/${tf.runs + tf.failed} | ${n(tf.wallMedian)} (${n(Math.min(...walls))}-${n(Math.max(...walls))}) | ${int(tf.filesPerSec)} | ${n(tf.cpuMsPerFile)} | ${n(tf.serverCpuMsPerFile)} | ${t === 'rclone' ? '–' : n(tf.journalWritesPerFile)} |`;
  });
  return [
    '| tool | ok | wall s median (min-max) | files/s | client CPU ms per file | server CPU ms per file | journal write transactions per file |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ];
}

/**
 * The section (Markdown). `unusable` (the load gate's "not usable: load X"), when given, takes
 * the place of the ratios.
 */
export function burstSection(
  burst: Outcome<BurstResult> | undefined,
  rounds: number,
  unusable?: string,
): string[] {
  if (burst === undefined) return [];
  const out = ['## Agent burst: files moved into a watched directory', ''];
  if (!burst.ok) return [...out, `Failed: ${burst.error}`, ''];
  const b = burst.value;
  const f = burstFigures(b);
  out.push(
    `${int(b.files)} files of ${b.fileBytes / 1024} KiB moved (renamed within one filesystem) into a directory that a running \`s3ferry run\` watches (settle ${b.settleMs} ms), against \`rclone copy --transfers 16\` of the same files to the same RGW; ${rounds} interleaved round(s), every run into a fresh bucket and verified by listing it. The agent's time runs from the first rename until its status (polled every ${b.pollMs} ms) counts every file done, so it includes the settle window; rclone's is its whole process, start-up included. Client CPU: the agent's process over that span (/proc/PID/stat), rclone's process (GNU time). Journal write transactions: the growth of the agent's \`s3ferry_journal_write_transactions_total\` over the span, per file (heartbeats included).`,
    '',
    ...table(f),
    '',
  );
  const agent = f.tools.agent;
  if (unusable !== undefined) out.push(`Ratios: ${unusable}.`, '');
  else {
    out.push(
      `agent / rclone: files/s **${x(f.rateVsRclone)}** (target >= ${BURST_RATE_TARGET}x), client CPU per file **${x(f.cpuVsRclone)}** (target <= 1x); journal write transactions per small file **${n(agent.journalWritesPerFile)}** (target at most ${BURST_JOURNAL_WRITES_TARGET}).`,
      '',
    );
    const base = f.tools.baseline;
    if (base.runs > 0)
      out.push(
        `agent / baseline build's agent: files/s **${x(agent.filesPerSec / base.filesPerSec)}**, client CPU per file ${x(agent.cpuMsPerFile / base.cpuMsPerFile)}; baseline wall times ${base.walls.map((s) => n(s)).join(', ')} s, agent ${agent.walls.map((s) => n(s)).join(', ')} s (every round).`,
        '',
      );
  }
  const errors = BURST_TOOLS.flatMap((t) =>
    f.tools[t].errors.map((e) => `- ${BURST_LABELS[t]}: ${e}`),
  );
  if (errors.length > 0) out.push('Failed runs (not counted):', '', ...errors, '');
  return out;
}
