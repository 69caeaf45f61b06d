/**
 * /api/v1/stats and /api/v1/failures with an in-process agent on the real RGW: each job's
 * throughput after real uploads (bytes and files per second, counted by the agent), what is left
 * of a paused job's queue and why there is no estimate (paused), the parked files of one cause
 * grouped with their count, cause, fix and newest file, and POST /retry { code } releasing that
 * group (and refusing a file id with it).
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FileRecord } from '../../src/journal/journal-store.js';
import { waitFor } from '../support/agent-process.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { rgwDestination, startInProcess, type InProcessAgent } from './api-support.js';

interface Eta {
  state: string;
  ms: number | null;
}
interface Rates {
  bytesPerSec: number;
  filesPerSec: number;
  left: { files: number; bytes: number };
  eta: Eta;
}
interface Stats {
  windowMs: number;
  jobs: (Rates & { name: string; paused: boolean })[];
  total: Rates;
}
interface Group {
  code: string;
  files: number;
  parked: number;
  newest: FileRecord;
}

describe('API: throughput, time left and failures by cause', () => {
  let info: S3ServerInfo;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let api: InProcessAgent;
  const inbox = { fast: '', deep: '' };

  const stats = () => api.get<Stats>('/api/v1/stats');
  const job = async (name: string) => {
    const j = (await stats()).jobs.find((x) => x.name === name);
    assert.ok(j, `${name} is in /stats`);
    return j;
  };

  before(async () => {
    info = await rgwServer();
    bucket = await createTestBucket(info, 'api-stats');
    tmp = await makeTmpDir('api-stats');
    inbox.fast = join(tmp.path, 'fast');
    inbox.deep = join(tmp.path, 'deep');
    for (const d of Object.values(inbox)) await mkdir(d, { recursive: true });
    api = await startInProcess(
      join(tmp.path, 'agent'),
      `jobs:
  - name: fast
    sources: [${JSON.stringify(inbox.fast)}]
    settle: 1s
${rgwDestination(info, bucket.name, '      prefix: fast\n')}
  - name: deep
    sources: [${JSON.stringify(inbox.deep)}]
    settle: 1s
    key: '{path}'
${rgwDestination(info, bucket.name, '      prefix: deep\n')}`,
    );
  });

  after(async () => {
    await api.close();
    await bucket.cleanup();
    await tmp.cleanup();
  });

  it('after uploads, the job has a throughput in bytes and files per second, and nothing left', async () => {
    for (let i = 0; i < 4; i += 1)
      await writeFile(join(inbox.fast, `f${i}.bin`), Buffer.alloc(200_000, i));
    await waitFor('4 files done', async () => {
      const s = await api.get<{ files: Record<string, number> }>('/api/v1/status');
      return s.files.done === 4;
    });
    const s = await stats();
    assert.equal(s.windowMs, 60_000);
    const fast = s.jobs.find((j) => j.name === 'fast');
    assert.ok(fast);
    // 800,000 bytes and 4 files within the last minute: more than 0 per second, at most all of it
    assert.ok(fast.bytesPerSec > 0 && fast.bytesPerSec <= 800_000, `bytes/s ${fast.bytesPerSec}`);
    assert.ok(fast.filesPerSec > 0 && fast.filesPerSec <= 4, `files/s ${fast.filesPerSec}`);
    assert.deepEqual(fast.left, { files: 0, bytes: 0 });
    assert.deepEqual(fast.eta, { state: 'empty', ms: null });
    assert.ok(s.total.bytesPerSec >= fast.bytesPerSec);
    const deep = s.jobs.find((j) => j.name === 'deep');
    assert.deepEqual([deep?.bytesPerSec, deep?.filesPerSec], [0, 0], 'deep sent nothing');
  });

  it('a paused job: its files and bytes left, no estimate but "paused"; the total leaves it out', async () => {
    assert.equal((await api.call('POST', '/api/v1/pause', { job: 'fast' })).status, 200);
    for (let i = 0; i < 3; i += 1)
      await writeFile(join(inbox.fast, `p${i}.bin`), Buffer.alloc(100_000 + i, 1));
    const fast = await waitFor('3 files queued under the pause', async () => {
      const j = await job('fast');
      return j.left.files === 3 ? j : undefined;
    });
    assert.equal(fast.paused, true);
    assert.equal(fast.left.bytes, 300_003);
    assert.deepEqual(fast.eta, { state: 'paused', ms: null });
    const s = await stats();
    assert.deepEqual(s.total.left, { files: 0, bytes: 0 }, 'a paused job is not in the total');
    assert.deepEqual(s.total.eta, { state: 'paused', ms: null }, 'every job with files is paused');
    assert.equal((await api.call('POST', '/api/v1/resume', { job: 'fast' })).status, 200);
    await waitFor('the paused files sent', async () => (await job('fast')).left.files === 0);
  });

  it('parked files grouped by code with count, cause, fix and the newest; retry by code releases the group', async () => {
    // '{path}' under 5 directories of 240 characters: keys over S3's 1,024 bytes
    let d = join(inbox.deep, 'x');
    for (let i = 0; i < 5; i += 1) d = join(d, 'd'.repeat(240));
    await mkdir(d, { recursive: true });
    await writeFile(join(d, 'one.txt'), 'parked');
    await writeFile(join(d, 'two.txt'), 'parked too');
    const groups = await waitFor('two files parked for their key', async () => {
      const r = await api.get<{ items: Group[] }>('/api/v1/failures');
      return r.items[0]?.parked === 2 ? r.items : undefined;
    });
    assert.equal(groups.length, 1);
    const [g] = groups;
    assert.ok(g);
    assert.deepEqual([g.code, g.files, g.parked], ['ERR_KEY_INVALID', 2, 2]);
    assert.match(g.newest.path, /\/(one|two)\.txt$/);
    assert.equal(g.newest.state, 'parked');
    assert.match(g.newest.reason?.message ?? '', /1,024|1024/);
    assert.ok((g.newest.reason?.hint ?? '') !== '', 'the group has its fix');
    assert.deepEqual((await api.get<{ items: Group[] }>('/api/v1/failures?job=fast')).items, []);

    const both = await api.call<{ error: { field?: string } }>('POST', '/api/v1/retry', {
      fileId: g.newest.id,
      code: g.code,
    });
    assert.equal(both.status, 400);
    assert.equal(both.body.error.field, 'fileId');
    const none = await api.call<{ released: number }>('POST', '/api/v1/retry', {
      code: 'ERR_S3_THROTTLED',
    });
    assert.deepEqual([none.status, none.body], [200, { released: 0 }]);
    const other = await api.call<{ released: number }>('POST', '/api/v1/retry', {
      code: g.code,
      job: 'fast',
    });
    assert.deepEqual(other.body, { released: 0 }, 'none of that code in job fast');
    const r = await api.call<{ released: number }>('POST', '/api/v1/retry', { code: g.code });
    assert.deepEqual([r.status, r.body], [200, { released: 2 }]);
    // released, they are tried again and parked again for the same cause
    await waitFor('parked again', async () => {
      const again = await api.get<{ items: Group[] }>('/api/v1/failures?job=deep');
      return again.items[0]?.parked === 2 && again.items[0].newest.attempts === 2;
    });
  });
});
