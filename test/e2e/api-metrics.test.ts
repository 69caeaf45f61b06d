/**
 * /metrics of a real `s3ferry run`: it parses as Prometheus text, and its upload counters and
 * histograms equal what was uploaded (files and bytes, per job); files per state, queue depth,
 * destination health, errors by kind and code, and the process metrics are there.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  agentYaml,
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { parsePrometheus, sampleValue, type PromSample } from './api-support.js';

const SIZES = [1_000, 250_000, 6 * 1024 * 1024 + 17];

describe('/metrics of a real agent', () => {
  let info: S3ServerInfo;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let agent: AgentProcess;
  let inbox: string;

  before(async () => {
    info = await rgwServer();
    bucket = await createTestBucket(info, 'api-metrics');
    tmp = await makeTmpDir('api-metrics');
    inbox = join(tmp.path, 'inbox');
    await mkdir(inbox, { recursive: true });
    const yaml = agentYaml({
      port: await freePort(),
      inbox,
      bucket: bucket.name,
      endpoint: info.endpoint,
    }).replace('    settle: 1s\n', "    settle: 1s\n    key: '{path}'\n");
    agent = await startAgentProcess(join(tmp.path, 'agent'), yaml, info);
  });

  after(async () => {
    await agent.stop();
    await bucket.cleanup();
    await tmp.cleanup();
  });

  const scrape = async (): Promise<PromSample[]> => {
    const res = await fetch(`${agent.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parsePrometheus(await res.text());
  };

  it('counts exactly the files and bytes uploaded, and the rest of the metrics are there', async () => {
    for (const [i, size] of SIZES.entries())
      await writeFile(join(inbox, `f${i}.bin`), randomBytes(size));
    // a file that parks (its key would be over 1,024 bytes): an error by kind and code
    let deep = inbox;
    for (let i = 0; i < 5; i += 1) deep = join(deep, 'd'.repeat(240));
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, 'x.txt'), 'x');
    const samples = await waitFor('all done and the parked one parked', async () => {
      const s = await scrape();
      const done = sampleValue(s, 's3ferry_files', { state: 'done' });
      const parked = sampleValue(s, 's3ferry_files', { state: 'parked' });
      // The counters follow file.done, published right after the journal recorded 'done': a
      // scrape in between sees the file done and not yet counted.
      const counted = sampleValue(s, 's3ferry_uploaded_files_total', { job: 'inbox' });
      return done === SIZES.length && parked === 1 && counted === SIZES.length ? s : undefined;
    });
    const job = { job: 'inbox' };
    const total = SIZES.reduce((a, b) => a + b, 0);
    assert.equal(sampleValue(samples, 's3ferry_uploaded_files_total', job), SIZES.length);
    assert.equal(sampleValue(samples, 's3ferry_uploaded_bytes_total', job), total);
    assert.equal(sampleValue(samples, 's3ferry_upload_size_bytes_count', job), SIZES.length);
    assert.equal(sampleValue(samples, 's3ferry_upload_size_bytes_sum', job), total);
    assert.equal(
      sampleValue(samples, 's3ferry_upload_size_bytes_bucket', { ...job, le: '1024' }),
      1,
      'one file of at most 1 KiB',
    );
    assert.equal(sampleValue(samples, 's3ferry_upload_duration_seconds_count', job), SIZES.length);
    assert.ok((sampleValue(samples, 's3ferry_upload_duration_seconds_sum', job) ?? -1) > 0);
    assert.equal(
      sampleValue(samples, 's3ferry_errors_total', { kind: 'permanent', code: 'ERR_KEY_INVALID' }),
      1,
    );
    assert.equal(sampleValue(samples, 's3ferry_queue_depth'), 0);
    const health = samples.filter((s) => s.name === 's3ferry_destination_healthy');
    assert.equal(health.length, 1);
    assert.equal(health[0]?.value, 1);
    assert.match(health[0].labels.destination ?? '', new RegExp(`^s3://${bucket.name}/`));
    for (const name of ['process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds'])
      assert.ok(
        samples.some((s) => s.name === name),
        `${name} (process metrics)`,
      );
  });
});
