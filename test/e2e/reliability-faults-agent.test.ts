/**
 * The agent (`s3ferry run`) through the fault proxy: random resets, truncations, delays and error
 * answers, a conditional PUT whose answer is lost, a store that refuses conditional PUTs, and a
 * server that accepts requests and never answers (the destination's `requestTimeout` ends them).
 * Every file ends done in the journal and its object has its bytes; nothing else is written; no
 * multipart upload is left.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../support/fault-proxy.js';
import { S3Fixture } from '../support/s3-fixture.js';
import { testId } from '../support/tmp.js';
import { deliveryProblems, writeSampleFiles } from '../support/torture/delivery.js';

interface Status {
  files: Record<string, number>;
}

describe('the agent through network faults', () => {
  const fx = S3Fixture.use('faults-agent');

  /** Runs an agent through `proxy` over the sample files until all are done; checks the result. */
  async function deliverThrough(proxy: FaultProxy, label: string): Promise<AgentProcess> {
    const dir = join(fx.tmp.path, testId(label));
    const inbox = join(dir, 'inbox');
    await mkdir(inbox, { recursive: true });
    const files = await writeSampleFiles(inbox);
    const prefix = `${label}/`;
    const yaml = `api:
  port: ${await freePort()}
journal: ${JSON.stringify(join(dir, 'journal.db'))}
probeInterval: 1s
jobs:
  - name: ${label}
    sources: [${JSON.stringify(inbox)}]
    settle: 500ms
    destination:
      bucket: ${fx.bucket.name}
      prefix: ${label}
      endpoint: ${proxy.url}
      partSize: 5MiB
      multipartThreshold: 5MiB
      concurrency: 4
      requestTimeout: 2s
`;
    const agent = await startAgentProcess(dir, yaml, fx.info);
    try {
      await waitFor(
        `all ${files.length} files done`,
        async () => (await agent.api<Status>('GET', '/api/v1/status')).files.done === files.length,
        240_000,
      );
    } catch (err) {
      const queue = await agent.api<unknown>('GET', '/api/v1/queue').catch(() => undefined);
      throw new Error(
        `${String(err)}\nqueue ${JSON.stringify(queue)}\n${agent.log().slice(-4000)}`,
        {
          cause: err,
        },
      );
    } finally {
      await agent.stop();
    }
    const log = agent.log();
    assert.doesNotMatch(log, /"level":50.*agent\.error/, 'no internal agent error');
    assert.deepEqual(await deliveryProblems(fx.client, fx.bucket.name, prefix, inbox), []);
    return agent;
  }

  it('delivers every file through random faults, and a lost answer to a conditional PUT', async () => {
    const seed = randomInt(1, 2 ** 31);
    const proxy = await startFaultProxy(fx.info.endpoint);
    try {
      // overwrite: never sends If-None-Match: * ; the retry meets the object it stored itself
      proxy.addRule({
        match: (r) => r.operation === 'PutObject',
        fault: { kind: 'reset-response' },
        times: 1,
      });
      const faults: Fault[] = [
        { kind: 'reset-request' },
        { kind: 'reset-response' },
        { kind: 'truncate' },
        { kind: 'delay', ms: 300, phase: 'response' },
        { kind: 'error', status: 500 },
        { kind: 'error', status: 503 },
        { kind: 'error', status: 429 },
      ];
      proxy.setRandom({ probability: 0.15, faults }, seed);
      await deliverThrough(proxy, 'random').catch((err: unknown) => {
        throw new Error(`random faults with seed ${seed}: ${String(err)}`, { cause: err });
      });
      assert.ok((proxy.faultCounts()['reset-response'] ?? 0) >= 1);
    } finally {
      await proxy.close();
    }
  });

  it('puts without the condition when the store refuses If-None-Match (501 NotImplemented)', async () => {
    const proxy = await startFaultProxy(fx.info.endpoint);
    try {
      // overwrite: never asks for a conditional PUT; this store answers the first with 501. The
      // transfer service then looks at the key (HeadObject), finds it free, and puts plainly; for
      // the later files of this destination it looks first and sends no condition.
      proxy.addRule({
        match: (r) => r.operation === 'PutObject',
        fault: { kind: 'error', status: 501 },
        times: 1,
      });
      await deliverThrough(proxy, 'no-conditional');
      assert.equal(proxy.faultCounts().error, 1);
    } finally {
      await proxy.close();
    }
  });

  it('recovers from requests the server accepts and never answers (blackhole)', async () => {
    const proxy = await startFaultProxy(fx.info.endpoint);
    try {
      for (const operation of ['UploadPart', 'PutObject', 'HeadObject'] as const)
        proxy.addRule({
          match: (r) => r.operation === operation,
          fault: { kind: 'blackhole' },
          times: 1,
        });
      await deliverThrough(proxy, 'blackhole');
      assert.equal(proxy.faultCounts().blackhole, 3);
    } finally {
      await proxy.close();
    }
  });
});
