/**
 * Files that change under the agent (issue 5, item 4): deleted before their upload, deleted during
 * it, truncated during it, growing during it. Never is a torn object published: a file that is
 * gone is reported as such with no object and no multipart upload left behind; a file that
 * changed is started afresh once it is stable and its object holds its final bytes.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { fileSha256, objectDigest, writeRandomFile } from '../support/cli.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import {
  createTestBucket,
  listAllMultipartUploads,
  listAllObjects,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const MIB = 1024 * 1024;

interface FileRow {
  path: string;
  state: string;
  reason: { code: string; message: string; hint: string | null } | null;
}

describe('files that change under the agent', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let agent: AgentProcess;
  let proxy: FaultProxy;
  let inbox: string;

  const keys = async (): Promise<string[]> =>
    (await listAllObjects(client, bucket.name)).map((o) => o.key);
  const logged = (event: string, name: string): boolean =>
    new RegExp(`"event":"${event}","path":"[^"]*/${name}"`).test(agent.log());
  const uploading = (name: string): Promise<boolean> =>
    waitFor(`${name} uploading`, () => Promise.resolve(logged('upload.started', name)));
  /** The journal's record of a file, whatever its state. */
  const record = async (name: string): Promise<FileRow | undefined> => {
    for (const state of ['pending', 'waiting', 'parked'] as const) {
      const page = await agent.api<{ items: FileRow[] }>('GET', `/api/v1/queue?state=${state}`);
      const row = page.items.find((f) => f.path.endsWith(`/${name}`));
      if (row !== undefined) return row;
    }
    return undefined;
  };

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'bad-changes');
    tmp = await makeTmpDir('bad-changes');
    inbox = join(tmp.path, 'inbox');
    await mkdir(inbox);
    // no fault unless a test asks for one
    proxy = await startFaultProxy(info.endpoint);
    const yaml = `api:
  port: ${await freePort()}
jobs:
  - name: changes
    sources: [${JSON.stringify(inbox)}]
    settle: 1s
    destination:
      bucket: ${bucket.name}
      endpoint: ${proxy.url}
      partSize: 5MiB
      multipartThreshold: 5MiB
      concurrency: 2
      bwlimit: 4MiB
`;
    agent = await startAgentProcess(join(tmp.path, 'agent'), yaml, info);
  });
  after(async () => {
    await agent.stop();
    await proxy.close();
    client.destroy();
    await bucket.cleanup();
    await tmp.cleanup();
  });

  it('a file deleted before its upload is cancelled with the reason; nothing is written', async () => {
    await agent.api('POST', '/api/v1/pause', {});
    await writeFile(join(inbox, 'gone-before.txt'), 'here a moment\n');
    await waitFor(
      'queued while paused',
      async () => (await record('gone-before.txt'))?.state === 'queued',
    );
    await unlink(join(inbox, 'gone-before.txt'));
    await agent.api('POST', '/api/v1/resume', {});
    await waitFor('cancelled', () => Promise.resolve(logged('file.cancelled', 'gone-before.txt')));
    assert.match(
      agent.log(),
      /"event":"file.cancelled".*gone-before\.txt vanished before its upload/,
    );
    assert.ok(!(await keys()).includes('gone-before.txt'));
  });

  it('a file deleted during its upload is parked with the reason; no object, no upload left', async () => {
    const path = join(inbox, 'gone-during.bin');
    await writeRandomFile(path, 24 * MIB);
    await uploading('gone-during.bin');
    await unlink(path);
    // it is read from the open file until Complete, whose check finds the path gone
    const row = await waitFor(
      'gone-during.bin parked',
      async () => {
        const r = await record('gone-during.bin');
        return r?.state === 'parked' ? r : undefined;
      },
      180_000,
    );
    assert.equal(row.reason?.code, 'ERR_FILE_NOT_FOUND');
    assert.match(row.reason.message, /gone-during\.bin: no such file \(it was deleted or moved\)/);
    assert.ok(!(await keys()).includes('gone-during.bin'), 'no object of a deleted file');
    assert.deepEqual(await listAllMultipartUploads(client, bucket.name), []);
  });

  it('a file deleted between the creation of its multipart upload and its first read: the same', async () => {
    // the answer to CreateMultipartUpload is held back: the file is gone before it is opened
    proxy.addRule({
      match: (r) => r.operation === 'CreateMultipartUpload' && r.key === 'gone-early.bin',
      fault: { kind: 'delay', ms: 1500, phase: 'response' },
      times: 1,
    });
    const path = join(inbox, 'gone-early.bin');
    await writeRandomFile(path, 12 * MIB);
    await uploading('gone-early.bin');
    await unlink(path);
    const row = await waitFor('gone-early.bin parked', async () => {
      const r = await record('gone-early.bin');
      return r?.state === 'parked' ? r : undefined;
    });
    assert.equal(proxy.faultCounts().delay, 1, 'the Create was held back');
    assert.equal(row.reason?.code, 'ERR_FILE_NOT_FOUND');
    assert.match(row.reason.message, /gone-early\.bin: no such file/);
    assert.ok(!(await keys()).includes('gone-early.bin'), 'no object of a deleted file');
    assert.deepEqual(await listAllMultipartUploads(client, bucket.name), [], 'no upload left');
  });

  it('a file truncated during its upload is sent afresh; the object holds the final bytes', async () => {
    const path = join(inbox, 'truncated.bin');
    await writeRandomFile(path, 24 * MIB);
    await uploading('truncated.bin');
    await truncate(path, 3 * MIB + 5);
    await waitFor(
      'truncated.bin delivered',
      async () => (await keys()).includes('truncated.bin'),
      180_000,
    );
    const got = await objectDigest(client, bucket.name, 'truncated.bin');
    assert.equal(got.size, 3 * MIB + 5);
    assert.equal(got.sha256, await fileSha256(path), 'no torn object');
  });

  it('a file growing during its upload is sent afresh once stable; the object holds it all', async () => {
    const path = join(inbox, 'growing.bin');
    await writeRandomFile(path, 16 * MIB);
    await uploading('growing.bin');
    await appendFile(path, Buffer.alloc(2 * MIB, 7));
    await waitFor(
      'growing.bin delivered',
      async () => (await keys()).includes('growing.bin'),
      180_000,
    );
    const got = await objectDigest(client, bucket.name, 'growing.bin');
    assert.equal(got.size, 18 * MIB);
    assert.equal(got.sha256, await fileSha256(path), 'no torn object');
    assert.match(agent.log(), /growing\.bin.*changed during its upload/);
    assert.deepEqual(await listAllMultipartUploads(client, bucket.name), []);
  });

  it('a file that changes during its upload is worked on by one worker at a time', () => {
    const lines = agent
      .log()
      .split('\n')
      .filter((l) => /"path":"[^"]*\/growing\.bin"/.test(l));
    const starts = lines.filter((l) => /"event":"upload\.(started|resumed)"/.test(l));
    const restarts = lines.filter((l) => /"event":"upload\.restarted"/.test(l));
    // one claim: its first start, and one more per restart of that same claim
    assert.equal(starts.length, 1 + restarts.length, starts.join('\n'));
    const done = lines.find((l) => /"event":"file\.done"/.test(l)) ?? '';
    assert.match(done, new RegExp(`"size":${18 * MIB}[,}]`), 'file.done reports the final size');
  });
});
