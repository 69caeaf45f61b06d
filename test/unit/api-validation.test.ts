/**
 * Every validation error of the API, table-driven through inject(): 400, ERR_USAGE, and `field`
 * naming the parameter at fault. Also: unknown routes are 404, bodies that are not JSON are 400.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiFixture, type ApiFixture } from './api-fixture.js';

interface Case {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly url: string;
  readonly body?: unknown;
  readonly field: string;
  /** Expected status when not 400. */
  readonly status?: number;
}

const CASES: readonly Case[] = [
  // queue
  { method: 'GET', url: '/api/v1/queue?state=done', field: 'state' },
  { method: 'GET', url: '/api/v1/queue?limit=1001', field: 'limit' },
  { method: 'GET', url: '/api/v1/queue?limit=-1', field: 'limit' },
  { method: 'GET', url: '/api/v1/queue?limit=ten', field: 'limit' },
  { method: 'GET', url: '/api/v1/queue?offset=1.5', field: 'offset' },
  { method: 'GET', url: '/api/v1/queue?limt=5', field: 'limt' },
  { method: 'GET', url: `/api/v1/queue?job=${'j'.repeat(201)}`, field: 'job' },
  // history
  { method: 'GET', url: '/api/v1/history?result=ok', field: 'result' },
  { method: 'GET', url: '/api/v1/history?sort=name', field: 'sort' },
  { method: 'GET', url: '/api/v1/history?order=up', field: 'order' },
  { method: 'GET', url: '/api/v1/history?limit=5000', field: 'limit' },
  { method: 'GET', url: '/api/v1/history?offset=x', field: 'offset' },
  { method: 'GET', url: `/api/v1/history?q=${'q'.repeat(1025)}`, field: 'q' },
  { method: 'GET', url: '/api/v1/history?jbo=a', field: 'jbo' },
  { method: 'GET', url: '/api/v1/history?until=yesterday', field: 'until' },
  // report
  { method: 'GET', url: '/api/v1/report?until=2', field: 'since' },
  { method: 'GET', url: '/api/v1/report?since=1', field: 'until' },
  { method: 'GET', url: '/api/v1/report?since=2&until=2', field: 'until' },
  { method: 'GET', url: '/api/v1/report?since=1&until=2&limit=0', field: 'limit' },
  { method: 'GET', url: '/api/v1/report?since=1&until=2&cursor=3', field: 'cursor' },
  { method: 'GET', url: '/api/v1/report?since=1&until=2&offset=3', field: 'offset' },
  // events
  { method: 'GET', url: '/api/v1/events?before=0', field: 'before' },
  { method: 'GET', url: '/api/v1/events?before=abc', field: 'before' },
  { method: 'GET', url: '/api/v1/events?limit=1e3', field: 'limit' },
  { method: 'GET', url: '/api/v1/events?offset=1', field: 'offset' },
  // browse
  { method: 'GET', url: '/api/v1/browse', field: 'job' },
  { method: 'GET', url: '/api/v1/browse?job=inbox&limit=10001', field: 'limit' },
  { method: 'GET', url: '/api/v1/browse?job=nope', field: 'job' },
  // backfill
  { method: 'POST', url: '/api/v1/backfill', body: {}, field: 'job' },
  { method: 'POST', url: '/api/v1/backfill', body: { job: 'inbox' }, field: 'paths' },
  { method: 'POST', url: '/api/v1/backfill', body: { job: 'inbox', paths: [] }, field: 'paths' },
  { method: 'POST', url: '/api/v1/backfill', body: { job: 'inbox', paths: 'a' }, field: 'paths' },
  {
    method: 'POST',
    url: '/api/v1/backfill',
    body: { job: 'inbox', paths: [''] },
    field: 'paths[0]',
  },
  {
    method: 'POST',
    url: '/api/v1/backfill',
    body: { job: 'inbox', paths: ['a', 7] },
    field: 'paths[1]',
  },
  { method: 'POST', url: '/api/v1/backfill', body: { job: 'inbox', glob: '[z-a]' }, field: 'glob' },
  { method: 'POST', url: '/api/v1/backfill', body: { job: 3, glob: '*' }, field: 'job' },
  { method: 'POST', url: '/api/v1/backfill', body: { job: 'inbox', glob: '*', x: 1 }, field: 'x' },
  { method: 'POST', url: '/api/v1/backfill', body: { job: 'nope', glob: '*' }, field: 'job' },
  { method: 'POST', url: '/api/v1/backfill', body: [1], field: 'body' },
  // pause, resume, retry
  { method: 'POST', url: '/api/v1/pause', body: { job: 5 }, field: 'job' },
  { method: 'POST', url: '/api/v1/pause', body: { job: 'nope' }, field: 'job' },
  { method: 'POST', url: '/api/v1/resume', body: { job: '' }, field: 'job' },
  { method: 'POST', url: '/api/v1/resume', body: { jobs: ['a'] }, field: 'jobs' },
  { method: 'POST', url: '/api/v1/retry', body: { fileId: '3' }, field: 'fileId' },
  { method: 'POST', url: '/api/v1/retry', body: { fileId: 1.5 }, field: 'fileId' },
  { method: 'POST', url: '/api/v1/retry', body: { fileId: -1 }, field: 'fileId' },
  // link
  { method: 'GET', url: '/api/v1/link', field: 'path' },
  { method: 'GET', url: '/api/v1/link?path=/a&key=b', field: 'path' },
  { method: 'GET', url: '/api/v1/link?path=relative/file', field: 'path' },
  { method: 'GET', url: '/api/v1/link?key=k&expires=999', field: 'expires' },
  { method: 'GET', url: '/api/v1/link?key=k&expires=604800001', field: 'expires' },
  { method: 'GET', url: '/api/v1/link?key=k&expires=1h', field: 'expires' },
  { method: 'GET', url: '/api/v1/link?key=k&job=nope', field: 'job' },
  { method: 'GET', url: '/api/v1/link?path=/a&versionId=v', field: 'versionId' },
  // stream
  { method: 'GET', url: '/api/v1/stream?since=1', field: 'since' },
  // bwlimit
  { method: 'PUT', url: '/api/v1/bwlimit', body: {}, field: 'rate' },
  { method: 'PUT', url: '/api/v1/bwlimit', body: { rate: '4MB/h' }, field: 'rate' },
  { method: 'PUT', url: '/api/v1/bwlimit', body: { rate: 0 }, field: 'rate' },
  { method: 'PUT', url: '/api/v1/bwlimit', body: { rate: '0' }, field: 'rate' },
  { method: 'PUT', url: '/api/v1/bwlimit', body: { rate: '1M', reset: true }, field: 'rate' },
  { method: 'PUT', url: '/api/v1/bwlimit', body: { rate: '1M', for: '2x' }, field: 'for' },
  { method: 'PUT', url: '/api/v1/bwlimit', body: { rate: '1M', for: 500 }, field: 'for' },
  { method: 'PUT', url: '/api/v1/bwlimit', body: { reset: true, for: '2h' }, field: 'for' },
  { method: 'PUT', url: '/api/v1/bwlimit', body: { rate: '1M', x: 1 }, field: 'x' },
  {
    method: 'PUT',
    url: '/api/v1/bwlimit',
    body: { rate: '1M', destination: 'nope' },
    field: 'destination',
  },
];

describe('API validation errors', () => {
  let api: ApiFixture;
  before(async () => {
    api = await apiFixture();
  });
  after(async () => {
    await api.close();
  });

  for (const c of CASES) {
    it(`${c.method} ${c.url.slice(0, 60)} ${c.body === undefined ? '' : JSON.stringify(c.body).slice(0, 50)} -> ${c.field}`, async () => {
      const res = await api.app.inject({
        method: c.method,
        url: c.url,
        ...(c.body === undefined ? {} : { payload: c.body as object }),
      });
      assert.equal(res.statusCode, c.status ?? 400, res.body);
      const body = res.json<{ error: { code: string; message: string; field?: string } }>();
      assert.equal(body.error.code, 'ERR_USAGE', res.body);
      assert.equal(body.error.field, c.field, res.body);
      assert.ok(body.error.message.length > 0);
    });
  }

  it('PUT /api/v1/bwlimit overrides the limit, which GET and the status show; reset ends it', async () => {
    const put = await api.app.inject({
      method: 'PUT',
      url: '/api/v1/bwlimit',
      payload: { rate: '2MiB', for: '2h' },
    });
    assert.equal(put.statusCode, 200, put.body);
    type Limit = {
      bytesPerSec: number | null;
      source: string;
      override?: { setAt: number; until: number };
    };
    const agent = put.json<{ agent: Limit }>().agent;
    assert.equal(agent.bytesPerSec, 2 * 1024 * 1024);
    assert.equal(agent.source, 'override');
    assert.equal((agent.override?.until ?? 0) - (agent.override?.setAt ?? 0), 7_200_000);
    const got = await api.app.inject({ method: 'GET', url: '/api/v1/bwlimit' });
    assert.deepEqual(got.json<{ agent: Limit }>().agent, agent);
    const status = await api.app.inject({ method: 'GET', url: '/api/v1/status' });
    assert.deepEqual(status.json<{ bwlimit: { agent: Limit } }>().bwlimit.agent, agent);
    const reset = await api.app.inject({
      method: 'PUT',
      url: '/api/v1/bwlimit',
      payload: { reset: true },
    });
    assert.deepEqual(reset.json<{ agent: Limit }>().agent, {
      destination: '*',
      bytesPerSec: null,
      source: 'config',
      timetable: null,
    });
  });

  it('a body that is not JSON is 400 naming the body', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/backfill',
      headers: { 'content-type': 'application/json' },
      payload: '{"job": ',
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json<{ error: { field: string } }>().error.field, 'body');
  });

  it('an empty JSON body is no body: pause all', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/pause',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<{ paused: boolean }>().paused, true);
    await api.app.inject({ method: 'POST', url: '/api/v1/resume' });
  });

  it('an unknown route is 404 with an error body', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/api/v1/nothing' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'ERR_NOT_FOUND');
  });

  it('empty query parameters count as absent', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/api/v1/history?job=&q=&limit=' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { items: [], total: 0 });
  });
});
