/** Route: /metrics, the agent's Prometheus metrics (text exposition format). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../api-deps.js';

/** The metrics route. */
export function metricsRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return (app) => {
    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus metrics (text format): uploads, errors, files per state, health',
          tags: ['health'],
          produces: ['text/plain'],
        },
      },
      async (_req, reply) => {
        const text = await deps.metrics.metrics();
        return reply.type(deps.metrics.contentType).send(text);
      },
    );
    return Promise.resolve();
  };
}
