/**
 * Interrupted uploads, with the real CLI process and the real RGW: SIGKILL mid-upload then rerun;
 * the file changes between kill and rerun; --no-resume. What is asserted is what a user checks:
 * the object's bytes, what the server still holds, and how many parts were sent again.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import {
  cliEnv,
  fileSha256,
  objectDigest,
  runCli,
  spawnCli,
  writeRandomFile,
} from '../support/cli.js';
import { openUploadState, waitForParts, type OpenUploadState } from '../support/journal-watch.js';
import { listAllMultipartUploads } from '../support/s3-server.js';
import { S3Fixture } from '../support/s3-fixture.js';

const MIB = 1024 * 1024;
const CONCURRENCY = 4;

describe('upload interrupted by SIGKILL', () => {
  const fx = S3Fixture.use('crash');

  const args = (file: string, key: string, journal: string, extra: string[] = []): string[] => [
    'upload',
    file,
    '--to',
    `s3://${fx.bucket.name}/${key}/`,
    '--endpoint-url',
    fx.info.endpoint,
    '--journal',
    journal,
    '--part-size',
    '5MiB',
    '--concurrency',
    String(CONCURRENCY),
    '--json',
    ...extra,
  ];

  /** Starts an upload slowed by --bwlimit, SIGKILLs it once `minParts` are journaled. */
  async function killMidway(
    file: string,
    key: string,
    journal: string,
    minParts: number,
  ): Promise<OpenUploadState> {
    const proc = spawnCli(args(file, key, journal, ['--bwlimit', '40MiB']), cliEnv(fx.info));
    await waitForParts(journal, minParts);
    proc.child.kill('SIGKILL');
    const res = await proc.result;
    assert.equal(res.signal, 'SIGKILL', 'the upload must still have been running when killed');
    const state = await openUploadState(journal);
    assert.ok(state !== undefined, 'an open upload stays in the journal after the kill');
    return state;
  }

  async function serverParts(
    key: string,
    uploadId: string,
  ): Promise<{ partNumber: number; etag: string }[]> {
    const out = await fx.client.send(
      new ListPartsCommand({
        Bucket: fx.bucket.name,
        Key: key,
        UploadId: uploadId,
        MaxParts: 1000,
      }),
    );
    return (out.Parts ?? []).map((p) => ({
      partNumber: p.PartNumber ?? 0,
      etag: (p.ETag ?? '').replace(/"/g, ''),
    }));
  }

  it('resumes after a kill, sending only the parts the server lacks', async () => {
    const file = join(fx.tmp.path, 'big.bin');
    const journal = join(fx.tmp.path, 'resume.db');
    const size = 256 * MIB;
    await writeRandomFile(file, size);
    const key = 'resume/big.bin';
    const killed = await killMidway(file, 'resume', journal, 8);
    const total = killed.upload.partCount;
    const uploadId = killed.upload.uploadId ?? '';
    const onServer = await serverParts(key, uploadId);
    // every journaled part is on the server with the same ETag
    for (const p of killed.parts)
      assert.ok(
        onServer.some((s) => s.partNumber === p.partNumber && s.etag === p.etag),
        `part ${p.partNumber}`,
      );
    // what the server has beyond the journal was in flight at the kill
    assert.ok(
      onServer.length - killed.parts.length <= CONCURRENCY,
      `${onServer.length} on server, ${killed.parts.length} journaled`,
    );
    assert.ok(onServer.length < total, 'the kill came before the end');

    const res = await runCli(args(file, 'resume', journal), cliEnv(fx.info));
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const resumed = res.events.find((e) => e.type === 'upload.resumed');
    assert.equal(resumed?.partsOnServer, onServer.length);
    const finished = res.events.find((e) => e.type === 'upload.finished');
    assert.equal(finished?.resumed, true);
    assert.equal(finished.partsReused, onServer.length);
    assert.equal(finished.partsSent, total - onServer.length, 'only the missing parts were sent');
    assert.ok(finished.partsSent <= total - killed.parts.length);

    const got = await objectDigest(fx.client, fx.bucket.name, key);
    assert.equal(got.size, size);
    assert.equal(got.sha256, await fileSha256(file));
    assert.deepEqual(await listAllMultipartUploads(fx.client, fx.bucket.name), []);
  });

  it('starts afresh when the file changed between the kill and the rerun, aborting the stale upload', async () => {
    const file = join(fx.tmp.path, 'changing.bin');
    const journal = join(fx.tmp.path, 'changed.db');
    await writeRandomFile(file, 128 * MIB);
    const killed = await killMidway(file, 'changed', journal, 4);
    await writeRandomFile(file, 100 * MIB + 123); // new content, new size
    const res = await runCli(args(file, 'changed', journal), cliEnv(fx.info));
    assert.equal(res.code, 0, res.stderr + res.stdout);
    assert.ok(
      res.events.some((e) => e.type === 'upload.abandoned' && /changed/.test(String(e.message))),
    );
    const got = await objectDigest(fx.client, fx.bucket.name, 'changed/changing.bin');
    assert.equal(got.sha256, await fileSha256(file), 'the object is the new content, not a mix');
    const finished = res.events.find((e) => e.type === 'upload.finished');
    assert.equal(finished?.partsReused, 0);
    await assert.rejects(
      serverParts('changed/changing.bin', killed.upload.uploadId ?? ''),
      'the stale upload was aborted',
    );
    assert.deepEqual(await listAllMultipartUploads(fx.client, fx.bucket.name), []);
  });

  it('--no-resume aborts the earlier upload and starts over', async () => {
    const file = join(fx.tmp.path, 'noresume.bin');
    const journal = join(fx.tmp.path, 'noresume.db');
    await writeRandomFile(file, 96 * MIB);
    const killed = await killMidway(file, 'noresume', journal, 4);
    assert.equal(
      (await listAllMultipartUploads(fx.client, fx.bucket.name)).filter((u) =>
        u.key.startsWith('noresume/'),
      ).length,
      1,
    );
    const res = await runCli(args(file, 'noresume', journal, ['--no-resume']), cliEnv(fx.info));
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const finished = res.events.find((e) => e.type === 'upload.finished');
    assert.equal(finished?.resumed, false);
    assert.equal(finished.partsReused, 0);
    assert.equal(finished.partsSent, killed.upload.partCount);
    await assert.rejects(serverParts('noresume/noresume.bin', killed.upload.uploadId ?? ''));
    assert.deepEqual(
      await listAllMultipartUploads(fx.client, fx.bucket.name),
      [],
      'no multipart upload is left',
    );
    const got = await objectDigest(fx.client, fx.bucket.name, 'noresume/noresume.bin');
    assert.equal(got.sha256, await fileSha256(file));
  });
});
