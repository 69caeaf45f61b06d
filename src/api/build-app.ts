/**
 * The agent's HTTP API under /api/v1 (JSON), plus /healthz, /readyz, /metrics, the OpenAPI
 * description at /api/v1/openapi.json (docs/api.md is the contract) and the dashboard at /
 * (dashboard-route.ts). A factory: it never listens (the caller does), so tests can listen on
 * port 0.
 *
 * Every route's parameters and answers are zod schemas (src/api/schemas/): they validate requests
 * (400 with `field` on failure), encode answers (an undeclared field never leaves), and generate
 * the OpenAPI description. Before any route: the Host and Origin checks and the JSON-only rule for
 * state changes (request-guards.ts), the token (auth.ts; the dashboard's one-time links:
 * dashboard-login.ts). No answer ever carries a secret.
 */
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { AgentControl } from '../control/agent-control.js';
import type { ApiDeps } from './api-deps.js';
import { installAuth } from './auth.js';
import { dashboardLoginRoutes, LoginCodes } from './dashboard-login.js';
import { registerDashboard } from './dashboard-route.js';
import { installErrorHandler } from './error-handler.js';
import { installHostGuard, installJsonOnly } from './request-guards.js';
import { actionRoutes } from './routes/actions.js';
import { bandwidthRoutes } from './routes/bandwidth.js';
import { listRoutes } from './routes/lists.js';
import { metricsRoutes } from './routes/metrics.js';
import { statsRoutes } from './routes/stats.js';
import { statusRoutes } from './routes/status.js';
import { streamRoutes } from './routes/stream.js';

export type { ApiDeps, StreamTimings } from './api-deps.js';
export { tokenMatches } from './auth.js';
export { LoginCodes } from './dashboard-login.js';

/** Where the OpenAPI description is served. */
export const OPENAPI_PATH = '/api/v1/openapi.json';

/** JSON bodies; an empty body is `{}` (`POST /api/v1/pause` with nothing to say). */
function acceptEmptyJson(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, {});
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error('the body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });
}

/** Builds the API on `deps`; see the module comment. */
export function buildApp(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  installHostGuard(app, { host: deps.host ?? '127.0.0.1', allowedHosts: deps.allowedHosts ?? [] });
  installAuth(app, deps.token, { metrics: deps.metricsAuth === true });
  installJsonOnly(app);
  acceptEmptyJson(app);
  // `?job=` (a form's empty field) means "no filter", not "the job named ''"; a POST or PUT
  // without a body (but with its JSON content type) is one with an empty object.
  app.addHook('preValidation', (req, _reply, done) => {
    if (
      (req.method === 'POST' || req.method === 'PUT') &&
      (req.body === undefined || req.body === null)
    )
      req.body = {};
    const q = req.query as Record<string, unknown> | undefined;
    if (q !== undefined && typeof q === 'object')
      for (const [k, v] of Object.entries(q)) if (v === '') Reflect.deleteProperty(q, k);
    done();
  });
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 's3ferry agent API',
        description:
          'Jobs, live transfers, queue, history, events and actions of a running s3ferry agent.',
        version: '1',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      ...(deps.token === undefined ? {} : { security: [{ bearer: [] }] }),
    },
    transform: jsonSchemaTransform,
  });
  const control = new AgentControl({
    agent: deps.agent,
    journal: deps.journal,
    transfers: deps.transfers,
    clock: deps.clock,
    reload: deps.reload,
    ...(deps.webhook === undefined ? {} : { webhook: deps.webhook }),
  });
  for (const routes of [statusRoutes, statsRoutes, listRoutes, actionRoutes, bandwidthRoutes])
    void app.register(routes(control));
  for (const routes of [streamRoutes, metricsRoutes]) void app.register(routes(deps));
  const logins = deps.logins ?? new LoginCodes({ clock: deps.clock });
  void app.register(dashboardLoginRoutes({ token: deps.token, logins }));
  void app.register((child, _opts, done) => {
    child.get(OPENAPI_PATH, { schema: { hide: true } }, () => app.swagger());
    registerDashboard(child);
    done();
  });
  return app;
}
