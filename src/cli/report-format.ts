/**
 * How `s3ferry report` writes its rows (control/report.ts): CSV (RFC 4180: every field that holds
 * a comma, a double quote, CR or LF is quoted, its quotes doubled; lines end with CRLF), JSON (one
 * object a line, as every `--json` output of the CLI), or a table for people. Times are ISO 8601 in UTC in all three. Names are the
 * journal's as they are, in UTF-8 (a name whose bytes are not UTF-8 shows U+FFFD where they were,
 * as everywhere in s3ferry); the table alone shows control characters (a newline in a name) as
 * escapes, so that each row stays on its line.
 */
import { formatBytes } from '../domain/duration.js';
import type { ReportOutcome, ReportRow } from '../control/report.js';

/** The formats of `--format`. */
export const REPORT_FORMATS = ['table', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The CSV columns, in order, and how each is read from a row. */
const COLUMNS: readonly [string, (r: ReportRow) => string | number | null][] = [
  ['outcome', (r) => r.outcome],
  ['job', (r) => r.job],
  ['path', (r) => r.path],
  ['bucket', (r) => r.bucket],
  ['key', (r) => r.key],
  ['version_id', (r) => r.versionId],
  ['size', (r) => r.size],
  ['etag', (r) => r.etag],
  ['sha256', (r) => r.sha256],
  ['started', (r) => iso(r.startedAt)],
  ['finished', (r) => iso(r.finishedAt)],
  ['bytes_per_sec', (r) => (r.bytesPerSec === null ? null : Math.round(r.bytesPerSec))],
  ['reason', (r) => r.reason],
];

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** One CSV field (RFC 4180 section 2): quoted when it holds a comma, a quote, CR or LF. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The header line of the CSV, with its CRLF. */
export function csvHeader(): string {
  return `${COLUMNS.map(([name]) => name).join(',')}\r\n`;
}

/** One row as a CSV line, with its CRLF. */
export function csvLine(row: ReportRow): string {
  return `${COLUMNS.map(([, read]) => csvField(read(row))).join(',')}\r\n`;
}

/** One row as the JSON output shows it: the row, its times as ISO 8601. */
export function jsonRow(row: ReportRow): Record<string, unknown> {
  return { ...row, startedAt: iso(row.startedAt), finishedAt: iso(row.finishedAt) };
}

/** `text` with its control characters as escapes (\n, \t, \x1b…): one table row per line. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** The table's header line. */
export function tableHeader(): string {
  return `${'FINISHED'.padEnd(24)} ${'OUTCOME'.padEnd(9)} ${'SIZE'.padStart(10)} ${'SPEED'.padStart(12)}  JOB  FILE -> OBJECT\n`;
}

/** One row of the table: its line, and its reason on the next one. */
export function tableLine(row: ReportRow): string {
  const size = row.size === null ? '-' : formatBytes(row.size);
  const speed = row.bytesPerSec === null ? '-' : `${formatBytes(row.bytesPerSec)}/s`;
  const where =
    row.key === null
      ? ''
      : ` -> ${row.bucket === null ? '' : `s3://${row.bucket}/`}${row.key}${row.versionId === null ? '' : ` (version ${row.versionId})`}`;
  const line = `${new Date(row.finishedAt).toISOString().padEnd(24)} ${row.outcome.padEnd(9)} ${size.padStart(10)} ${speed.padStart(12)}  ${row.job ?? '-'}  ${printable(row.path)}${printable(where)}\n`;
  return row.reason === null ? line : `${line}${' '.repeat(26)}${printable(row.reason)}\n`;
}

/** What the rows came to, counted as they are written. */
export class ReportTally {
  readonly counts: Record<ReportOutcome, number> = {
    uploaded: 0,
    skipped: 0,
    parked: 0,
    failed: 0,
    cancelled: 0,
  };
  bytesUploaded = 0;

  add(row: ReportRow): void {
    this.counts[row.outcome] += 1;
    if (row.outcome === 'uploaded') this.bytesUploaded += row.size ?? 0;
  }

  /** The table's last line: the counts and the window. */
  summary(since: number, until: number): string {
    const shown = Object.entries(this.counts)
      .filter(([outcome, n]) => n > 0 || outcome === 'uploaded')
      .map(([outcome, n]) => `${n} ${outcome}`)
      .join(', ');
    const window = `${new Date(since).toISOString()} to ${new Date(until).toISOString()}`;
    return `${shown} (${formatBytes(this.bytesUploaded)} uploaded), ${window}\n`;
  }
}
