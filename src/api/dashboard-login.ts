/**
 * How a browser gets into the dashboard without anyone pasting the token: a one-time link.
 * `s3ferry run` prints one when the API starts, `s3ferry dashboard` asks the agent for another
 * (POST /api/v1/dashboard/link, which needs the token like every /api/ route). Opening it
 * (`GET /login?code=…`) spends the code and sets the session cookie (HttpOnly, so no script reads
 * it; SameSite=Strict, so no other site's page sends it), then redirects to the dashboard.
 *
 * A code is good once and for {@link LOGIN_TTL_MS}: a link left in a terminal's scrollback or a
 * log is worthless once used or after a quarter of an hour. Codes live in memory only (a restart
 * voids them; the cookie, derived from the token, survives it). Only their hashes are kept, so a
 * lookup's timing says nothing about a code.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import { sessionCookieName, sessionValue } from './auth.js';
import { errorResponses } from './schemas/common.js';

/** Where a one-time link points. */
export const LOGIN_PATH = '/login';
/** How long a one-time code stays good, ms. */
export const LOGIN_TTL_MS = 15 * 60_000;
/** At most this many codes wait at once (the oldest go first). */
const MAX_CODES = 32;

const hash = (code: string): string => createHash('sha256').update(code).digest('hex');

/** The one-time codes of dashboard links. */
export class LoginCodes {
  /** hash of a code -> when it expires (ms); insertion order is age order. */
  readonly #codes = new Map<string, number>();

  constructor(private readonly deps: { readonly clock: Clock }) {}

  /** A new code, and the path of its link: `/login?code=…`. */
  issue(): { path: string; expiresAt: number } {
    const code = randomBytes(32).toString('base64url');
    const expiresAt = this.deps.clock.now() + LOGIN_TTL_MS;
    this.#codes.set(hash(code), expiresAt);
    for (const oldest of this.#codes.keys()) {
      if (this.#codes.size <= MAX_CODES) break;
      this.#codes.delete(oldest);
    }
    return { path: `${LOGIN_PATH}?code=${code}`, expiresAt };
  }

  /** True when `code` was issued, has not expired and was not used; it is used up either way. */
  consume(code: string): boolean {
    const key = hash(code);
    const expiresAt = this.#codes.get(key);
    this.#codes.delete(key);
    return expiresAt !== undefined && this.deps.clock.now() <= expiresAt;
  }
}

const SPENT_PAGE = `<!doctype html>
<meta charset="utf-8"><title>s3ferry: link used or expired</title>
<p>This dashboard link was used already or has expired (links are good once, for 15 minutes).</p>
<p>Run <code>s3ferry dashboard</code> as the agent's user for a new one.</p>
`;

/**
 * Registers `GET /login` (spends a code, sets the cookie, redirects to `/`) and
 * `POST /api/v1/dashboard/link` (a new link). With no token (api.auth none) the link is `/`.
 */
export function dashboardLoginRoutes(deps: {
  readonly token: string | undefined;
  readonly logins: LoginCodes;
}): FastifyPluginAsyncZod {
  return (app) => {
    registerLogin(app, deps);
    app.post(
      '/api/v1/dashboard/link',
      {
        schema: {
          summary:
            'a one-time link that opens the dashboard in a browser (what `s3ferry dashboard` prints)',
          response: {
            200: z.object({
              path: z.string().describe('append to the agent\u2019s URL: /login?code=…'),
              expiresAt: z.number().nullable().describe('ms since the epoch; null without a token'),
            }),
            ...errorResponses,
          },
        },
      },
      () => (deps.token === undefined ? { path: '/', expiresAt: null } : deps.logins.issue()),
    );
    return Promise.resolve();
  };
}

function registerLogin(
  app: FastifyInstance,
  deps: { readonly token: string | undefined; readonly logins: LoginCodes },
): void {
  app.get(LOGIN_PATH, { schema: { hide: true } }, async (req, reply) => {
    void reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    const { token } = deps;
    if (token === undefined) return reply.redirect('/', 303);
    const code = (req.query as Record<string, unknown> | undefined)?.code;
    if (typeof code !== 'string' || !deps.logins.consume(code)) {
      return reply
        .code(401)
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'")
        .send(SPENT_PAGE);
    }
    const cookie = `${sessionCookieName(req)}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict`;
    return reply.header('set-cookie', cookie).redirect('/', 303);
  });
}
