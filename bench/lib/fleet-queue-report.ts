/**
 * The Fleet section's part on the PostgreSQL queue alone (fleet-queue.ts): figures per number of
 * agents, and the projection of how many agents one PostgreSQL serves at a given per-agent file
 * rate, with its arithmetic. Pure.
 */
import type { QueuePhase, QueueResult, QueueRun } from './fleet-queue.js';
import { median } from './stats.js';

/** An agent's heartbeat interval with the default lease (30 s, a heartbeat every third of it). */
export const HEARTBEAT_EVERY_SEC = 10;
/** The per-agent file rates the projection is worked out for. */
export const PROJECTED_RATES = [1, 10, 50] as const;

/** One number of agents, medians over its verified rounds. */
export interface QueueLevel {
  readonly agents: number;
  readonly runs: number;
  readonly failed: number;
  readonly enqueuesPerSec: number;
  /** Files through claim -> markVerifying -> complete per second (= claims/s). */
  readonly cyclesPerSec: number;
  readonly heartbeatsPerSec: number;
  /** A file through the whole queue (enqueue, then its cycle), per second. */
  readonly filesPerSec: number;
  /** PostgreSQL CPU per file, enqueue and cycle together, ms. */
  readonly pgMsPerFile: number;
  readonly pgMsPerHeartbeat: number;
  /** This process's CPU (the agents' client side) per file, ms. */
  readonly clientMsPerFile: number;
}

const perSec = (p: QueuePhase | undefined): number =>
  p === undefined ? Number.NaN : p.ops / p.seconds;
const msPer = (p: QueuePhase | undefined, k: 'pgCpuSec' | 'clientCpuSec'): number =>
  p === undefined ? Number.NaN : (p[k] / p.ops) * 1000;

/** The figures of each number of agents, in the order first measured. */
export function queueLevels(q: QueueResult): QueueLevel[] {
  const counts = [...new Set(q.runs.map((r) => r.agents))];
  return counts.map((agents) => {
    const all = q.runs.filter((r) => r.agents === agents);
    const ok = all.filter(
      (r) =>
        r.error === undefined &&
        r.enqueue !== undefined &&
        r.cycle !== undefined &&
        r.heartbeat !== undefined,
    );
    const m = (f: (r: QueueRun) => number): number => median(ok.map(f));
    const enqueuesPerSec = m((r) => perSec(r.enqueue));
    const cyclesPerSec = m((r) => perSec(r.cycle));
    return {
      agents,
      runs: ok.length,
      failed: all.length - ok.length,
      enqueuesPerSec,
      cyclesPerSec,
      heartbeatsPerSec: m((r) => perSec(r.heartbeat)),
      filesPerSec: 1 / (1 / enqueuesPerSec + 1 / cyclesPerSec),
      pgMsPerFile: m((r) => msPer(r.enqueue, 'pgCpuSec') + msPer(r.cycle, 'pgCpuSec')),
      pgMsPerHeartbeat: m((r) => msPer(r.heartbeat, 'pgCpuSec')),
      clientMsPerFile: m((r) => msPer(r.enqueue, 'clientCpuSec') + msPer(r.cycle, 'clientCpuSec')),
    };
  });
}

/** How many agents one PostgreSQL serves at `rate` files/s per agent. */
export interface Projection {
  readonly rate: number;
  /** PostgreSQL CPU one agent costs per second, ms: rate x per file + per heartbeat / interval. */
  readonly pgMsPerAgentSec: number;
  /** Agents one core of the database host serves, fully busy: 1000 / pgMsPerAgentSec. */
  readonly agentsPerCore: number;
  /** Agents the measured queue throughput serves: best files/s / rate. */
  readonly agentsByThroughput: number;
}

/**
 * The projection at `rate` from the PostgreSQL CPU per file and per heartbeat (ms), the
 * heartbeat interval (s) and the best throughput of the whole queue measured (files/s).
 */
export function projectAgents(
  rate: number,
  c: {
    pgMsPerFile: number;
    pgMsPerHeartbeat: number;
    heartbeatEverySec: number;
    bestFilesPerSec: number;
  },
): Projection {
  const pgMsPerAgentSec = rate * c.pgMsPerFile + c.pgMsPerHeartbeat / c.heartbeatEverySec;
  return {
    rate,
    pgMsPerAgentSec,
    agentsPerCore: 1000 / pgMsPerAgentSec,
    agentsByThroughput: c.bestFilesPerSec / rate,
  };
}

const f1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '–');
const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '–');
const f0 = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–';
/** The highest finite value (-Infinity for none). */
const highest = (values: readonly number[]): number =>
  Math.max(...values.filter(Number.isFinite), Number.NEGATIVE_INFINITY);

/**
 * The part of the Fleet section (Markdown lines). `unusable` (the load gate's "not usable: load
 * X") takes the place of the projection; `agentPgMsPerFile`, when the agent runs measured it, is
 * PostgreSQL's CPU per small file of the real agent, for the projection's last line.
 */
export function queueSection(
  q: QueueResult,
  unusable?: string,
  agentPgMsPerFile?: number,
): string[] {
  const levels = queueLevels(q);
  const out = [
    '### The PostgreSQL queue alone (no S3)',
    '',
    `${f0(q.files)} files through the journal's real store (PostgresJournalStore, one connection per agent, through the FileQueue and Fleet ports): each queued with its event, then claimed, moved to verifying and completed with its event and history row, as the agent does for a small file; and ${q.heartbeatsPerAgent} heartbeats per agent, each renewing the leases of the ${q.held} files it holds. Every agent works one operation after another; the agents run at once, all in the bench's process. Medians over the rounds; CPU per operation from the PostgreSQL cluster's /proc times over each phase.`,
    '',
    '| agents | ok | enqueues/s | claims/s (files through claim, verifying, complete) | transitions/s | heartbeats/s | files/s through the whole queue | PostgreSQL CPU ms per file | PostgreSQL CPU ms per heartbeat | client CPU ms per file |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...levels.map(
      (l) =>
        `| ${l.agents} | ${l.runs}/${l.runs + l.failed} | ${f0(l.enqueuesPerSec)} | ${f0(l.cyclesPerSec)} | ${f0(2 * l.cyclesPerSec)} | ${f0(l.heartbeatsPerSec)} | ${f0(l.filesPerSec)} | ${f2(l.pgMsPerFile)} | ${f2(l.pgMsPerHeartbeat)} | ${f2(l.clientMsPerFile)} |`,
    ),
    '',
  ];
  const errors = q.runs.flatMap((r) =>
    r.error === undefined ? [] : [`- ${r.agents} agent(s), round ${r.round}: ${r.error}`],
  );
  if (errors.length > 0) out.push('Failed runs (not counted):', '', ...errors, '');
  out.push(...projectionLines(levels, unusable, agentPgMsPerFile));
  return out;
}

function projectionLines(
  levels: readonly QueueLevel[],
  unusable: string | undefined,
  agentPgMsPerFile: number | undefined,
): string[] {
  const out = ['#### How many agents one PostgreSQL serves', ''];
  if (unusable !== undefined) return [...out, `Projection: ${unusable}.`, ''];
  const c = {
    pgMsPerFile: highest(levels.map((l) => l.pgMsPerFile)),
    pgMsPerHeartbeat: highest(levels.map((l) => l.pgMsPerHeartbeat)),
    heartbeatEverySec: HEARTBEAT_EVERY_SEC,
    bestFilesPerSec: highest(levels.map((l) => l.filesPerSec)),
  };
  const best = levels.find((l) => l.filesPerSec === c.bestFilesPerSec);
  out.push(
    `From the dearest level above: ${f2(c.pgMsPerFile)} ms of PostgreSQL CPU per file (enqueue and cycle) and ${f2(c.pgMsPerHeartbeat)} ms per heartbeat, one heartbeat every ${HEARTBEAT_EVERY_SEC} s per agent (the default lease of 30 s, renewed every third). An agent taking r files/s then costs PostgreSQL r x ${f2(c.pgMsPerFile)} + ${f2(c.pgMsPerHeartbeat)} / ${HEARTBEAT_EVERY_SEC} ms of CPU per second, and one core of the database host, fully busy, serves 1000 / that many agents. By throughput: the queue took at most ${f0(c.bestFilesPerSec)} files/s through it here${best === undefined ? '' : ` (${best.agents} agents)`}, so it serves that / r agents (this machine's PostgreSQL, sharing its cores with the bench).`,
    '',
    '| files/s per agent | PostgreSQL CPU per agent | agents per database core | agents by the measured throughput |',
    '| --- | --- | --- | --- |',
    ...PROJECTED_RATES.map((rate) => {
      const p = projectAgents(rate, c);
      return `| ${rate} | ${rate} x ${f2(c.pgMsPerFile)} + ${f2(c.pgMsPerHeartbeat)} / ${HEARTBEAT_EVERY_SEC} = ${f2(p.pgMsPerAgentSec)} ms/s | 1000 / ${f2(p.pgMsPerAgentSec)} = ${f1(p.agentsPerCore)} | ${f0(c.bestFilesPerSec)} / ${rate} = ${f1(p.agentsByThroughput)} |`;
    }),
    '',
  );
  if (agentPgMsPerFile !== undefined && Number.isFinite(agentPgMsPerFile))
    out.push(
      `The queue alone is a floor: the real agent also writes its upload ledger and more events. In the small-file table above one file cost PostgreSQL ${f2(agentPgMsPerFile)} ms of CPU (one agent), so at 10 files/s per agent a database core serves about 1000 / (10 x ${f2(agentPgMsPerFile)}) = ${f1(1000 / (10 * agentPgMsPerFile))} agents.`,
      '',
    );
  return out;
}
