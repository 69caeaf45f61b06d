/**
 * `s3ferry upload` against the real RGW: the bytes of every object equal the file's, for the
 * sizes around the multipart boundary and for awkward names; the journal records the history.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { cliEnv, fileSha256, objectDigest, runCli, writeRandomFile } from '../support/cli.js';
import { listAllObjects } from '../support/s3-server.js';
import { S3Fixture } from '../support/s3-fixture.js';

const MIB = 1024 * 1024;
const SIZES: readonly [string, number][] = [
  ['zero.bin', 0],
  ['one.bin', 1],
  ['five-mib-minus-1.bin', 5 * MIB - 1],
  ['five-mib.bin', 5 * MIB],
  ['five-mib-plus-1.bin', 5 * MIB + 1],
  ['sixty-four-mib.bin', 64 * MIB],
];
const NAMES = [
  'with space.txt',
  'ünïcødé-日本語.txt',
  'odd #?&%+= chars.txt',
  'deep/er/nested dir/file.txt',
];

describe('upload round trip', () => {
  const fx = S3Fixture.use('roundtrip');

  it('uploads files around the 5 MiB multipart boundary byte for byte', async () => {
    const dir = join(fx.tmp.path, 'sizes');
    await mkdir(dir);
    for (const [name, size] of SIZES) await writeRandomFile(join(dir, name), size);
    const journal = join(fx.tmp.path, 'sizes.db');
    const res = await runCli(
      [
        'upload',
        dir,
        '--to',
        `s3://${fx.bucket.name}/sizes`,
        '--endpoint-url',
        fx.info.endpoint,
        '--part-size',
        '5MiB',
        '--multipart-threshold',
        '5MiB',
        '--journal',
        journal,
        '--json',
      ],
      cliEnv(fx.info),
    );
    assert.equal(res.code, 0, res.stderr + res.stdout);
    for (const [name, size] of SIZES) {
      const got = await objectDigest(fx.client, fx.bucket.name, `sizes/${name}`);
      assert.equal(got.size, size, name);
      assert.equal(got.sha256, await fileSha256(join(dir, name)), name);
    }
    const finished = res.events.filter((e) => e.type === 'upload.finished');
    assert.equal(finished.length, SIZES.length);
    // 5 MiB and above go in parts of 5 MiB: 5 MiB is one part, 5 MiB + 1 two, 64 MiB thirteen
    const head = await fx.client.send(
      new HeadObjectCommand({ Bucket: fx.bucket.name, Key: 'sizes/five-mib-plus-1.bin' }),
    );
    assert.match(head.ETag ?? '', /-2"$/);
    const big = await fx.client.send(
      new HeadObjectCommand({ Bucket: fx.bucket.name, Key: 'sizes/sixty-four-mib.bin' }),
    );
    assert.match(big.ETag ?? '', /-13"$/);
    assert.equal(big.ContentType, 'application/octet-stream');

    const store = await SqliteJournalStore.open({ path: journal });
    try {
      const history = await store.listHistory({ limit: 100 });
      assert.equal(history.length, SIZES.length);
      assert.ok(
        history.every((h) => h.result === 'done' && h.etag !== null && h.bucket === fx.bucket.name),
      );
      assert.deepEqual(await store.listOpenUploads(), []);
    } finally {
      await store.close();
    }
  });

  it('keeps names with spaces, unicode, #?&%+= and nested directories as keys', async () => {
    const dir = join(fx.tmp.path, 'names');
    for (const name of NAMES) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), `content of ${name}\n`);
    }
    const res = await runCli(
      [
        'upload',
        dir,
        '--to',
        `s3://${fx.bucket.name}/names/`,
        '--endpoint-url',
        fx.info.endpoint,
        '--journal',
        join(fx.tmp.path, 'names.db'),
      ],
      cliEnv(fx.info),
    );
    assert.equal(res.code, 0, res.stderr);
    const keys = (await listAllObjects(fx.client, fx.bucket.name))
      .map((o) => o.key)
      .filter((k) => k.startsWith('names/'));
    assert.deepEqual(keys.sort(), NAMES.map((n) => `names/${n}`).sort());
    for (const name of NAMES) {
      const got = await objectDigest(fx.client, fx.bucket.name, `names/${name}`);
      assert.equal(got.sha256, await fileSha256(join(dir, name)));
    }
    assert.match(res.stderr, /uploaded 4 of 4 files/);
  });

  it('uploads single files and globs; content type comes from the extension', async () => {
    const dir = join(fx.tmp.path, 'glob');
    await mkdir(join(dir, 'sub'), { recursive: true });
    await writeFile(join(dir, 'a.json'), '{"a":1}');
    await writeFile(join(dir, 'b.txt'), 'b');
    await writeFile(join(dir, 'sub', 'c.json'), '{"c":3}');
    const res = await runCli(
      [
        'upload',
        join(dir, 'b.txt'),
        `${dir}/**/*.json`,
        '--to',
        `s3://${fx.bucket.name}/g`,
        '--endpoint-url',
        fx.info.endpoint,
        '--journal',
        join(fx.tmp.path, 'g.db'),
      ],
      cliEnv(fx.info),
    );
    assert.equal(res.code, 0, res.stderr);
    const keys = (await listAllObjects(fx.client, fx.bucket.name))
      .map((o) => o.key)
      .filter((k) => k.startsWith('g/'));
    assert.deepEqual(keys.sort(), ['g/a.json', 'g/b.txt', 'g/sub/c.json']);
    const head = await fx.client.send(
      new HeadObjectCommand({ Bucket: fx.bucket.name, Key: 'g/a.json' }),
    );
    assert.equal(head.ContentType, 'application/json');
  });

  it('a path that does not exist fails with the path named and exit code 1, uploading nothing', async () => {
    const res = await runCli(
      [
        'upload',
        join(fx.tmp.path, 'nope.bin'),
        '--to',
        `s3://${fx.bucket.name}/x`,
        '--endpoint-url',
        fx.info.endpoint,
        '--journal',
        join(fx.tmp.path, 'x.db'),
      ],
      cliEnv(fx.info),
    );
    assert.equal(res.code, 1);
    assert.match(res.stderr, /nope\.bin: no such file/);
  });
});
