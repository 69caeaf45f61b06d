/**
 * Backfill and browse with an in-process agent against the real RGW. The job scans only (a rescan
 * interval of an hour), so files written after the start-up scan are outside its view until a
 * backfill queues them; the job's rules still apply; nothing outside the job's sources is listed
 * or taken ('..', absolute paths elsewhere, symbolic links leading out).
 */
import assert from 'node:assert/strict';
import { mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { HistoryRecord } from '../../src/journal/journal-store.js';
import { waitFor } from '../support/agent-process.js';
import {
  createTestBucket,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { rgwDestination, startInProcess, type InProcessAgent } from './api-support.js';

interface Backfilled {
  queued: { path: string; fileId: number }[];
  skipped: { path: string; reason: string }[];
}
interface ErrorAnswer {
  error: { code: string; message: string; field?: string };
}

describe('API backfill and browse', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let api: InProcessAgent;
  let src: string;
  let outside: string;

  const exists = (key: string) =>
    client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key })).then(
      () => true,
      () => false,
    );

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'api-backfill');
    tmp = await makeTmpDir('api-backfill');
    src = join(tmp.path, 'archive');
    outside = join(tmp.path, 'secret-place');
    await mkdir(src, { recursive: true });
    await mkdir(outside, { recursive: true });
    const yaml = `jobs:
  - name: archive
    sources: [${JSON.stringify(src)}]
    mode: scan
    rescanInterval: 1h
    settle: 1s
    key: '{path}'
    filters:
      exclude: [{ glob: '*.skip' }]
${rgwDestination(info, bucket.name)}
  - name: marked
    sources: [${JSON.stringify(join(tmp.path, 'marked'))}]
    markerSuffix: .done
${rgwDestination(info, bucket.name, '      prefix: marked\n')}`;
    api = await startInProcess(join(tmp.path, 'agent'), yaml);
    // Written after the start-up scan: the scan-only job does not see them for an hour.
    await mkdir(join(src, 'sub', 'deeper'), { recursive: true });
    await writeFile(join(src, 'old.bin'), 'an old recording');
    const aYearAgo = new Date(Date.now() - 365 * 86_400_000);
    await utimes(join(src, 'old.bin'), aYearAgo, aYearAgo);
    await writeFile(join(src, 'notes.skip'), 'excluded');
    await writeFile(join(src, 'sub', 'deeper', 'deep.bin'), 'deep');
    await writeFile(join(src, 'sub', 'two.bin'), 'two');
    await writeFile(join(outside, 'passwords.txt'), 'do not take');
    await symlink(join(outside, 'passwords.txt'), join(src, 'link-out.bin'));
    await symlink(outside, join(src, 'dir-out'));
    await mkdir(join(tmp.path, 'marked'), { recursive: true });
    await writeFile(join(tmp.path, 'marked', 'x.mp4'), 'waits for x.mp4.done');
  });

  after(async () => {
    await api.close();
    await bucket.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  it('browse lists a source directory; links leading out are left out', async () => {
    await sleep(1500);
    assert.equal((await api.get<{ files: { queued: number } }>('/api/v1/status')).files.queued, 0);
    const top = await api.get<{
      root: string;
      path: string;
      entries: { name: string; type: string; size: number }[];
      total: number;
    }>('/api/v1/browse?job=archive');
    assert.equal(top.root, src);
    assert.deepEqual(
      top.entries.map((e) => [e.name, e.type]),
      [
        ['sub', 'dir'],
        ['notes.skip', 'file'],
        ['old.bin', 'file'],
      ],
    );
    assert.equal(top.total, 3);
    const page = await api.get<{ entries: { name: string }[]; total: number }>(
      '/api/v1/browse?job=archive&limit=1&offset=1',
    );
    assert.deepEqual(
      page.entries.map((e) => e.name),
      ['notes.skip'],
    );
    assert.equal(page.total, 3);
    const sub = await api.get<{ path: string; entries: { name: string }[] }>(
      '/api/v1/browse?job=archive&path=sub/',
    );
    assert.equal(sub.path, 'sub');
    assert.deepEqual(
      sub.entries.map((e) => e.name),
      ['deeper', 'two.bin'],
    );
  });

  it('browse refuses every path that leaves the sources', async () => {
    for (const [query, field] of [
      ['path=..', 'path'],
      ['path=sub/../..', 'path'],
      ['path=sub%2F..%2F..%2Fsecret-place', 'path'],
      [`path=${encodeURIComponent(outside)}`, 'path'],
      ['path=dir-out', 'path'],
      ['path=old.bin', 'path'],
      [`root=${encodeURIComponent(outside)}`, 'root'],
    ] as const) {
      const r = await api.call<ErrorAnswer>('GET', `/api/v1/browse?job=archive&${query}`);
      assert.equal(r.status, 400, `${query}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.field, field, query);
      assert.ok(!JSON.stringify(r.body).includes('do not take'));
    }
    const missing = await api.call<ErrorAnswer>('GET', '/api/v1/browse?job=archive&path=nothing');
    assert.equal(missing.status, 404);
  });

  it('backfill queues an old file the scan-only job never saw; it is uploaded; the rest is skipped with reasons', async () => {
    const r = await api.call<Backfilled>('POST', '/api/v1/backfill', {
      job: 'archive',
      paths: [
        'old.bin',
        '../secret-place/passwords.txt',
        join(outside, 'passwords.txt'),
        'link-out.bin',
        'dir-out',
        'notes.skip',
        'missing.bin',
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      r.body.queued.map((q) => q.path),
      [join(src, 'old.bin')],
    );
    const reasons = Object.fromEntries(r.body.skipped.map((s) => [s.path, s.reason]));
    assert.match(reasons['../secret-place/passwords.txt'] ?? '', /'\.\.' is not allowed/);
    assert.match(reasons[join(outside, 'passwords.txt')] ?? '', /outside the job's sources/);
    assert.match(reasons['link-out.bin'] ?? '', /symbolic link .*outside the job's sources/);
    assert.match(reasons['dir-out'] ?? '', /symbolic link .*outside the job's sources/);
    assert.match(reasons[join(src, 'notes.skip')] ?? '', /exclude rule/);
    assert.equal(reasons['missing.bin'], 'not found');
    await waitFor('old.bin uploaded', () => exists('old.bin'));
    const h = await waitFor('in the history with its job', async () => {
      const page = await api.get<{ items: HistoryRecord[] }>('/api/v1/history?q=old.bin');
      return page.items[0];
    });
    assert.equal(h.job, 'archive');
    assert.equal(await exists('passwords.txt'), false);
    assert.equal(await exists('secret-place/passwords.txt'), false);
  });

  it('backfill by glob and by directory; what is known already is skipped', async () => {
    const byGlob = await api.call<Backfilled>('POST', '/api/v1/backfill', {
      job: 'archive',
      glob: '**/*.bin',
    });
    assert.deepEqual(byGlob.body.queued.map((q) => q.path).sort(), [
      join(src, 'sub', 'deeper', 'deep.bin'),
      join(src, 'sub', 'two.bin'),
    ]);
    const reasons = Object.fromEntries(byGlob.body.skipped.map((s) => [s.path, s.reason]));
    assert.match(reasons[join(src, 'old.bin')] ?? '', /already uploaded/);
    assert.match(reasons[join(src, 'link-out.bin')] ?? '', /outside the job's sources/);
    const again = await api.call<Backfilled>('POST', '/api/v1/backfill', {
      job: 'archive',
      paths: ['sub'],
    });
    assert.deepEqual(again.body.queued, []);
    assert.equal(again.body.skipped.length, 2);
    await waitFor(
      'both uploaded',
      async () => (await exists('sub/deeper/deep.bin')) && (await exists('sub/two.bin')),
    );
  });

  it('the marker rule applies to backfill', async () => {
    const r = await api.call<Backfilled>('POST', '/api/v1/backfill', {
      job: 'marked',
      paths: ['x.mp4'],
    });
    assert.deepEqual(r.body.queued, []);
    assert.match(r.body.skipped[0]?.reason ?? '', /waits for its marker x\.mp4\.done/);
  });
});
