/** Routes: /api/v1/queue, /api/v1/history, /api/v1/events, /api/v1/report, /api/v1/transfers. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AgentControl } from '../../control/agent-control.js';
import { errorResponses, pageOf } from '../schemas/common.js';
import {
  eventSchema,
  historySchema,
  queueItemSchema,
  reportSchema,
  transfersSchema,
} from '../schemas/records.js';
import { eventsQuery, historyQuery, queueQuery, reportQuery } from '../schemas/requests.js';

/** Drops the absent (undefined) fields of a query, as the service's optional fields want. */
function defined<T extends object>(query: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

/** The list routes. */
export function listRoutes(control: AgentControl): FastifyPluginAsyncZod {
  return (app) => {
    app.get(
      '/api/v1/queue',
      {
        schema: {
          summary:
            'files not done yet: pending, waiting (with cause), parked (with cause and fix); or skipped (with the reason)',
          querystring: queueQuery,
          response: { 200: pageOf(queueItemSchema), ...errorResponses },
        },
      },
      async (req) => {
        const { state, job, limit, offset } = req.query;
        const view = await control.queue({
          sections: [state],
          ...(job === undefined ? {} : { job }),
          limit,
          offset,
        });
        return view[state] ?? { items: [], total: 0 };
      },
    );
    app.get(
      '/api/v1/history',
      {
        schema: {
          summary: 'finished uploads: filtered, sorted and paged on the server',
          querystring: historyQuery,
          response: { 200: pageOf(historySchema), ...errorResponses },
        },
      },
      (req) => control.history(defined(req.query)),
    );
    app.get(
      '/api/v1/events',
      {
        schema: {
          summary: 'recent events, newest first, filtered; page backwards with before=ID',
          querystring: eventsQuery,
          response: { 200: pageOf(eventSchema), ...errorResponses },
        },
      },
      (req) => {
        const { before, ...rest } = req.query;
        return control.events({
          ...defined(rest),
          ...(before === undefined ? {} : { beforeId: before }),
        });
      },
    );
    app.get(
      '/api/v1/report',
      {
        schema: {
          summary:
            'every file uploaded, skipped, parked or failed in a window, in time order; page with cursor=next',
          querystring: reportQuery,
          response: { 200: reportSchema, ...errorResponses },
        },
      },
      (req) => control.report(defined(req.query)),
    );
    app.get(
      '/api/v1/transfers',
      {
        schema: {
          summary: 'uploads running now: bytes done, speed, time left',
          response: { 200: transfersSchema, ...errorResponses },
        },
      },
      async () => ({ items: await control.transfers() }),
    );
    return Promise.resolve();
  };
}
