/**
 * Serves the dashboard (src/dashboard/static: plain HTML, CSS and ES modules, no build step) at `/`
 * and `/assets/*`. Everything comes from the agent itself, so the dashboard works offline.
 *
 * The files are not versioned by name, so every answer says `Cache-Control: no-cache` with an ETag:
 * the browser keeps its copy and revalidates it (304) on each load, and an upgraded agent is
 * never shown with stale scripts. Only regular files under the static directory are served; a
 * name with `..`, a backslash or a leading dot is refused before the filesystem is touched.
 * The dashboard is public (it holds no data); the data comes from /api/v1, which needs the token
 * when one is configured.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Content types of the files the dashboard is made of; anything else is not served. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Everything the page loads comes from this agent; styles set through the CSSOM are allowed. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A safe relative asset name: segments of letters, digits, `.`, `_` and `-`, none starting with a dot. */
const ASSET_NAME = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * The static directory: `<package>/src/dashboard/static`, seen from dist/src/api/ (the compiled
 * agent, also when installed from npm: package.json "files" ships the directory) or from
 * src/api/ (running the sources directly).
 */
export function dashboardRoot(): string {
  const candidates = [
    fileURLToPath(new URL('../../../src/dashboard/static/', import.meta.url)),
    fileURLToPath(new URL('../dashboard/static/', import.meta.url)),
  ];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
  return found ?? candidates[0] ?? '';
}

/**
 * Registers `GET /` (index.html) and `GET /assets/*` (the other static files). HEAD works too
 * (Fastify adds it for GET routes). Answers 404 for unknown or refused names.
 */
export function registerDashboard(app: FastifyInstance, dir: string = dashboardRoot()): void {
  const root = path.resolve(dir);
  const serve = async (name: string, req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const type = CONTENT_TYPES[path.extname(name).toLowerCase()];
    const file = path.join(root, name);
    const info =
      type === undefined || !ASSET_NAME.test(name) || !file.startsWith(root + path.sep)
        ? undefined
        : await stat(file).catch(() => undefined);
    if (type === undefined || info === undefined || !info.isFile()) {
      await reply
        .code(404)
        .send({ error: { code: 'ERR_NOT_FOUND', message: `no dashboard file ${name}` } });
      return;
    }
    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    void reply
      .header('content-type', type)
      .header('cache-control', 'no-cache')
      .header('etag', etag)
      .header('last-modified', info.mtime.toUTCString())
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer');
    if (type.startsWith('text/html')) {
      void reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY');
    }
    const presented = req.headers['if-none-match'];
    if (presented !== undefined && presented.split(/\s*,\s*/).includes(etag)) {
      await reply.code(304).send();
      return;
    }
    await reply.send(await readFile(file));
  };

  // not part of the API: left out of the OpenAPI description
  const options = { schema: { hide: true } };
  app.get('/', options, (req, reply) => serve('index.html', req, reply));
  app.get('/assets/*', options, (req, reply) => {
    const name = (req.params as Record<string, string | undefined>)['*'] ?? '';
    return serve(name, req, reply);
  });
}
