/** Routes: GET and PUT /api/v1/bwlimit, the bandwidth limits and their overrides (docs/bandwidth.md). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AgentControl } from '../../control/agent-control.js';
import { bandwidthSchema, bwlimitBody } from '../schemas/bandwidth.js';
import { errorResponses } from '../schemas/common.js';

/** The bandwidth routes. */
export function bandwidthRoutes(control: AgentControl): FastifyPluginAsyncZod {
  return (app) => {
    app.get(
      '/api/v1/bwlimit',
      {
        schema: {
          summary:
            "the bandwidth limits in effect: the agent's over all destinations, and each destination's",
          response: { 200: bandwidthSchema, ...errorResponses },
        },
      },
      () => control.bwlimit(),
    );
    app.put(
      '/api/v1/bwlimit',
      {
        schema: {
          summary:
            'override a bandwidth limit for a while (for, else until the timetable next changes it), or end the override (reset)',
          body: bwlimitBody,
          response: { 200: bandwidthSchema, ...errorResponses },
        },
      },
      (req) => control.setBwlimit(req.body),
    );
    return Promise.resolve();
  };
}
