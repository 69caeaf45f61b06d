/**
 * A directory of 100,000 files (issue 5, item 4). Uploading them all takes the local RGW about
 * 20 minutes, too long for the suite; so this test asserts that every one of the 100,000 is
 * journaled while the agent's memory stays bounded, and that the first thousands are uploaded and
 * verified meanwhile. The job uses `mode: scan` (the streaming rescan, no inotify watches): with
 * chokidar watching, one watch per file, memory grows with the tree (see docs/reliability.md).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../support/agent-process.js';
import { cliEnv, cliToken, objectDigest } from '../support/cli.js';
import {
  createTestBucket,
  listAllObjects,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { startSession, type AgentSession } from '../support/torture/agent-runner.js';

const DIRS = 100;
const PER_DIR = 1000;
const FILES = DIRS * PER_DIR;
/** Peak RSS allowed while journaling them all. */
const RSS_LIMIT_MIB = 400;
const UPLOADED_AT_LEAST = 1000;

const content = (d: number, i: number): string => `file ${d}/${i}\n`;

async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

describe('a directory of 100,000 files', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let agent: AgentSession | undefined;

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'many-files');
    tmp = await makeTmpDir('many-files');
  });
  after(async () => {
    await agent?.stop();
    client.destroy();
    await bucket.cleanup(); // thousands of objects: takes a few seconds
    await tmp.cleanup();
  });

  it(`journals all ${FILES} with bounded memory while the first thousands go up`, async () => {
    const inbox = join(tmp.path, 'inbox');
    for (let d = 0; d < DIRS; d += 1) {
      const dir = join(inbox, `d${String(d).padStart(3, '0')}`);
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < PER_DIR; i += 1)
        writeFileSync(join(dir, `f${String(i).padStart(4, '0')}.txt`), content(d, i));
    }
    const port = await freePort();
    const api = `http://127.0.0.1:${port}`;
    const config = join(tmp.path, 's3ferry.yaml');
    writeFileSync(
      config,
      `api:
  port: ${port}
journal: ${JSON.stringify(join(tmp.path, 'journal.db'))}
jobs:
  - name: many
    sources: [${JSON.stringify(inbox)}]
    mode: scan
    settle: 1s
    destination:
      bucket: ${bucket.name}
      endpoint: ${info.endpoint}
`,
    );
    agent = startSession(1, config, tmp.path, cliEnv(info), api, join(tmp.path, 'agent.log'));
    const pid = agent.child.pid ?? 0;
    // the API listens once the start-up scan has walked the tree
    assert.ok(await agent.healthy(300_000), 'the agent answers');
    const headers = {
      authorization: `Bearer ${(await cliToken(api, cliEnv(info), config)) ?? ''}`,
    };
    const counts = async (): Promise<Record<string, number>> =>
      (
        (await (await fetch(`${api}/api/v1/status`, { headers })).json()) as {
          files: Record<string, number>;
        }
      ).files;
    let files: Record<string, number> = {};
    const deadline = Date.now() + 540_000;
    for (;;) {
      files = await counts();
      const journaled = Object.values(files).reduce((a, b) => a + b, 0);
      if (journaled === FILES && (files.done ?? 0) >= UPLOADED_AT_LEAST) break;
      assert.ok(!agent.exitedOnItsOwn(), 'the agent keeps running');
      assert.ok(Date.now() < deadline, `not there in time: ${JSON.stringify(files)}`);
      await sleep(2000);
    }
    const peak = await peakRssMiB(pid);
    process.stdout.write(
      `# ${FILES} files journaled; ${files.done ?? 0} uploaded meanwhile; agent peak RSS ${peak.toFixed(0)} MiB\n`,
    );
    assert.ok(peak < RSS_LIMIT_MIB, `peak RSS ${peak.toFixed(0)} MiB >= ${RSS_LIMIT_MIB} MiB`);
    assert.equal(files.parked ?? 0, 0);
    await agent.stop();
    agent = undefined;

    // what the journal calls done is in the bucket, byte for byte (a sample is read back)
    const objects = await listAllObjects(client, bucket.name);
    assert.ok(objects.length >= UPLOADED_AT_LEAST);
    for (const o of objects.filter((_, i) => i % 100 === 0)) {
      const m = /^d(\d{3})\/f(\d{4})\.txt$/.exec(o.key);
      assert.ok(m !== null, o.key);
      const body = content(Number(m[1]), Number(m[2]));
      const got = await objectDigest(client, bucket.name, o.key);
      assert.equal(got.size, Buffer.byteLength(body), o.key);
    }
  });
});
