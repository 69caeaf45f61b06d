/** Routes: /healthz, /readyz, /api/v1/status, /api/v1/jobs, /api/v1/destinations. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DestinationRuntime } from '../../agent/destination-runtime.js';
import { redactUrl } from '../../config/redact.js';
import { FILE_STATES, type FileState } from '../../journal/journal-store.js';
import type { ApiDeps } from '../api-deps.js';
import { errorResponses } from '../schemas/common.js';
import {
  destinationSchema,
  jobSchema,
  statusSchema,
  agentsSchema,
  type destinationRefSchema,
} from '../schemas/records.js';

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
export function statusRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
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
          response: {
            200: z.object({ ready: z.boolean(), unhealthyDestinations: z.array(z.string()) }),
          },
        },
      },
      () => ({
        ready: true,
        unhealthyDestinations: deps.agent
          .destinations()
          .filter((d) => !d.health.healthy)
          .map((d) => d.name),
      }),
    );
    app.get(
      '/api/v1/status',
      {
        schema: {
          summary: 'jobs, destination health, file counts',
          response: { 200: statusSchema, ...errorResponses },
        },
      },
      async () => {
        const webhook = deps.webhook?.();
        return { ...(await deps.agent.status()), ...(webhook === undefined ? {} : { webhook }) };
      },
    );
    app.get(
      '/api/v1/jobs',
      {
        schema: {
          summary: 'the jobs with their sources, destination, health and file counts',
          response: { 200: z.object({ items: z.array(jobSchema) }), ...errorResponses },
        },
      },
      async () => {
        const counts = await deps.journal.countFilesByJob();
        const pauses = await deps.agent.pauses();
        return {
          items: deps.agent.jobs().map((j) => ({
            name: j.name,
            paused: pauses.jobs.includes(j.name),
            mode: j.config.mode,
            sources: j.config.sources.map((s) => ({ path: s.path, recursive: s.recursive })),
            destination: destinationRef(j.destination),
            health: j.destination.health,
            counts: counts[j.name] ?? NO_FILES,
          })),
        };
      },
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
        const fleet = await deps.agent.fleet();
        const leaseMs = deps.agent.config.lease;
        const now = deps.clock.now();
        return {
          self: fleet.self,
          shared: fleet.shared,
          leaseMs,
          items: fleet.agents.map((a) => ({
            ...a,
            self: a.id === fleet.self,
            alive: now - a.lastHeartbeat <= leaseMs,
          })),
        };
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
        items: deps.agent.destinations().map((d) => ({ ...destinationRef(d), health: d.health })),
      }),
    );
    return Promise.resolve();
  };
}
