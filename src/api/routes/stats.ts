/** Routes: /api/v1/stats (throughput, queue left, time left) and /api/v1/failures (by code). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AgentControl } from '../../control/agent-control.js';
import { errorResponses, textParam } from '../schemas/common.js';
import { failuresSchema, statsSchema } from '../schemas/stats.js';

const failuresQuery = z.strictObject({
  job: textParam('only the files of this job', 200).optional(),
});

/** The stats and failures routes. */
export function statsRoutes(control: AgentControl): FastifyPluginAsyncZod {
  return (app) => {
    app.get(
      '/api/v1/stats',
      {
        schema: {
          summary:
            "each job's throughput over the last minute, the files and bytes left, and the time left",
          response: { 200: statsSchema, ...errorResponses },
        },
      },
      () => control.stats(),
    );
    app.get(
      '/api/v1/failures',
      {
        schema: {
          summary: 'parked and waiting files grouped by the code of their reason',
          querystring: failuresQuery,
          response: { 200: failuresSchema, ...errorResponses },
        },
      },
      async (req) => ({ items: await control.failures(req.query.job) }),
    );
    return Promise.resolve();
  };
}
