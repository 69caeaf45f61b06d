/**
 * Every route of docs/api.md on a real socket, with an in-process agent (built by the composition
 * root) against the real RGW: status, jobs, destinations, queue (pending, parked with cause and
 * fix), history (filters, sort, paging), events (type, paging), transfers, pause/resume, retry,
 * link (the presigned URL serves the bytes), config reload (good and bad), browse, health checks,
 * /metrics and the OpenAPI description.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { EventRecord, FileRecord, HistoryRecord } from '../../src/journal/journal-store.js';
import { waitFor } from '../support/agent-process.js';
import {
  createTestBucket,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';
import {
  parsePrometheus,
  rgwDestination,
  startInProcess,
  type InProcessAgent,
} from './api-support.js';

interface Page<T> {
  items: T[];
  total: number;
}
type QueueItem = FileRecord;
type Status = {
  paused: boolean;
  jobs: { name: string; paused: boolean }[];
  files: Record<string, number>;
};

describe('API routes (in-process agent, real socket, real RGW)', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let api: InProcessAgent;
  let inbox: string;
  let yaml: string;
  const content = randomBytes(70_000);

  const exists = (key: string) =>
    client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key })).then(
      () => true,
      () => false,
    );

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'api-routes');
    tmp = await makeTmpDir('api-routes');
    inbox = join(tmp.path, 'inbox');
    await mkdir(join(inbox, 'sub'), { recursive: true });
    yaml = `jobs:
  - name: main
    sources: [${JSON.stringify(inbox)}]
    settle: 1s
    key: '{path}'
${rgwDestination(info, bucket.name, '      prefix: main\n')}
  - name: other
    sources: [${JSON.stringify(join(tmp.path, 'other'))}]
    mode: scan
    rescanInterval: 1h
${rgwDestination(info, bucket.name, '      prefix: other\n')}`;
    api = await startInProcess(join(tmp.path, 'agent'), yaml);
  });

  after(async () => {
    await api.close();
    await bucket.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  it('health checks, status, jobs and destinations', async () => {
    assert.deepEqual(await api.get('/healthz'), { ok: true });
    assert.deepEqual(await api.get('/readyz'), {
      ready: true,
      unhealthyDestinations: [],
      causes: [],
    });
    const status = await api.get<Status>('/api/v1/status');
    assert.equal(status.paused, false);
    assert.deepEqual(
      status.jobs.map((j) => j.name),
      ['main', 'other'],
    );
    const jobs = await api.get<{
      items: {
        name: string;
        mode: string;
        sources: { path: string; recursive: boolean }[];
        destination: Record<string, unknown>;
        health: { healthy: boolean };
        counts: Record<string, number>;
      }[];
    }>('/api/v1/jobs');
    const main = jobs.items[0]!;
    assert.equal(main.name, 'main');
    assert.equal(main.mode, 'watch');
    assert.deepEqual(main.sources, [{ path: inbox, recursive: true }]);
    assert.deepEqual(Object.keys(main.destination).sort(), [
      'bucket',
      'endpoint',
      'name',
      'prefix',
    ]);
    assert.equal(main.destination.prefix, 'main/');
    assert.equal(main.health.healthy, true);
    assert.equal(jobs.items[1]?.mode, 'scan');
    const dests = await api.get<{ items: { name: string; health: { healthy: boolean } }[] }>(
      '/api/v1/destinations',
    );
    assert.equal(dests.items.length, 2);
    assert.ok(dests.items.every((d) => d.health.healthy));
  });

  it('an upload shows in history (with its job), events, counts and browse', async () => {
    await writeFile(join(inbox, 'sub', 'clip-one.bin'), content);
    await waitFor('clip-one uploaded', () => exists('main/sub/clip-one.bin'));
    await waitFor('done in the journal', async () => {
      const s = await api.get<Status>('/api/v1/status');
      return s.files.done === 1;
    });
    const h = await api.get<Page<HistoryRecord>>('/api/v1/history');
    assert.equal(h.total, 1);
    const [first] = h.items;
    assert.ok(first !== undefined);
    assert.deepEqual([first.job, first.size, first.result], ['main', content.length, 'done']);
    for (const query of ['job=main', 'result=done', 'q=CLIP-ONE', 'q=sub/', 'sort=speed&order=asc'])
      assert.equal(
        (await api.get<Page<HistoryRecord>>(`/api/v1/history?${query}`)).total,
        1,
        query,
      );
    for (const query of ['job=other', 'result=failed', 'q=nothing-like-it'])
      assert.deepEqual(await api.get(`/api/v1/history?${query}`), { items: [], total: 0 }, query);
    const limited = await api.get<Page<HistoryRecord>>('/api/v1/history?limit=0');
    assert.deepEqual(limited, { items: [], total: 1 });

    const ev = await api.get<Page<EventRecord>>('/api/v1/events?type=file.done');
    assert.equal(ev.total, 1);
    assert.equal(ev.items[0]?.key, 'main/sub/clip-one.bin');
    const all = await api.get<Page<EventRecord>>('/api/v1/events?limit=2');
    assert.equal(all.items.length, 2);
    assert.ok(all.total > 2);
    const older = await api.get<Page<EventRecord>>(
      `/api/v1/events?limit=2&before=${all.items[1]!.id}`,
    );
    assert.ok(older.items.every((e) => e.id < all.items[1]!.id));

    const jobs = await api.get<{ items: { counts: Record<string, number> }[] }>('/api/v1/jobs');
    assert.equal(jobs.items[0]?.counts.done, 1);

    const top = await api.get<{ root: string; path: string; entries: unknown[]; total: number }>(
      '/api/v1/browse?job=main',
    );
    assert.deepEqual(top, {
      root: inbox,
      path: '',
      entries: [
        {
          name: 'sub',
          type: 'dir',
          size: 0,
          mtimeMs: (top.entries[0] as { mtimeMs: number }).mtimeMs,
        },
      ],
      total: 1,
    });
    const sub = await api.get<{
      entries: { name: string; type: string; size: number; state?: string }[];
    }>('/api/v1/browse?job=main&path=sub');
    assert.deepEqual(
      sub.entries.map((e) => [e.name, e.type, e.size, e.state]),
      [['clip-one.bin', 'file', content.length, 'done']],
    );
  });

  it('link: by path and by key; the presigned URL serves the bytes', async () => {
    const byPath = await api.get<{ url: string; key: string; kind: string; expiresAt: number }>(
      `/api/v1/link?path=${encodeURIComponent(join(inbox, 'sub', 'clip-one.bin'))}&expires=60000`,
    );
    assert.equal(byPath.key, 'main/sub/clip-one.bin');
    assert.equal(byPath.kind, 'presigned');
    assert.ok(byPath.expiresAt > Date.now() && byPath.expiresAt <= Date.now() + 60_000);
    const res = await fetch(byPath.url);
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(content));
    const byKey = await api.get<{ url: string }>('/api/v1/link?key=main/sub/clip-one.bin&job=main');
    assert.equal((await fetch(byKey.url)).status, 200);
    const missing = await api.call(
      'GET',
      `/api/v1/link?path=${encodeURIComponent(join(inbox, 'never'))}`,
    );
    assert.equal(missing.status, 404);
  });

  it('queue: a parked file with cause and hint; retry one, then all', async () => {
    let deep = join(inbox, 'deep');
    for (let i = 0; i < 5; i += 1) deep = join(deep, 'd'.repeat(240));
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, 'too-long.txt'), 'x');
    const parked = await waitFor('parked', async () => {
      const q = await api.get<Page<QueueItem>>('/api/v1/queue?state=parked');
      return q.total === 1 ? q.items[0] : undefined;
    });
    assert.equal(parked.reason?.code, 'ERR_KEY_INVALID');
    assert.ok((parked.reason.hint ?? '').length > 0, 'the fix is given');
    assert.match(parked.reason.hint ?? '', /s3ferry retry/, 'the fix names retry');
    assert.ok(!parked.reason.message.includes('(fix:'), 'the cause stops before the fix');
    assert.equal(parked.job, 'main');
    assert.deepEqual(await api.get('/api/v1/queue?state=parked&job=other'), {
      items: [],
      total: 0,
    });
    const one = await api.call<{ released: number }>('POST', '/api/v1/retry', {
      fileId: parked.id,
    });
    assert.deepEqual(one, { status: 200, body: { released: 1 } });
    await waitFor('parked again', async () => {
      const q = await api.get<Page<QueueItem>>('/api/v1/queue?state=parked');
      return q.total === 1 && q.items[0]!.attempts === 2;
    });
    const all = await api.call<{ released: number }>('POST', '/api/v1/retry', {});
    assert.deepEqual(all.body, { released: 1 });
    assert.deepEqual(await api.get('/api/v1/queue?state=waiting'), { items: [], total: 0 });
  });

  it('pause and resume a job and everything; the queue shows what waits meanwhile', async () => {
    const paused = await api.call<Status>('POST', '/api/v1/pause', { job: 'main' });
    assert.equal(paused.status, 200);
    assert.equal(paused.body.jobs.find((j) => j.name === 'main')?.paused, true);
    await writeFile(join(inbox, 'held.txt'), 'held');
    const held = await waitFor('held.txt queued', async () => {
      const q = await api.get<Page<QueueItem>>('/api/v1/queue?state=pending&job=main');
      return q.items.find((f) => f.path === join(inbox, 'held.txt') && f.state === 'queued');
    });
    assert.equal(held.job, 'main');
    const all = await api.call<Status>('POST', '/api/v1/pause', {});
    assert.equal(all.body.paused, true);
    assert.equal((await api.call<Status>('POST', '/api/v1/resume')).body.paused, false);
    const resumed = await api.call<Status>('POST', '/api/v1/resume', { job: 'main' });
    assert.equal(resumed.body.jobs.find((j) => j.name === 'main')?.paused, false);
    await waitFor('held.txt uploaded', () => exists('main/held.txt'));
    assert.deepEqual(await api.get('/api/v1/transfers'), { items: [] }, 'nothing runs now');
  });

  it('config reload: a good file is applied; a bad one is 400 with its errors and changes nothing', async () => {
    assert.deepEqual(await api.call('POST', '/api/v1/config/reload'), {
      status: 200,
      body: { ok: true },
    });
    const good = await readFile(api.configPath, 'utf8');
    await writeFile(api.configPath, good.replace('settle: 1s', 'settle: soon'));
    try {
      const bad = await api.call<{ error: { code: string; message: string } }>(
        'POST',
        '/api/v1/config/reload',
      );
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'ERR_CONFIG_INVALID');
      assert.match(bad.body.error.message, /jobs\[0\]\.settle/);
    } finally {
      await writeFile(api.configPath, good);
    }
    assert.equal(
      (await api.get<Status>('/api/v1/status')).jobs.length,
      2,
      'the running config stays',
    );
  });

  it('/metrics is Prometheus text; /api/v1/openapi.json describes every route', async () => {
    const res = await fetch(`${api.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const samples = parsePrometheus(await res.text());
    assert.ok(samples.some((s) => s.name === 's3ferry_uploaded_files_total'));
    assert.ok(
      samples.some((s) => s.name === 'process_cpu_user_seconds_total'),
      'process metrics',
    );
    const doc = await api.get<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      '/api/v1/openapi.json',
    );
    assert.match(doc.openapi, /^3\./);
    const routes = Object.entries(doc.paths).flatMap(([p, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`),
    );
    for (const route of [
      'GET /api/v1/status',
      'GET /api/v1/jobs',
      'GET /api/v1/destinations',
      'GET /api/v1/transfers',
      'GET /api/v1/stats',
      'GET /api/v1/failures',
      'GET /api/v1/queue',
      'GET /api/v1/history',
      'GET /api/v1/events',
      'GET /api/v1/browse',
      'POST /api/v1/backfill',
      'POST /api/v1/pause',
      'POST /api/v1/resume',
      'POST /api/v1/retry',
      'GET /api/v1/link',
      'POST /api/v1/config/reload',
      'GET /api/v1/bwlimit',
      'PUT /api/v1/bwlimit',
      'GET /api/v1/stream',
      'GET /metrics',
      'GET /healthz',
      'GET /readyz',
    ])
      assert.ok(routes.includes(route), `${route} is described`);
  });
});
