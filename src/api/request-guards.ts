/**
 * What a request must be before the API looks at it, against web pages the operator opens:
 *
 * - **Host.** A page can rebind its own DNS name to 127.0.0.1 and then call the agent as if it
 *   were its own origin (DNS rebinding). Such a request names the attacker's host in its Host
 *   header, so only the agent's own names are answered: the bound address, localhost, 127.0.0.1,
 *   ::1 and `api.allowedHosts`; bound to every interface (0.0.0.0, ::), any IP address too (a
 *   rebinding needs a DNS name). Others get 421 naming api.allowedHosts. A request without a Host
 *   header (HTTP/1.0) cannot come from a browser and passes.
 * - **Origin.** When a browser says where a request comes from, it must be the agent's own page:
 *   the Origin's host and port are those of the Host header (the scheme may differ behind a TLS
 *   proxy). Others, and `Origin: null`, get 403.
 * - **JSON only.** Every state change (any method but GET and HEAD) must be sent as
 *   `Content-Type: application/json`, a type no cross-site form or "simple" request can carry
 *   without the browser asking the agent first (a CORS preflight, which it never grants). Others
 *   get 415, also when the request has no body.
 */
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { codeInfo, type ErrorCode } from '../errors/codes.js';

/** The Host names the API answers (see the module comment). */
export interface HostPolicy {
  /** The address the API binds (api.host). */
  readonly host: string;
  /** api.allowedHosts. */
  readonly allowedHosts: readonly string[];
}

const ALWAYS = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARDS = new Set(['0.0.0.0', '[::]']);

/** `name` as URL.hostname writes it: lower case, IPv6 in brackets, no trailing dot. */
function normalise(name: string): string {
  const bare = name.trim().toLowerCase().replace(/\.$/, '');
  return bare.includes(':') && !bare.startsWith('[') ? `[${bare}]` : bare;
}

/** host[:port] of a Host header, normalised; undefined when it is not one. */
function parseHost(header: string): { name: string; host: string } | undefined {
  try {
    const u = new URL(`http://${header}`);
    if (u.username !== '' || u.password !== '' || u.pathname !== '/' || u.search !== '')
      return undefined;
    return { name: normalise(u.hostname), host: u.host.toLowerCase() };
  } catch {
    return undefined;
  }
}

/** Whether a Host name is one of the agent's own under `policy`. */
export function hostAllowed(name: string, policy: HostPolicy): boolean {
  const bound = normalise(policy.host);
  if (ALWAYS.includes(name) || name === bound) return true;
  if (policy.allowedHosts.some((h) => normalise(h) === name)) return true;
  return WILDCARDS.has(bound) && isIP(name.replace(/^\[|\]$/g, '')) !== 0;
}

async function refuse(
  reply: FastifyReply,
  code: ErrorCode,
  message: string,
  hint: string,
): Promise<FastifyReply> {
  return reply.code(codeInfo(code).httpStatus).send({ error: { code, message, hint } });
}

/** Why the Host or Origin of `req` is refused, answered on `reply`; undefined when it passes. */
async function checkHostAndOrigin(
  req: FastifyRequest,
  reply: FastifyReply,
  policy: HostPolicy,
): Promise<FastifyReply | undefined> {
  const header = req.headers.host;
  const host = header === undefined ? undefined : parseHost(header);
  if (header !== undefined && (host === undefined || !hostAllowed(host.name, policy)))
    return refuse(
      reply,
      'ERR_HOST_NOT_ALLOWED',
      `the Host ${JSON.stringify(header.slice(0, 200))} is not a name of this agent (refused so that no web page can reach it through DNS rebinding)`,
      'reach the agent by its address (127.0.0.1 or localhost), or add the name to api.allowedHosts',
    );
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  let from: string | undefined;
  try {
    from = origin === 'null' ? undefined : new URL(origin).host.toLowerCase();
  } catch {
    from = undefined;
  }
  if (from !== undefined && host !== undefined && from === host.host) return undefined;
  return refuse(
    reply,
    'ERR_ORIGIN_NOT_ALLOWED',
    `a request from the web page at ${JSON.stringify(origin.slice(0, 200))} is refused: only the agent's own dashboard may call its API`,
    'use the dashboard the agent serves, or call the API from a program (which sends no Origin)',
  );
}

/** The media type of a Content-Type header, lower case, without parameters. */
function mediaType(header: string | undefined): string | undefined {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type === '' ? undefined : type;
}

/** Adds the Host and Origin checks (first of all hooks: call before installAuth). */
export function installHostGuard(app: FastifyInstance, policy: HostPolicy): void {
  app.addHook('onRequest', async (req, reply) => checkHostAndOrigin(req, reply, policy));
}

/** Adds the JSON-only rule for state changes (after the token check: call after installAuth). */
export function installJsonOnly(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const type = mediaType(req.headers['content-type']);
    if (type === 'application/json') return;
    return refuse(
      reply,
      'ERR_UNSUPPORTED_MEDIA_TYPE',
      `${req.method} needs Content-Type: application/json (got ${type ?? 'none'}): the API takes state changes only as JSON, which no other web site can send it`,
      'send the body as JSON with that header; {} when there is nothing to say',
    );
  });
}
