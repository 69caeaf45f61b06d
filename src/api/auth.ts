/**
 * Token auth of the API: with a token configured, every /api/v1 route needs
 * `Authorization: Bearer TOKEN`; the live stream also takes `?token=` (EventSource cannot send
 * headers). Tokens are compared in constant time. /healthz, /readyz and /metrics stay open (health
 * checks and scrapers; they carry no secret), and so does the dashboard's static page.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Where the query-string token is accepted. */
export const STREAM_PATH = '/api/v1/stream';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison of a presented token with the configured one. */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

function presented(req: FastifyRequest): string {
  const header = req.headers.authorization ?? '';
  if (header.startsWith('Bearer ')) return header.slice(7);
  if (req.routeOptions.url === STREAM_PATH) {
    const token = (req.query as Record<string, unknown> | undefined)?.token;
    if (typeof token === 'string') return token;
  }
  return '';
}

/** Adds the token check to `app` (nothing when `token` is undefined). */
export function installAuth(app: FastifyInstance, token: string | undefined): void {
  if (token === undefined) return;
  app.addHook('onRequest', async (req, reply) => {
    // The matched route, not the raw URL: an encoded or odd spelling of a path cannot slip by.
    if (req.routeOptions.url?.startsWith('/api/') !== true) return;
    if (tokenMatches(presented(req), token)) return;
    return reply.code(401).send({
      error: {
        code: 'ERR_UNAUTHORIZED',
        message: 'a valid bearer token is required',
        hint: 'send Authorization: Bearer TOKEN (api.token in s3ferry.yaml)',
      },
    });
  });
}
