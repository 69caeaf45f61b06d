/** The human output of the commands over the control service: status, queue, transfers. */
import type {
  AgentStatusView,
  JobStatus,
  JournalStatusView,
  QueueSection,
  QueueView,
  TransferView,
  WebhookStats,
} from '../control/control-service.js';
import { describeCapabilities } from '../domain/capabilities.js';
import { formatBytes, formatDuration } from '../domain/duration.js';
import { bandwidthLines } from './bandwidth-format.js';
import type { FileReason, FileRecord } from '../journal/journal-store.js';

/** A reason as a line: `CODE: message` for a failure, the message alone for a note. */
export function reasonText(reason: FileReason): string {
  return reason.code.startsWith('ERR_') ? `${reason.code}: ${reason.message}` : reason.message;
}

/** `done 3, parked 1` of the states with files, or `none`. */
function countsLine(files: Readonly<Record<string, number>>): string {
  return (
    Object.entries(files)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none'
  );
}

/** `webhook URL: 12 delivered, 3 failed attempts, 1 dropped (last error: …)` for `status`. */
function webhookLine(w: WebhookStats): string {
  const sum = (counts: Readonly<Record<string, number>>): number =>
    Object.values(counts).reduce((a, b) => a + b, 0);
  const last = w.lastError === undefined ? '' : ` (last error: ${w.lastError.message})`;
  return `webhook ${w.url}: ${w.delivered} delivered, ${sum(w.failures)} failed attempt(s), ${sum(w.dropped)} dropped, ${w.pending} pending${last}`;
}

/**
 * A job's lines: its destination's health, each source directory with a problem, then what the
 * destination's store accepts.
 */
function jobLines(j: JobStatus): string[] {
  const h = j.health;
  const health = h.healthy ? 'healthy' : `UNHEALTHY: ${h.cause}\n  fix: ${h.hint}`;
  return [
    `job ${j.name}${j.paused ? ' (paused)' : ''} -> ${j.destination}: ${health}`,
    ...j.sources.flatMap((s) =>
      s.problem === undefined
        ? []
        : [`  SOURCE PROBLEM: ${s.problem.cause}`, `  fix: ${s.problem.hint}`],
    ),
    ...(j.capabilities === undefined
      ? []
      : [`  store accepts: ${describeCapabilities(j.capabilities.capabilities)}`]),
  ];
}

/** True when the agent has destinations and every one is unhealthy: nothing can go. */
export function everyDestinationDown(s: AgentStatusView): boolean {
  return s.jobs.length > 0 && s.jobs.every((j) => !j.health.healthy);
}

/** `status` of a running agent. */
export function agentStatusText(s: AgentStatusView, url: string): string {
  return [
    `agent: running at ${url}${s.paused ? ' (PAUSED)' : ''}, ${s.inFlight} file(s) in flight`,
    ...s.jobs.flatMap(jobLines),
    `files: ${countsLine(s.files)}`,
    ...(s.webhook === undefined ? [] : [webhookLine(s.webhook)]),
    ...(s.bwlimit === undefined ? [] : bandwidthLines(s.bwlimit, false)),
    ...(everyDestinationDown(s)
      ? ['every destination is unhealthy: no file can be uploaded until one works again']
      : []),
  ].join('\n');
}

/** `status` read from the journal. */
export function journalStatusText(s: JournalStatusView): string {
  return [
    `agent: not running (journal ${s.journal})`,
    ...(s.note === undefined ? [] : [`  note: ${s.note}`]),
    ...(s.paused ? ['processing: PAUSED (`s3ferry resume` switches it back on)'] : []),
    ...s.jobs.map((j) => `job ${j.name}${j.paused ? ' (paused)' : ''}`),
    `files: ${countsLine(s.files)}`,
    ...(s.capabilities ?? []).map(
      (c) =>
        `s3://${c.bucket}${c.endpoint === '' ? '' : ` at ${c.endpoint}`} accepts: ${describeCapabilities(c.capabilities)} (probed ${new Date(c.probedAt).toISOString()})`,
    ),
  ].join('\n');
}

/** `NAME (N):`, or `NAME (N, the first M shown):` when the page is shorter. */
function heading(name: string, shown: number, total: number): string {
  return shown < total ? `${name} (${total}, the first ${shown} shown):` : `${name} (${total}):`;
}

const SECTION_LINES: Readonly<Record<QueueSection, (f: FileRecord) => string>> = {
  pending: (f) =>
    `  #${f.id} ${f.state.padEnd(9)} ${f.path}${f.reason ? `  [${reasonText(f.reason)}]` : ''}`,
  waiting: (f) => `  #${f.id} ${f.path}${f.reason ? `  [${reasonText(f.reason)}]` : ''}`,
  parked: (f) =>
    `  #${f.id} ${f.path}\n     ${f.reason === null ? '' : reasonText(f.reason)}${f.reason?.hint ? `\n     fix: ${f.reason.hint}` : ''}`,
  skipped: (f) =>
    `  #${f.id} ${f.path}${f.plan === null ? '' : ` -> ${f.plan.key}`}\n     ${f.reason === null ? 'skipped' : `${f.reason.code}: ${f.reason.message}`}`,
};

/** `queue`: each section asked for with its files. */
export function queueText(view: QueueView, sections: readonly QueueSection[]): string {
  return sections
    .flatMap((name) => {
      const page = view[name] ?? { items: [], total: 0 };
      return [heading(name, page.items.length, page.total), ...page.items.map(SECTION_LINES[name])];
    })
    .join('\n');
}

/** One running upload: percent, bytes, speed, time left, job, path and key. */
function transferLine(t: TransferView): string {
  const pct = t.size > 0 ? Math.floor((t.bytesDone / t.size) * 100) : 100;
  const eta = t.etaMs === null ? 'ETA -' : `ETA ${formatDuration(t.etaMs)}`;
  return `${String(pct).padStart(3)}% ${formatBytes(t.bytesDone)}/${formatBytes(t.size)} ${formatBytes(t.bytesPerSec)}/s ${eta}  ${t.job}: ${t.path} -> ${t.key}`;
}

/** `transfers`: the uploads running now. */
export function transfersText(items: readonly TransferView[]): string {
  if (items.length === 0) return 'no upload is running';
  return [`${items.length} upload(s) running:`, ...items.map(transferLine)].join('\n');
}
