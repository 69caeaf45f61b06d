/**
 * Token auth of the API: with a token (the default: cli/api-token.ts), every /api/ route needs it,
 * presented as `Authorization: Bearer TOKEN`, or as the dashboard's session cookie (set by its
 * one-time link: dashboard-login.ts), or, on the live stream only, as `?token=` (EventSource cannot
 * send headers). /metrics needs it too when api.metricsAuth is token. /healthz, /readyz, the
 * dashboard's static files and its login link stay open: they carry no data.
 *
 * Whatever is presented is compared once, in constant time: both sides are hashed to 32 bytes and
 * compared with crypto.timingSafeEqual, so neither the content nor the length of a wrong token
 * changes the work done.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Where the query-string token is accepted. */
export const STREAM_PATH = '/api/v1/stream';
/** Prometheus' scrape path. */
export const METRICS_PATH = '/metrics';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison of a presented token with the configured one. */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * The value of the dashboard's session cookie for `token`: derived from it (an HMAC), so that it
 * survives restarts, changes with the token, and does not reveal the token itself.
 */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('s3ferry dashboard session v1').digest('base64url');
}

/**
 * The session cookie's name: one per port, since browsers share cookies between the ports of a
 * host (two agents on one machine must not overwrite each other's).
 */
export function sessionCookieName(req: FastifyRequest): string {
  return `s3ferry_session_${String(req.socket.localPort ?? 0)}`;
}

/** The value of cookie `name` in `req`, if sent. */
export function cookieValue(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** What `req` presents, and what it must equal: one comparison decides. */
function presented(req: FastifyRequest, token: string): { given: string; expected: string } {
  const header = req.headers.authorization;
  if (header !== undefined) {
    return { given: header.startsWith('Bearer ') ? header.slice(7) : '', expected: token };
  }
  const cookie = cookieValue(req, sessionCookieName(req));
  if (cookie !== undefined) return { given: cookie, expected: sessionValue(token) };
  if (req.routeOptions.url === STREAM_PATH) {
    const query = (req.query as Record<string, unknown> | undefined)?.token;
    if (typeof query === 'string') return { given: query, expected: token };
  }
  return { given: '', expected: token };
}

/** Options of {@link installAuth}. */
export interface AuthOptions {
  /** /metrics needs the token too (api.metricsAuth: token). */
  readonly metrics?: boolean;
}

/** Adds the token check to `app` (nothing when `token` is undefined: api.auth none). */
export function installAuth(
  app: FastifyInstance,
  token: string | undefined,
  options: AuthOptions = {},
): void {
  if (token === undefined) return;
  app.addHook('onRequest', async (req, reply) => {
    // The matched route, not the raw URL: an encoded or odd spelling of a path cannot slip by.
    const route = req.routeOptions.url;
    const guarded =
      route?.startsWith('/api/') === true || (options.metrics === true && route === METRICS_PATH);
    if (!guarded) return;
    const { given, expected } = presented(req, token);
    if (tokenMatches(given, expected)) return;
    return reply.code(401).send({
      error: {
        code: 'ERR_UNAUTHORIZED',
        message: 'the API token is required',
        hint: 'the CLI of the agent\u2019s user finds it by itself; other clients send Authorization: Bearer TOKEN (api.token, or the file api.tokenFile names); the dashboard opens with the link `s3ferry dashboard` prints',
      },
    });
  });
}
