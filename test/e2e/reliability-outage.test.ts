/**
 * The S3 gateway goes away mid-run and comes back (issue 5, item 3): while it is down the agent
 * reports the destination unhealthy with the cause and the fix (GET /api/v1/status), files keep
 * being queued, and once the gateway is back every file is delivered and verified. A dedicated RGW
 * cluster is used so that the shared one is never disturbed.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { freePort, startAgentProcess, waitFor } from '../support/agent-process.js';
import { writeRandomFile } from '../support/cli.js';
import {
  createTestBucket,
  makeS3Client,
  startDedicatedRgw,
  type DedicatedRgw,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { deliveryProblems } from '../support/torture/delivery.js';

const MIB = 1024 * 1024;

interface Health {
  healthy: boolean;
  code?: string;
  cause?: string;
  hint?: string;
}
interface Status {
  jobs: { name: string; health: Health }[];
  files: Record<string, number>;
}

describe('gateway outage while the agent runs', () => {
  let rgw: DedicatedRgw;
  let tmp: { path: string; cleanup(): Promise<void> };

  before(async () => {
    rgw = await startDedicatedRgw(`rel-outage-${process.pid}`);
    tmp = await makeTmpDir('rel-outage');
  });
  after(async () => {
    await rgw.stop();
    await tmp.cleanup();
  });

  it('shows the destination unhealthy during the outage, then delivers everything', async () => {
    const bucket = await createTestBucket(rgw, 'outage');
    const client = makeS3Client(rgw);
    const inbox = join(tmp.path, 'inbox');
    await mkdir(inbox);
    const yaml = `api:
  port: ${await freePort()}
journal: ${JSON.stringify(join(tmp.path, 'journal.db'))}
probeInterval: 1s
jobs:
  - name: outage
    sources: [${JSON.stringify(inbox)}]
    settle: 500ms
    destination:
      bucket: ${bucket.name}
      endpoint: ${rgw.endpoint}
      partSize: 5MiB
      multipartThreshold: 5MiB
      concurrency: 4
      bwlimit: 16MiB
`;
    const agent = await startAgentProcess(join(tmp.path, 'agent'), yaml, rgw);
    const status = (): Promise<Status> => agent.api<Status>('GET', '/api/v1/status');
    try {
      // before: a few files go up normally
      for (let i = 0; i < 3; i += 1) await writeFile(join(inbox, `before-${i}.txt`), `b${i}\n`);
      await waitFor('the first files done', async () => (await status()).files.done === 3);
      // a big file is uploading when the gateway dies
      await writeRandomFile(join(inbox, 'big.bin'), 40 * MIB);
      await waitFor('the big upload started', () =>
        Promise.resolve(/"event":"upload.started".*big\.bin/.test(agent.log())),
      );
      await rgw.killGateway();
      // files that arrive meanwhile are queued and wait
      for (let i = 0; i < 5; i += 1) await writeFile(join(inbox, `during-${i}.txt`), `d${i}\n`);
      const down = await waitFor(
        'the destination reported unhealthy',
        async () => {
          const s = await status();
          return s.jobs[0]?.health.healthy === false ? s : undefined;
        },
        90_000,
      );
      const health = down.jobs[0]?.health;
      assert.equal(health?.code, 'ERR_S3_ENDPOINT_UNREACHABLE', JSON.stringify(health));
      assert.match(health.cause ?? '', /cannot connect to .*ECONNREFUSED/);
      assert.match(health.hint ?? '', /endpoint/);
      await sleep(2000); // it stays unhealthy while the gateway is down
      assert.equal((await status()).jobs[0]?.health.healthy, false);

      await rgw.startGateway();
      await waitFor('healthy again', async () => (await status()).jobs[0]?.health.healthy);
      const total = 3 + 1 + 5;
      await waitFor(
        `all ${total} files done`,
        async () => (await status()).files.done === total,
        180_000,
      );
      assert.match(agent.log(), /"event":"destination.unhealthy"/);
      assert.match(agent.log(), /"event":"destination.healthy"/);
    } finally {
      await agent.stop();
    }
    try {
      assert.deepEqual(await deliveryProblems(client, bucket.name, '', inbox), []);
    } finally {
      client.destroy();
      await bucket.cleanup();
    }
  });
});
