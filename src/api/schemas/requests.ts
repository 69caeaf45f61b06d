/**
 * Schemas of what the API accepts: query strings and bodies. Objects are strict: an unknown
 * parameter is refused with its name as `field` (a typo never silently widens a query). Empty
 * query parameters (`?job=`) count as absent (build-app.ts drops them before validation).
 */
import { z } from 'zod';
import { checkGlob } from '../../domain/glob.js';
import { QUEUE_SECTIONS } from '../../control/control-service.js';
import { HISTORY_RESULTS, HISTORY_SORTS } from '../../journal/journal-store.js';
import { CURSOR_PATTERN } from '../../control/report.js';
import { DEFAULT_LIMIT, MAX_LIMIT, intParam, paging, textParam } from './common.js';

/** A time filter: ms since the epoch. */
const sinceParam = (what: string) =>
  intParam(0, Number.MAX_SAFE_INTEGER, `only ${what} at or after this time, ms since the epoch`);
/** A key filter: a substring of the object key. */
const keyParam = (what: string) =>
  textParam(`only ${what} whose object key contains this text (case as given)`, 1024);

const jobName = (what: string) => textParam(what, 200);

export const queueQuery = z.strictObject({
  state: z
    .enum(QUEUE_SECTIONS)
    .default('pending')
    .describe(
      'which files (default pending: settling, queued, waiting, uploading, verifying); skipped: not sent on purpose, with the reason',
    ),
  job: jobName('only the files of this job').optional(),
  ...paging,
});

export const historyQuery = z.strictObject({
  job: jobName('only the uploads of this job').optional(),
  result: z.enum(HISTORY_RESULTS).optional().describe('only uploads that ended so'),
  q: textParam('text the source path or the key contains (ignoring ASCII case)', 1024).optional(),
  since: sinceParam('uploads that finished').optional(),
  until: intParam(
    0,
    Number.MAX_SAFE_INTEGER,
    'only uploads that finished before this time, ms since the epoch',
  ).optional(),
  key: keyParam('uploads').optional(),
  sort: z.enum(HISTORY_SORTS).default('finishedAt').describe('sort key (default finishedAt)'),
  order: z
    .enum(['desc', 'asc'])
    .default('desc')
    .describe('default desc: newest, largest, fastest first'),
  ...paging,
});

export const eventsQuery = z.strictObject({
  limit: paging.limit,
  before: intParam(1, Number.MAX_SAFE_INTEGER, 'only events older than this event id').optional(),
  type: textParam('only events of this type, e.g. file.done', 200).optional(),
  job: jobName('only events about this job').optional(),
  since: sinceParam('events').optional(),
  key: keyParam('events').optional(),
});

export const reportQuery = z
  .strictObject({
    since: intParam(0, Number.MAX_SAFE_INTEGER, 'the window from this time, ms since the epoch'),
    until: intParam(
      0,
      Number.MAX_SAFE_INTEGER,
      'the window to this time (exclusive), ms since the epoch',
    ),
    job: jobName('only the files of this job').optional(),
    limit: intParam(
      1,
      MAX_LIMIT,
      `rows to return (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})`,
    ).default(DEFAULT_LIMIT),
    cursor: z
      .string()
      .regex(CURSOR_PATTERN, 'expected the next of the previous page')
      .optional()
      .describe("where the page starts: the previous page's next (the first page when absent)"),
  })
  .refine((q) => q.since < q.until, { message: 'until must be after since', path: ['until'] });

export const browseQuery = z.strictObject({
  job: jobName('the job whose sources to browse'),
  root: textParam("one of the job's sources (default its first)", 4096).optional(),
  path: z
    .string()
    .max(4096)
    .default('')
    .describe('directory relative to root; no .. segments (default the root itself)'),
  limit: intParam(0, 10_000, 'entries to return (default 1000, at most 10000)').default(1000),
  offset: paging.offset,
});

export const backfillBody = z
  .strictObject({
    job: jobName('the job that takes the files'),
    paths: z
      .array(z.string().min(1).max(4096))
      .max(10_000)
      .optional()
      .describe("files or directories, relative to the job's sources or absolute"),
    glob: z
      .string()
      .min(1)
      .max(1024)
      .refine((g) => checkGlob(g) === undefined, { message: 'not a valid glob' })
      .optional()
      .describe('matched against paths relative to each source; ** spans directories'),
  })
  .refine((b) => (b.paths?.length ?? 0) > 0 || b.glob !== undefined, {
    message: 'give paths or a glob',
    path: ['paths'],
  });

export const jobBody = z.strictObject({
  job: jobName('one job; all processing when absent').optional(),
});

export const retryBody = z
  .strictObject({
    fileId: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('one file (see /queue); every parked and waiting file when absent'),
    code: z
      .string()
      .max(200)
      .optional()
      .describe(
        "the parked and waiting files whose reason has this code (a group of /failures; '' for none)",
      ),
    job: jobName('only the files of this job (with code, or alone)').optional(),
  })
  .refine((b) => b.fileId === undefined || (b.code === undefined && b.job === undefined), {
    message: 'give fileId alone, or code and job',
    path: ['fileId'],
  });

/** S3 presigned URLs live at most 7 days. */
export const MAX_LINK_EXPIRY_MS = 7 * 24 * 3_600_000;

export const linkQuery = z
  .strictObject({
    path: textParam('an uploaded file (absolute path), looked up in the history', 4096).optional(),
    key: textParam('an object key of the job’s destination', 1024).optional(),
    job: jobName('the job whose destination holds key').optional(),
    expires: intParam(1000, MAX_LINK_EXPIRY_MS, 'presigned link lifetime, ms').optional(),
    versionId: textParam(
      'with key: the version to link to, on a versioned bucket (default the current one; a path links to the version its upload stored)',
      1024,
    ).optional(),
  })
  .refine((q) => (q.path === undefined) !== (q.key === undefined), {
    message: 'give exactly one of path and key',
    path: ['path'],
  })
  .refine((q) => q.versionId === undefined || q.key !== undefined, {
    message: 'versionId goes with key (a path links to the version its upload stored)',
    path: ['versionId'],
  })
  .refine((q) => q.path === undefined || q.path.startsWith('/'), {
    message: 'path must be absolute',
    path: ['path'],
  });

export const streamQuery = z.strictObject({
  token: z
    .string()
    .optional()
    .describe('the API token, for clients that cannot send headers (EventSource)'),
});
