/**
 * The agent burst's figures (issue 14): what each run recorded, the medians per tool over the
 * verified rounds, and the ratios of the agent to `rclone copy --transfers 16`. Pure.
 */
import { median } from './stats.js';

export const BURST_TOOLS = ['agent', 'baseline', 'rclone'] as const;
export type BurstTool = (typeof BURST_TOOLS)[number];

export const BURST_LABELS: Readonly<Record<BurstTool, string>> = {
  agent: 's3ferry run (the agent)',
  baseline: 's3ferry run (baseline build)',
  rclone: 'rclone copy --transfers 16',
};

/** The files of a burst at full size (5,000; divided by the scale like the workloads). */
export const BURST_FILES = 5000;
export const BURST_FILE_BYTES = 4096;
/** The job's settle window. */
export const BURST_SETTLE_MS = 1000;
/** How often the bench asks the agent's status whether every file is done. */
export const BURST_POLL_MS = 100;
/** The metric the agent's journal writes are read from (src/metrics/agent-metrics.ts). */
export const JOURNAL_WRITES_METRIC = 's3ferry_journal_write_transactions_total';

/** One run of one tool. */
export interface BurstRun {
  readonly tool: BurstTool;
  readonly round: number;
  /** The agent: from the first rename to the status poll that found every file done. rclone: its process. */
  readonly wallSec: number;
  /** User + system CPU seconds: the agent's over that span (/proc/PID/stat), rclone's whole process. */
  readonly cpuSec: number;
  /** CPU seconds of the RGW's daemons over the run (absent when they could not be read). */
  readonly serverCpuSec?: number;
  /** The agent's journal write transactions over the span; absent for rclone and builds without the metric. */
  readonly journalWrites?: number;
  readonly objects: number;
  readonly bytes: number;
  readonly verified: boolean;
  readonly error?: string;
}

/** Everything the burst measured. */
export interface BurstResult {
  readonly files: number;
  readonly fileBytes: number;
  readonly settleMs: number;
  readonly pollMs: number;
  readonly runs: readonly BurstRun[];
}

/** One tool over its verified runs. */
export interface BurstToolFigures {
  readonly runs: number;
  readonly failed: number;
  readonly errors: readonly string[];
  readonly wallMedian: number;
  readonly filesPerSec: number;
  /** Median client CPU seconds per file, in ms. */
  readonly cpuMsPerFile: number;
  /** Median server CPU per file, in ms (NaN when not recorded). */
  readonly serverCpuMsPerFile: number;
  /** Median journal write transactions per file (NaN when not recorded). */
  readonly journalWritesPerFile: number;
  readonly walls: readonly number[];
}

export interface BurstFigures {
  readonly tools: Readonly<Record<BurstTool, BurstToolFigures>>;
  /** The agent's files/s over rclone's (above 1: the agent is faster). */
  readonly rateVsRclone: number;
  /** The agent's client CPU per file over rclone's (below 1: the agent uses less). */
  readonly cpuVsRclone: number;
}

function toolFigures(b: BurstResult, tool: BurstTool): BurstToolFigures {
  const mine = b.runs.filter((r) => r.tool === tool);
  const ok = mine.filter((r) => r.verified);
  const wallMedian = median(ok.map((r) => r.wallSec));
  const perFile = (v: number): number => (v / b.files) * 1000;
  return {
    runs: ok.length,
    failed: mine.length - ok.length,
    errors: mine.flatMap((r) => (r.error === undefined ? [] : [r.error])),
    wallMedian,
    filesPerSec: b.files / wallMedian,
    cpuMsPerFile: perFile(median(ok.map((r) => r.cpuSec))),
    serverCpuMsPerFile: perFile(median(ok.map((r) => r.serverCpuSec ?? Number.NaN))),
    journalWritesPerFile: median(ok.map((r) => (r.journalWrites ?? Number.NaN) / b.files)),
    walls: ok.map((r) => r.wallSec),
  };
}

/** The figures of a burst; ratios are NaN where a side has no verified run. */
export function burstFigures(b: BurstResult): BurstFigures {
  const tools = Object.fromEntries(BURST_TOOLS.map((t) => [t, toolFigures(b, t)])) as Record<
    BurstTool,
    BurstToolFigures
  >;
  return {
    tools,
    rateVsRclone: tools.agent.filesPerSec / tools.rclone.filesPerSec,
    cpuVsRclone: tools.agent.cpuMsPerFile / tools.rclone.cpuMsPerFile,
  };
}

/**
 * The value of an unlabelled sample `name` in Prometheus text; undefined when the text has none
 * (an agent that does not export it, e.g. a baseline build from before the metric).
 */
export function metricValue(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name} `)) continue;
    const v = Number(
      line
        .slice(name.length + 1)
        .trim()
        .split(/\s+/)[0],
    );
    return Number.isFinite(v) ? v : undefined;
  }
  return undefined;
}
