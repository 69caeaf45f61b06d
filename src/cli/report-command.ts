/**
 * `s3ferry report [--since 24h] [--until TIME] [--job J] [--format table|csv|json]`: a receipt of
 * every file uploaded, skipped, parked or failed in a window (control/report.ts), from the running
 * agent or, when none answers, the journal. The rows are fetched a page at a time and written as
 * they come (report-format.ts), so a long window needs no more memory than a page.
 */
import { Option, type Command } from 'commander';
import type { ControlService, ReportQuery } from '../control/control-service.js';
import type { ReportRow } from '../control/report.js';
import { AppError } from '../errors/app-error.js';
import { addClientOptions, type ClientOptions } from './agent-client.js';
import { timeOption, withControl } from './control-session.js';
import {
  REPORT_FORMATS,
  ReportTally,
  csvHeader,
  csvLine,
  jsonRow,
  tableHeader,
  tableLine,
  type ReportFormat,
} from './report-format.js';

/** Rows per request (the API's largest page). */
const PAGE = 1000;

interface ReportOptions extends ClientOptions {
  since: string;
  until?: string;
  job?: string;
  format: ReportFormat;
}

/** Every page of the report, in order. */
async function* pages(control: ControlService, query: ReportQuery): AsyncGenerator<ReportRow[]> {
  let cursor: string | undefined;
  do {
    const page = await control.report(cursor === undefined ? query : { ...query, cursor });
    yield page.items;
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
}

/** Writes the report in `format`, a page at a time. */
async function writeReport(
  control: ControlService,
  query: ReportQuery,
  format: ReportFormat,
  out: NodeJS.WritableStream,
): Promise<void> {
  const tally = new ReportTally();
  if (format === 'csv') out.write(csvHeader());
  if (format === 'table') out.write(tableHeader());
  for await (const rows of pages(control, query)) {
    for (const row of rows) {
      tally.add(row);
      if (format === 'csv') out.write(csvLine(row));
      else if (format === 'table') out.write(tableLine(row));
      else out.write(`${JSON.stringify(jsonRow(row))}\n`);
    }
  }
  if (format === 'table') out.write(tally.summary(query.since, query.until));
}

/** The window and filter the options give. */
export function reportQuery(
  opts: Pick<ReportOptions, 'since' | 'until' | 'job'>,
  now: number,
): ReportQuery {
  const since = timeOption('since', opts.since, now);
  const until = opts.until === undefined ? now : timeOption('until', opts.until, now);
  if (since >= until)
    throw new AppError(
      'ERR_USAGE',
      `the window is empty: --since ${new Date(since).toISOString()} is not before --until ${new Date(until).toISOString()}`,
      { hint: 'give a --since earlier than --until', details: { field: 'until' } },
    );
  return { since, until, limit: PAGE, ...(opts.job === undefined ? {} : { job: opts.job }) };
}

export function registerReport(program: Command): void {
  addClientOptions(
    program
      .command('report')
      .description(
        'every file uploaded, skipped, parked or failed in a window: job, path, key, version, size, ETag, sha256, times, speed, reason',
      ),
  )
    .option(
      '--since <when>',
      'from then: a duration back from now (24h, 7d) or a time (2026-12-06, 2026-12-06T09:00:00Z)',
      '24h',
    )
    .option('--until <when>', 'to then (not included), as --since; default now')
    .option('--job <name>', 'only the files of this job')
    .addOption(
      new Option('--format <format>', 'table (default), csv (RFC 4180) or json (one object a line)')
        .choices(REPORT_FORMATS)
        .default('table'),
    )
    .action(async (opts: ReportOptions) => {
      process.exitCode = await withControl(opts, async (control) => {
        const query = reportQuery(opts, Date.now());
        const format = opts.json === true ? 'json' : opts.format;
        await writeReport(control, query, format, process.stdout);
        return undefined;
      });
    });
}
