/**
 * The dashboard's static files as registerDashboard serves them, on a real socket (port 0): every
 * file the page loads is served (found by following index.html and the modules' imports) with its
 * content type and caching headers; nothing is fetched from elsewhere (works offline); names that
 * could leave the directory are refused; revalidation answers 304.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { dashboardRoot, registerDashboard } from '../../src/api/dashboard-route.js';

describe('dashboard static files (registerDashboard)', () => {
  let app: FastifyInstance;
  let base: string;

  before(async () => {
    app = Fastify({ logger: false });
    registerDashboard(app);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    await app.close();
  });

  it('finds src/dashboard/static from the compiled module', async () => {
    const root = dashboardRoot();
    assert.match(root, /src[/\\]dashboard[/\\]static[/\\]?$/);
    assert.ok((await readdir(root)).includes('index.html'));
  });

  it('serves the page at / and everything it loads under /assets/, with types and caching', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const html = await page.text();

    // follow the page's links and the modules' imports: every one is served
    const seen = new Set<string>();
    const queue = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? '');
    assert.ok(queue.includes('/assets/app.js') && queue.includes('/assets/styles.css'));
    while (queue.length > 0) {
      const url = queue.shift() ?? '';
      if (seen.has(url)) continue;
      seen.add(url);
      const res = await fetch(`${base}${url}`);
      assert.equal(res.status, 200, url);
      const type = res.headers.get('content-type') ?? '';
      const text = await res.text();
      if (url.endsWith('.js')) {
        assert.equal(type, 'text/javascript; charset=utf-8', url);
        for (const m of text.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm))
          queue.push(new URL(m[1] ?? '', `http://x${url}`).pathname);
      } else if (url.endsWith('.css')) assert.equal(type, 'text/css; charset=utf-8', url);
      else if (url.endsWith('.svg')) assert.equal(type, 'image/svg+xml', url);
      assert.match(res.headers.get('etag') ?? '', /^W\/"[0-9a-f]+-[0-9a-f]+"$/, url);
    }
    assert.ok(seen.size >= 10, `followed ${seen.size} files`);
  });

  it('needs nothing from another origin: no external URL in any static file', async () => {
    const root = dashboardRoot();
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else files.push(p);
      }
    };
    await walk(root);
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      // the SVG namespace is a name, not a fetch
      const urls = [...text.matchAll(/\b(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/gi)]
        .map((m) => m[0])
        .filter((u) => u !== 'http://www.w3.org');
      assert.deepEqual(urls, [], path.relative(root, f));
      assert.doesNotMatch(text, /@import|url\(\s*['"]?https?:/i, path.relative(root, f));
    }
  });

  it('answers 304 to a matching If-None-Match, and HEAD without a body', async () => {
    const first = await fetch(`${base}/assets/styles.css`);
    const etag = first.headers.get('etag') ?? '';
    await first.arrayBuffer();
    const again = await fetch(`${base}/assets/styles.css`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    const head = await fetch(`${base}/assets/app.js`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'text/javascript; charset=utf-8');
  });

  it('refuses names outside the directory, hidden files, unknown types and missing files', async () => {
    for (const url of [
      '/assets/../package.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/views/../../../../package.json',
      '/assets/.eslintrc.js',
      '/assets/%00app.js',
      '/assets/app.js%00.css',
      '/assets/nothing-here.js',
      '/assets/README',
      '/assets/',
    ]) {
      const res = await fetch(`${base}${url}`);
      // 404 from the route, or from Fastify for what fetch or the router normalised away
      assert.ok(res.status === 404 || res.status === 400, `${url}: ${res.status}`);
      assert.doesNotMatch(await res.text(), /"dependencies"/, url);
    }
  });
});
