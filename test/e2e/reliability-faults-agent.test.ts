/**
 * The agent (`s3ferry run`) through the fault proxy: random resets, truncations, delays and error
 * answers, a conditional PUT whose answer is lost, a store that stops keeping conditional PUTs
 * (probed again, then followed), and a server that accepts requests and never answers (the
 * destination's `requestTimeout` ends them). Every file ends done in the journal and its object
 * has its bytes; nothing else is written; no multipart upload is left. The faults are the files'
 * requests': the capability probe at the start (a few requests on a scratch key of its own,
 * test/e2e/capabilities-probe.test.ts) is left alone, except where a test is about it.
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
import { isProbeKey } from '../../src/domain/capabilities.js';
import {
  startFaultProxy,
  type Fault,
  type FaultProxy,
  type RequestInfo,
} from '../support/fault-proxy.js';
import { S3Fixture } from '../support/s3-fixture.js';
import { testId } from '../support/tmp.js';
import { deliveryProblems, writeSampleFiles } from '../support/torture/delivery.js';

interface Status {
  files: Record<string, number>;
  jobs: { capabilities?: { capabilities: Record<string, boolean> } }[];
}

/** A request of a file (not of the capability probe's scratch key). */
const ofFile = (r: RequestInfo): boolean => !isProbeKey(r.key);

describe('the agent through network faults', () => {
  const fx = S3Fixture.use('faults-agent');

  /**
   * Runs an agent through `proxy` over the sample files until all are done; checks the result.
   * `whileRunning` looks at the agent once they are, before it stops.
   */
  async function deliverThrough(
    proxy: FaultProxy,
    label: string,
    whileRunning?: (agent: AgentProcess) => Promise<void>,
  ): Promise<AgentProcess> {
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
      await whileRunning?.(agent);
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
        match: (r) => r.operation === 'PutObject' && ofFile(r),
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
      proxy.setRandom({ probability: 0.15, faults, match: ofFile }, seed);
      await deliverThrough(proxy, 'random').catch((err: unknown) => {
        throw new Error(`random faults with seed ${seed}: ${String(err)}`, { cause: err });
      });
      assert.ok((proxy.faultCounts()['reset-response'] ?? 0) >= 1);
    } finally {
      await proxy.close();
    }
  });

  it('a store that stops keeping If-None-Match (501 NotImplemented) is probed again, then files go by a look and a plain PUT', async () => {
    const proxy = await startFaultProxy(fx.info.endpoint);
    try {
      // overwrite: never asks for a conditional PUT where the store keeps it. The probe at the
      // start finds it kept (RGW answers its second PUT 412); from then on this store answers
      // every conditional PUT with 501. The first file refused makes the agent probe again (not
      // guess): the probe's own conditional PUT gets 501 too, so the files of this destination
      // look at the key (HeadObject) and put plainly, and send no condition any more.
      proxy.addRule({
        match: (r) => r.operation === 'PutObject' && r.conditional,
        fault: { kind: 'error', status: 501 },
        skip: 1,
      });
      let status: Status | undefined;
      let reprobes: unknown[] = [];
      await deliverThrough(proxy, 'no-conditional', async (agent) => {
        status = await agent.api<Status>('GET', '/api/v1/status');
        reprobes = (
          await agent.api<{ items: unknown[] }>('GET', '/api/v1/events?type=destination.reprobe')
        ).items;
      });
      const probes = proxy.log.filter(
        (e) => e.operation === 'PutObject' && e.conditional && !ofFile(e),
      );
      assert.deepEqual(
        probes.map((e) => e.status),
        [412, 501],
        'the probe at the start, and one probe again',
      );
      // each small file: refused once (then a look and a plain PUT), or, once the probe had
      // answered, a look and a plain PUT; never a condition after the refusal
      const byKey = new Map<string, string[]>();
      for (const e of proxy.log.filter((x) => ofFile(x) && x.key !== '')) {
        const op = `${e.operation}${e.conditional ? '?' : ''} ${e.status}`;
        byKey.set(e.key, [...(byKey.get(e.key) ?? []), op]);
      }
      const small = [...byKey.entries()].filter(([, ops]) => ops.some((o) => o.startsWith('Put')));
      assert.equal(small.length, 4, JSON.stringify([...byKey]));
      for (const [key, ops] of small)
        assert.ok(
          ['PutObject? 501,HeadObject 404,PutObject 200', 'HeadObject 404,PutObject 200'].includes(
            ops.join(),
          ),
          `${key}: ${ops.join(', ')}`,
        );
      assert.ok(
        small.some(([, ops]) => ops[0] === 'PutObject? 501'),
        'a refusal made the probe',
      );
      assert.equal(status?.jobs[0]?.capabilities?.capabilities.conditionalPut, false);
      assert.equal(reprobes.length, 1, JSON.stringify(reprobes));
    } finally {
      await proxy.close();
    }
  });

  it('recovers from requests the server accepts and never answers (blackhole)', async () => {
    const proxy = await startFaultProxy(fx.info.endpoint);
    try {
      for (const operation of ['UploadPart', 'PutObject', 'HeadObject'] as const)
        proxy.addRule({
          match: (r) => r.operation === operation && ofFile(r),
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
