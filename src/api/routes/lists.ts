/** Routes: /api/v1/queue, /api/v1/history, /api/v1/events, /api/v1/transfers. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { PENDING_STATES, type FileState } from '../../journal/journal-store.js';
import type { ApiDeps } from '../api-deps.js';
import { errorResponses, pageOf } from '../schemas/common.js';
import {
  eventSchema,
  historySchema,
  queueItemSchema,
  transfersSchema,
} from '../schemas/records.js';
import { eventsQuery, historyQuery, queueQuery, QUEUE_STATES } from '../schemas/requests.js';

/** The journal states behind each `state` of /queue: pending is the one set of file-state.ts. */
const QUEUE_FILE_STATES: Record<(typeof QUEUE_STATES)[number], readonly FileState[]> = {
  pending: PENDING_STATES,
  waiting: ['waiting'],
  parked: ['parked'],
};

/** The list routes. */
export function listRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return (app) => {
    app.get(
      '/api/v1/queue',
      {
        schema: {
          summary: 'files not done yet: pending, waiting (with cause), parked (with cause and fix)',
          querystring: queueQuery,
          response: { 200: pageOf(queueItemSchema), ...errorResponses },
        },
      },
      async (req) => {
        const { state, job, limit, offset } = req.query;
        const page = await deps.journal.pageFiles({
          states: QUEUE_FILE_STATES[state],
          ...(job === undefined ? {} : { job }),
          limit,
          offset,
        });
        return page;
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
      async (req) => {
        const { job, result, q, sort, order, limit, offset } = req.query;
        return deps.journal.searchHistory({
          limit,
          offset,
          sort,
          order,
          ...(job === undefined ? {} : { job }),
          ...(result === undefined ? {} : { result }),
          ...(q === undefined ? {} : { q }),
        });
      },
    );
    app.get(
      '/api/v1/events',
      {
        schema: {
          summary: 'recent events, newest first; page backwards with before=ID',
          querystring: eventsQuery,
          response: { 200: pageOf(eventSchema), ...errorResponses },
        },
      },
      async (req) => {
        const { limit, before, type } = req.query;
        const filter = type === undefined ? {} : { type };
        const items = await deps.journal.listEvents({
          limit,
          ...filter,
          ...(before === undefined ? {} : { beforeId: before }),
        });
        return { items, total: await deps.journal.countEvents(filter) };
      },
    );
    app.get(
      '/api/v1/transfers',
      {
        schema: {
          summary: 'uploads running now: bytes done, speed, time left',
          response: { 200: transfersSchema, ...errorResponses },
        },
      },
      () => ({ items: deps.transfers.list() }),
    );
    return Promise.resolve();
  };
}
