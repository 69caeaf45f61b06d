/**
 * The agent's HTTP API under /api/v1 (JSON), plus /healthz and /readyz. A factory: it never
 * listens (the caller does), so tests can listen on port 0. When a token is configured, every
 * /api/v1 route needs `Authorization: Bearer TOKEN` (compared in constant time); health checks
 * never do. No answer ever carries a secret.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Agent } from '../agent/agent.js';
import { AppError, toAppError } from '../errors/app-error.js';
import { codeInfo } from '../errors/codes.js';
import type { FileState, JournalStore } from '../journal/journal-store.js';

export interface ApiDeps {
  readonly agent: Agent;
  readonly journal: JournalStore;
  readonly token?: string;
  /** Re-reads the configuration file and applies it (SIGHUP does the same). */
  readonly reload: () => Promise<void>;
}

const PENDING: FileState[] = [
  'discovered',
  'settling',
  'queued',
  'uploading',
  'verifying',
  'waiting',
];

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison of a presented token with the configured one. */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

function int(value: unknown, fallback: number, max: number): number {
  const n = typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return fallback;
  return Math.max(0, Math.min(max, Math.floor(n)));
}

export function buildApp(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  app.setErrorHandler((raw, _req, reply) => {
    const err = toAppError(raw);
    const status = (raw as { statusCode?: number }).statusCode ?? codeInfo(err.code).httpStatus;
    void reply.code(status).send({ error: err.toJSON() });
  });
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (deps.token === undefined || !req.url.startsWith('/api/')) return;
    const header = req.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!tokenMatches(presented, deps.token)) {
      await reply.code(401).send({
        error: {
          code: 'ERR_UNAUTHORIZED',
          message: 'a valid bearer token is required',
          hint: 'send Authorization: Bearer TOKEN (api.token in s3ferry.yaml)',
        },
      });
    }
  });

  app.get('/healthz', () => ({ ok: true }));
  app.get('/readyz', async () => {
    const s = await deps.agent.status();
    return {
      ready: true,
      unhealthyDestinations: s.jobs.filter((j) => !j.health.healthy).map((j) => j.destination),
    };
  });
  app.get('/api/v1/status', () => deps.agent.status());
  app.get('/api/v1/queue', async (req) => {
    const q = req.query as Record<string, unknown>;
    const limit = int(q.limit, 100, 10_000);
    const offset = int(q.offset, 0, Number.MAX_SAFE_INTEGER);
    return {
      pending: await deps.journal.listFiles({ states: PENDING, limit, offset }),
      parked: await deps.journal.listFiles({ states: ['parked'], limit, offset }),
    };
  });
  app.get('/api/v1/history', async (req) => {
    const q = req.query as Record<string, unknown>;
    return {
      items: await deps.journal.listHistory({
        limit: int(q.limit, 50, 1000),
        offset: int(q.offset, 0, Number.MAX_SAFE_INTEGER),
      }),
    };
  });
  app.get('/api/v1/events', async (req) => {
    const q = req.query as Record<string, unknown>;
    const before = int(q.before, 0, Number.MAX_SAFE_INTEGER);
    return {
      items: await deps.journal.listEvents({
        limit: int(q.limit, 100, 1000),
        ...(before > 0 ? { beforeId: before } : {}),
      }),
    };
  });
  app.post('/api/v1/retry', async (req) => {
    const body = (req.body ?? {}) as { fileId?: unknown };
    if (body.fileId !== undefined && typeof body.fileId !== 'number')
      throw badRequest('fileId must be a number');
    return { released: await deps.agent.retry(body.fileId) };
  });
  for (const action of ['pause', 'resume'] as const) {
    app.post(`/api/v1/${action}`, async (req) => {
      const body = (req.body ?? {}) as { job?: unknown };
      if (body.job !== undefined && typeof body.job !== 'string')
        throw badRequest('job must be a string');
      try {
        await deps.agent[action](body.job);
      } catch (err) {
        throw badRequest(err instanceof Error ? err.message : String(err));
      }
      return { ok: true, ...(await deps.agent.status()) };
    });
  }
  app.get('/api/v1/link', async (req) => {
    const q = req.query as Record<string, unknown>;
    const what =
      typeof q.path === 'string' ? q.path : typeof q.key === 'string' ? q.key : undefined;
    if (what === undefined) throw badRequest('give path=FILE or key=KEY');
    const expires = typeof q.expires === 'string' ? Number(q.expires) : undefined;
    return deps.agent.link(what, typeof q.job === 'string' ? q.job : undefined, expires);
  });
  app.post('/api/v1/config/reload', async () => {
    await deps.reload();
    return { ok: true };
  });
  return app;
}

function badRequest(message: string): AppError {
  const err = new AppError('ERR_USAGE', message);
  return Object.assign(err, { statusCode: 400 });
}
