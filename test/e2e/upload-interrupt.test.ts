/**
 * Ctrl-C during `s3ferry upload` (issue 17 item 2): a real SIGINT to the real CLI mid-multipart,
 * slowed by --bwlimit, with small files queued behind the request slots. The interrupt keeps the
 * parts, says how many are on the server and how to go on, exits 130; the rerun sends only the
 * missing parts.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import { EXIT } from '../../src/errors/codes.js';
import {
  cliEnv,
  fileSha256,
  objectDigest,
  runCli,
  spawnCli,
  writeRandomFile,
} from '../support/cli.js';
import { openUploadState, waitForParts } from '../support/journal-watch.js';
import { listAllMultipartUploads } from '../support/s3-server.js';
import { S3Fixture } from '../support/s3-fixture.js';

const MIB = 1024 * 1024;

describe('upload interrupted by Ctrl-C (SIGINT)', () => {
  const fx = S3Fixture.use('interrupt');

  it('keeps the parts, says how many are on the server, exits 130; the rerun sends only the rest', async () => {
    const dir = join(fx.tmp.path, 'src');
    await mkdir(dir);
    const big = join(dir, 'big.bin');
    await writeRandomFile(big, 40 * MIB); // 8 parts of 5 MiB
    for (let i = 0; i < 6; i += 1) await writeFile(join(dir, `small-${i}.txt`), `small ${i}\n`);
    const journal = join(fx.tmp.path, 'j.db');
    const args = (extra: string[]): string[] => [
      'upload',
      dir,
      '--to',
      `s3://${fx.bucket.name}/run/`,
      '--endpoint-url',
      fx.info.endpoint,
      '--journal',
      journal,
      '--part-size',
      '5MiB',
      '--multipart-threshold',
      '5MiB',
      '--concurrency',
      '2',
      ...extra,
    ];
    const proc = spawnCli(args(['--bwlimit', '8MiB']), cliEnv(fx.info));
    await waitForParts(journal, 2);
    proc.child.kill('SIGINT');
    const res = await proc.result;
    assert.equal(res.signal, null, res.stderr);
    assert.equal(res.code, EXIT.interrupted, res.stderr);

    const state = await openUploadState(journal);
    assert.ok(state !== undefined, 'the interrupted upload stays open in the journal');
    const kept = state.parts.length;
    assert.ok(kept >= 2 && kept < 8, `${kept} parts journaled`);
    const listed = await fx.client.send(
      new ListPartsCommand({
        Bucket: fx.bucket.name,
        Key: 'run/big.bin',
        UploadId: state.upload.uploadId ?? '',
      }),
    );
    // a part in flight at the interrupt may have reached the server without its answer
    const onServer = listed.Parts?.length ?? 0;
    assert.ok(onServer >= kept && onServer <= kept + 2, `${onServer} parts on the server`);
    assert.match(
      res.stderr,
      new RegExp(
        `interrupted: \\S*big\\.bin: ${kept} of 8 parts are on the server; run the same command to go on`,
      ),
    );
    assert.doesNotMatch(res.stderr, /AbortMultipartUpload|bug|unexpected/);
    // the summary counts what was sent before the interrupt
    const sent = /\(([\d.]+) MiB sent\)/.exec(res.stderr);
    assert.ok(sent !== null, res.stderr);
    assert.ok(Number(sent[1]) >= kept * 5, res.stderr);

    const again = await runCli(args(['--json']), cliEnv(fx.info));
    assert.equal(again.code, 0, again.stderr + again.stdout);
    const finished = again.events.find(
      (e) => e.type === 'upload.finished' && e.key === 'run/big.bin',
    );
    assert.equal(finished?.resumed, true);
    assert.equal(finished.partsReused, onServer);
    assert.equal(finished.partsSent, 8 - onServer, 'only the missing parts were sent');
    const got = await objectDigest(fx.client, fx.bucket.name, 'run/big.bin');
    assert.equal(got.sha256, await fileSha256(big));
    for (let i = 0; i < 6; i += 1) {
      const small = await objectDigest(fx.client, fx.bucket.name, `run/small-${i}.txt`);
      assert.equal(small.sha256, await fileSha256(join(dir, `small-${i}.txt`)));
    }
    assert.deepEqual(await listAllMultipartUploads(fx.client, fx.bucket.name), []);
  });
});
