/**
 * Receipts (issue 16, item 4): every file uploaded, skipped, parked or failed in a time window,
 * one row each, as `s3ferry report` and `GET /api/v1/report` give them (like AWS DataSync's task
 * reports). Read from the journal, by the agent or by the CLI when none runs:
 * - the history: each upload that ended in the window (done: uploaded; failed: parked for an
 *   agent's job, failed for a one-shot upload; skipped and cancelled one-shot uploads);
 * - the files the journal holds skipped or parked now, whose last move was in the window (a file
 *   skipped, parked or failed before its upload began has no history row). A parked file whose
 *   failed upload the history holds (the same job, path and time: both are written in one
 *   transaction) is that row, not a second one.
 * Rows come in time order (the end of each); pages are cut by a cursor of two offsets, one into
 * each list.
 */
import { AppError } from '../errors/app-error.js';
import type { FileRecord, HistoryRecord, JournalStore, Page } from '../journal/journal-store.js';

/** What became of a file, as a report row says. */
export const REPORT_OUTCOMES = ['uploaded', 'skipped', 'parked', 'failed', 'cancelled'] as const;
export type ReportOutcome = (typeof REPORT_OUTCOMES)[number];

/** One file's outcome in the window. */
export interface ReportRow {
  readonly outcome: ReportOutcome;
  /** The agent job; null for a one-shot upload (`s3ferry upload`). */
  readonly job: string | null;
  /** The source file, as the journal names it. */
  readonly path: string;
  /** Where the object went (null when the journal does not say: a file skipped or parked). */
  readonly bucket: string | null;
  /** Its object key (the plan's for a file not sent), null when none was decided. */
  readonly key: string | null;
  /** The version the upload stored, on a versioned bucket. */
  readonly versionId: string | null;
  /** Bytes: of the object uploaded, or of the file; null when unknown (a failed upload). */
  readonly size: number | null;
  readonly etag: string | null;
  /** Hex SHA-256 of the content, where it was computed (dedupe, a `{sha256}` key). */
  readonly sha256: string | null;
  /** When its upload began, ms since the epoch; null when none began. */
  readonly startedAt: number | null;
  /** When it ended there (uploaded, skipped, parked, failed), ms since the epoch. */
  readonly finishedAt: number;
  /** Average bytes per second of an upload. */
  readonly bytesPerSec: number | null;
  /** Why it was skipped, parked or failed: `CODE: message`. */
  readonly reason: string | null;
}

/** A window of the report, and a page of it. */
export interface ReportQuery {
  /** From this time (inclusive), ms since the epoch. */
  readonly since: number;
  /** To this time (exclusive), ms since the epoch. */
  readonly until: number;
  readonly job?: string;
  /** Rows per page. */
  readonly limit: number;
  /** Where the page starts: the `next` of the page before (the first page when absent). */
  readonly cursor?: string;
}

/** One page of the report; `next` asks for the page after it, null at the end. */
export interface ReportPage {
  readonly items: ReportRow[];
  readonly next: string | null;
}

/** Files a report lists from the queue: not sent on purpose, or waiting for a person. */
const LISTED_STATES = ['skipped', 'parked'] as const;

/** The two offsets a cursor holds: into the history, into the files. */
interface Offsets {
  readonly history: number;
  readonly files: number;
}

/** `H.F`, the text of a cursor. */
export const CURSOR_PATTERN = /^(\d{1,15})\.(\d{1,15})$/;

function parseCursor(cursor: string | undefined): Offsets {
  if (cursor === undefined) return { history: 0, files: 0 };
  const m = CURSOR_PATTERN.exec(cursor);
  if (m === null)
    throw new AppError('ERR_USAGE', `"${cursor}" is not a cursor of the report`, {
      hint: "give the `next` of the report's previous page",
      details: { field: 'cursor' },
    });
  return { history: Number(m[1]), files: Number(m[2]) };
}

/** The hex digest of a `sha256:…` checksum, else null. */
function sha256Of(checksum: string | null | undefined): string | null {
  return checksum?.startsWith('sha256:') === true ? checksum.slice('sha256:'.length) : null;
}

/** A history row as a report row. */
export function historyReportRow(h: HistoryRecord): ReportRow {
  const done = h.result === 'done';
  const outcome: ReportOutcome = done
    ? 'uploaded'
    : h.result === 'failed'
      ? h.job === undefined
        ? 'failed'
        : 'parked' // an agent's upload fails for good only when its file is parked
      : h.result;
  return {
    outcome,
    job: h.job ?? null,
    path: h.sourcePath,
    bucket: h.bucket,
    key: h.key,
    versionId: h.versionId,
    size: done || h.size > 0 ? h.size : null,
    etag: h.etag,
    sha256: sha256Of(h.checksum),
    startedAt: h.startedAt,
    finishedAt: h.finishedAt,
    bytesPerSec: done ? h.avgBytesPerSec : null,
    reason: h.error,
  };
}

/** A skipped or parked file as a report row. */
export function fileReportRow(f: FileRecord): ReportRow {
  return {
    outcome: f.state === 'parked' ? 'parked' : 'skipped',
    job: f.job,
    path: f.path,
    bucket: null,
    key: f.plan?.key ?? null,
    versionId: null,
    size: f.size,
    etag: null,
    sha256: sha256Of(f.plan?.checksum),
    startedAt: null,
    finishedAt: f.updatedAt,
    bytesPerSec: null,
    reason: f.reason === null ? null : `${f.reason.code}: ${f.reason.message}`,
  };
}

/** True when `f` is parked with the failed upload `h` recorded by the same transition. */
function sameParking(f: FileRecord, h: HistoryRecord): boolean {
  return (
    f.state === 'parked' &&
    h.result === 'failed' &&
    h.job === f.job &&
    h.sourcePath === f.path &&
    h.finishedAt === f.updatedAt
  );
}

/**
 * The rows of two time-ordered pages, merged in time order (history first at equal times), at most
 * `limit`; how many of each were used; `recorded` says whether a parked file's failed upload is in
 * the history (such a file is used, and not shown twice).
 */
export function mergeReport(
  history: readonly HistoryRecord[],
  files: readonly FileRecord[],
  limit: number,
  recorded: (f: FileRecord) => boolean,
): { items: ReportRow[]; used: Offsets } {
  const items: ReportRow[] = [];
  let h = 0;
  let f = 0;
  while (items.length < limit && (h < history.length || f < files.length)) {
    const nextH = history[h];
    const nextF = files[f];
    if (nextH !== undefined && (nextF === undefined || nextH.finishedAt <= nextF.updatedAt)) {
      items.push(historyReportRow(nextH));
      h += 1;
    } else if (nextF !== undefined) {
      if (!recorded(nextF)) items.push(fileReportRow(nextF));
      f += 1;
    }
  }
  return { items, used: { history: h, files: f } };
}

/** One page of the report from the journal (see the module comment). */
export async function reportFromJournal(
  journal: Pick<JournalStore, 'searchHistory' | 'pageFiles' | 'listHistory'>,
  query: ReportQuery,
): Promise<ReportPage> {
  const at = parseCursor(query.cursor);
  const job = query.job === undefined ? {} : { job: query.job };
  const [history, files]: [Page<HistoryRecord>, Page<FileRecord>] = await Promise.all([
    journal.searchHistory({
      ...job,
      since: query.since,
      until: query.until,
      sort: 'finishedAt',
      order: 'asc',
      limit: query.limit,
      offset: at.history,
    }),
    journal.pageFiles({
      ...job,
      states: LISTED_STATES,
      changedSince: query.since,
      changedUntil: query.until,
      limit: query.limit,
      offset: at.files,
    }),
  ]);
  const recorded = new Set<FileRecord>();
  for (const f of files.items.filter((x) => x.state === 'parked')) {
    const rows = await journal.listHistory({ limit: 10, sourcePath: f.path });
    if (rows.some((h) => sameParking(f, h))) recorded.add(f);
  }
  const { items, used } = mergeReport(history.items, files.items, query.limit, (f) =>
    recorded.has(f),
  );
  const next = { history: at.history + used.history, files: at.files + used.files };
  const more = next.history < history.total || next.files < files.total;
  return { items, next: more ? `${next.history}.${next.files}` : null };
}
