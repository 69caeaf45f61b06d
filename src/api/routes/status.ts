/** Routes: /healthz, /readyz, /api/v1/status, /api/v1/jobs, /api/v1/destinations. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DestinationRuntime } from '../../agent/destination-runtime.js';
import { redactUrl } from '../../config/redact.js';
import { FILE_STATES, type FileState } from '../../journal/journal-store.js';
import type { AgentControl } from '../../control/agent-control.js';
import { errorResponses } from '../schemas/common.js';
import {
  destinationSchema,
  jobSchema,
  statusSchema,
  agentsSchema,
  type destinationRefSchema,
} from '../schemas/records.js';

/** /readyz: 503 with the causes while every destination is unhealthy. */
const readySchema = z.object({
  ready: z.boolean().describe('false while every destination is unhealthy'),
  unhealthyDestinations: z.array(z.string()),
  causes: z.array(
    z.object({
      destination: z.string(),
      code: z.string(),
      cause: z.string(),
      hint: z.string(),
    }),
  ),
});

const NO_FILES = Object.fromEntries(Object.values(FILE_STATES).map((s) => [s, 0])) as Record<
  FileState,
  number
>;

/** A destination as the API shows it: never its credentials, never a password in its endpoint. */
export function destinationRef(d: DestinationRuntime): z.output<typeof destinationRefSchema> {
  const { bucket, prefix, endpoint } = d.config;
  return {
    name: d.name,
    bucket,
    prefix,
    ...(endpoint === undefined ? {} : { endpoint: redactUrl(endpoint) }),
  };
}

/** The status, jobs and destinations routes. */
export function statusRoutes(control: AgentControl): FastifyPluginAsyncZod {
  return (app) => {
    app.get(
      '/healthz',
      { schema: { response: { 200: z.object({ ok: z.boolean() }) }, tags: ['health'] } },
      () => ({ ok: true }),
    );
    app.get(
      '/readyz',
      {
        schema: {
          tags: ['health'],
          response: { 200: readySchema, 503: readySchema },
        },
      },
      async (_req, reply) => {
        const r = control.readiness();
        return reply.code(r.ready ? 200 : 503).send(r);
      },
    );
    app.get(
      '/api/v1/status',
      {
        schema: {
          summary: 'jobs (destination health, source problems), file counts',
          response: { 200: statusSchema, ...errorResponses },
        },
      },
      () => control.status(),
    );
    app.get(
      '/api/v1/jobs',
      {
        schema: {
          summary: 'the jobs with their sources, destination, health and file counts',
          response: { 200: z.object({ items: z.array(jobSchema) }), ...errorResponses },
        },
      },
      async () => ({
        items: (await control.jobs()).map((j) => ({
          name: j.name,
          paused: j.paused,
          mode: j.mode,
          sources: j.sources,
          destination: destinationRef(j.destinationRef),
          health: j.health,
          counts: j.counts ?? NO_FILES,
        })),
      }),
    );
    app.get(
      '/api/v1/agents',
      {
        schema: {
          summary: 'the agents sharing the journal, their last heartbeat and the files they hold',
          response: { 200: agentsSchema, ...errorResponses },
        },
      },
      async () => {
        const a = await control.agents();
        return { ...a, self: a.self ?? '' };
      },
    );
    app.get(
      '/api/v1/destinations',
      {
        schema: {
          summary: 'the destinations and their health (cause and fix while unhealthy)',
          response: { 200: z.object({ items: z.array(destinationSchema) }), ...errorResponses },
        },
      },
      () => ({
        items: control.destinations().map((d) => {
          const capabilities = d.capabilities.last;
          return {
            ...destinationRef(d),
            health: d.health,
            ...(capabilities === undefined ? {} : { capabilities }),
          };
        }),
      }),
    );
    return Promise.resolve();
  };
}
