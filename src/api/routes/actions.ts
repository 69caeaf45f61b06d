/**
 * Routes that act: /api/v1/pause, /resume, /retry, /link, /config/reload, and the backfill picker's
 * /api/v1/browse and /api/v1/backfill.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AgentControl } from '../../control/agent-control.js';
import { errorResponses, errorSchema } from '../schemas/common.js';
import { fileState, statusSchema } from '../schemas/records.js';
import { backfillBody, browseQuery, jobBody, linkQuery, retryBody } from '../schemas/requests.js';

const browseAnswer = z.object({
  root: z.string().describe('the source directory listed from'),
  path: z.string().describe("the listed directory relative to root ('' for root)"),
  entries: z.array(
    z.object({
      name: z.string(),
      type: z.enum(['file', 'dir']),
      size: z.number(),
      mtimeMs: z.number(),
      state: fileState.optional().describe('the journal state of the file, when known'),
    }),
  ),
  total: z.number().int().describe('entries in the whole directory'),
});

const backfillAnswer = z.object({
  queued: z.array(z.object({ path: z.string(), fileId: z.number().int() })),
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
});

const linkAnswer = z.object({
  url: z.string(),
  bucket: z.string(),
  key: z.string(),
  kind: z.enum(['presigned', 'public']),
  expiresAt: z.number().nullable().describe('ms since the epoch; null for a public URL'),
  versionId: z
    .string()
    .nullable()
    .describe(
      'the version the presigned link serves (a versioned bucket: for a path, the version its upload stored); null: the current one',
    ),
});

/** The answer of pause and resume: the status, and a note when files will still not move. */
const pauseAnswer = statusSchema.extend({
  note: z
    .string()
    .optional()
    .describe('set when files still do not move: a job resumed while all processing is paused'),
});

/** The action routes. */
export function actionRoutes(control: AgentControl): FastifyPluginAsyncZod {
  return (app) => {
    for (const action of ['pause', 'resume'] as const) {
      app.post(
        `/api/v1/${action}`,
        {
          schema: {
            summary: `${action} one job, or all processing (files keep being queued)`,
            body: jobBody,
            response: { 200: pauseAnswer, ...errorResponses },
          },
        },
        async (req) => {
          const done = await control[action](req.body.job);
          const status = await control.status();
          return done.note === undefined ? status : { ...status, note: done.note };
        },
      );
    }
    app.post(
      '/api/v1/retry',
      {
        schema: {
          summary:
            'release one parked or waiting file, those of a code or a job, or all of them, for another try',
          body: retryBody,
          response: {
            200: z.object({ released: z.number().int() }),
            ...errorResponses,
            404: errorSchema.describe('no file with that id (ERR_FILE_UNKNOWN)'),
            409: errorSchema.describe('the file is not parked or waiting (ERR_FILE_NOT_RETRYABLE)'),
          },
        },
      },
      (req) => {
        const { fileId, code, job } = req.body;
        if (code === undefined && job === undefined) return control.retry(fileId);
        return control.retryGroup({
          ...(code === undefined ? {} : { code }),
          ...(job === undefined ? {} : { job }),
        });
      },
    );
    app.get(
      '/api/v1/link',
      {
        schema: {
          summary: 'a download link: presigned GET, or the public URL where configured',
          querystring: linkQuery,
          response: { 200: linkAnswer, ...errorResponses, 404: errorSchema },
        },
      },
      (req) => {
        const { path, key, job, expires, versionId } = req.query;
        return control.link({
          ...(path === undefined ? {} : { path }),
          ...(key === undefined ? {} : { key }),
          ...(job === undefined ? {} : { job }),
          ...(expires === undefined ? {} : { expiresMs: expires }),
          ...(versionId === undefined ? {} : { versionId }),
        });
      },
    );
    app.post(
      '/api/v1/config/reload',
      {
        schema: {
          summary: 'read the configuration file again and apply it (as SIGHUP)',
          response: { 200: z.object({ ok: z.literal(true) }), ...errorResponses },
        },
      },
      async () => {
        await control.reload();
        return { ok: true as const };
      },
    );
    app.get(
      '/api/v1/browse',
      {
        schema: {
          summary: "a directory under one of a job's sources (never outside them)",
          querystring: browseQuery,
          response: { 200: browseAnswer, ...errorResponses, 404: errorSchema },
        },
      },
      (req) => {
        const { job, root, path, limit, offset } = req.query;
        return control.browse(job, {
          ...(root === undefined ? {} : { root }),
          path,
          limit,
          offset,
        });
      },
    );
    app.post(
      '/api/v1/backfill',
      {
        schema: {
          summary: 'queue existing files now (the job’s rules apply; no settle wait)',
          body: backfillBody,
          response: { 200: backfillAnswer, ...errorResponses },
        },
      },
      (req) => {
        const { job, paths, glob } = req.body;
        return control.backfill(job, {
          ...(paths === undefined ? {} : { paths }),
          ...(glob === undefined ? {} : { glob }),
        });
      },
    );
    return Promise.resolve();
  };
}
