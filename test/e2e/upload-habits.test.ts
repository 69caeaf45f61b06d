/**
 * `s3ferry upload` with the habits of `aws s3 cp` and `rclone copy` (issue 17): --exclude and
 * --include in the order given, --dry-run, --quiet, a rerun that skips what the journal knows as
 * uploaded and unchanged (--force sends again), --if-none-match skipping a taken key, and one
 * file to a URL that names a key. Against the real RGW, with the real CLI.
 */
import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { cliEnv, fileSha256, objectDigest, runCli } from '../support/cli.js';
import { listAllObjects } from '../support/s3-server.js';
import { S3Fixture } from '../support/s3-fixture.js';

describe('upload habits', () => {
  const fx = S3Fixture.use('habits');

  const upload = (paths: string[], to: string, journal: string, extra: string[] = []) =>
    runCli(
      [
        'upload',
        ...paths,
        '--to',
        `s3://${fx.bucket.name}/${to}`,
        '--endpoint-url',
        fx.info.endpoint,
        '--journal',
        join(fx.tmp.path, journal),
        ...extra,
      ],
      cliEnv(fx.info),
    );

  const keysUnder = async (prefix: string): Promise<string[]> =>
    (await listAllObjects(fx.client, fx.bucket.name))
      .map((o) => o.key)
      .filter((k) => k.startsWith(prefix))
      .sort();

  /** A tree: a.txt, b.tmp, keep.tmp, sub/c.txt, sub/d.tmp, sub/deep/e.log, .hidden */
  async function tree(name: string): Promise<string> {
    const dir = join(fx.tmp.path, name);
    await mkdir(join(dir, 'sub', 'deep'), { recursive: true });
    for (const f of ['a.txt', 'b.tmp', 'keep.tmp', 'sub/c.txt', 'sub/d.tmp', 'sub/deep/e.log'])
      await writeFile(join(dir, f), `${f}\n`);
    await writeFile(join(dir, '.hidden'), 'hidden\n');
    return dir;
  }

  it('--exclude and --include apply in the order given; the last that matches decides', async () => {
    const dir = await tree('filters');
    const res = await upload([dir], 'f1/', 'f1.db', [
      '--exclude',
      '*.tmp',
      '--include',
      'keep.tmp',
      '--exclude',
      'sub/deep/**',
    ]);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(await keysUnder('f1/'), [
      'f1/.hidden',
      'f1/a.txt',
      'f1/keep.tmp',
      'f1/sub/c.txt',
    ]);
    // the same filters the other way round: the later --exclude wins over the --include
    const again = await upload([dir], 'f2/', 'f2.db', [
      '--exclude',
      '*',
      '--include',
      '*.txt',
      '--exclude',
      'sub/*',
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await keysUnder('f2/'), ['f2/a.txt']);
  });

  it('--dry-run prints what would go where and sends nothing', async () => {
    const dir = await tree('dry');
    const res = await upload([dir], 'dry/', 'dry.db', ['--dry-run', '--exclude', '*.tmp']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(
      res.stderr,
      new RegExp(
        `would upload ${dir}/sub/c\\.txt to s3://${fx.bucket.name}/dry/sub/c\\.txt \\(10 B\\)`,
      ),
    );
    assert.doesNotMatch(res.stderr, /b\.tmp/);
    assert.match(
      res.stderr,
      /dry run: 4 files \(\d+ B\) would be uploaded, 0 skipped; nothing was sent/,
    );
    assert.deepEqual(await keysUnder('dry/'), []);
    const json = await upload([dir], 'dry/', 'dry.db', ['--dry-run', '--json']);
    assert.equal(json.code, 0);
    const planned = json.events.filter((e) => e.type === 'dry-run');
    assert.equal(planned.length, 7);
    assert.ok(planned.every((e) => e.action === 'upload'));
    assert.deepEqual(await keysUnder('dry/'), []);
  });

  it('a rerun skips the files the journal knows as uploaded and unchanged; --force sends again', async () => {
    const dir = await tree('rerun');
    const first = await upload([dir], 'rerun/', 'rerun.db');
    assert.equal(first.code, 0, first.stderr);
    await writeFile(join(dir, 'sub', 'c.txt'), 'changed content\n');
    await utimes(join(dir, 'a.txt'), new Date(), new Date(Date.now() - 3_600_000)); // mtime moved
    const second = await upload([dir], 'rerun/', 'rerun.db', ['--json']);
    assert.equal(second.code, 0, second.stderr);
    const sent = second.events.filter((e) => e.type === 'upload.finished').map((e) => e.key);
    assert.deepEqual(sent.sort(), ['rerun/a.txt', 'rerun/sub/c.txt']);
    const skipped = second.events.filter((e) => e.type === 'file.skipped');
    assert.equal(skipped.length, 5);
    assert.ok(skipped.every((e) => e.reason === 'unchanged'));
    const summary = second.events.find((e) => e.type === 'summary');
    assert.equal(summary?.skipped, 5);
    assert.equal(summary.uploaded, 2);
    assert.equal(
      (await objectDigest(fx.client, fx.bucket.name, 'rerun/sub/c.txt')).sha256,
      await fileSha256(join(dir, 'sub', 'c.txt')),
    );
    // human output: a line per skipped file and the count in the summary
    const third = await upload([dir], 'rerun/', 'rerun.db');
    assert.equal(third.code, 0);
    assert.match(third.stderr, new RegExp(`skipped: unchanged ${dir}/sub/deep/e\\.log`));
    assert.match(third.stderr, /uploaded 0 of 7 files, .*; 7 skipped \(7 unchanged\)/);
    // another key is another upload
    const elsewhere = await upload([dir], 'elsewhere/', 'rerun.db', ['--json']);
    assert.equal(elsewhere.events.filter((e) => e.type === 'upload.finished').length, 7);
    const forced = await upload([dir], 'rerun/', 'rerun.db', ['--json', '--force']);
    assert.equal(forced.code, 0);
    assert.equal(forced.events.filter((e) => e.type === 'upload.finished').length, 7);
  });

  it('--if-none-match: a key another writer took is a skip, not an error', async () => {
    const dir = join(fx.tmp.path, 'inm');
    await mkdir(dir);
    await writeFile(join(dir, 'mine.txt'), 'mine\n');
    await writeFile(join(dir, 'theirs.txt'), 'mine too\n');
    await fx.client.send(
      new PutObjectCommand({ Bucket: fx.bucket.name, Key: 'inm/theirs.txt', Body: 'theirs\n' }),
    );
    const res = await upload([dir], 'inm/', 'inm.db', ['--if-none-match']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, new RegExp(`skipped: exists ${dir}/theirs\\.txt`));
    assert.match(res.stderr, /uploaded 1 of 2 files, .*; 1 skipped \(1 exist\)/);
    assert.doesNotMatch(res.stderr, /FAILED|error/);
    const theirs = await objectDigest(fx.client, fx.bucket.name, 'inm/theirs.txt');
    assert.equal(theirs.size, 'theirs\n'.length, "the other writer's object is untouched");
    const store = await SqliteJournalStore.open({ path: join(fx.tmp.path, 'inm.db') });
    try {
      const rows = await store.listHistory({ limit: 10 });
      assert.deepEqual(rows.map((r) => r.result).sort(), ['done', 'skipped']);
    } finally {
      await store.close();
    }
  });

  it('one file to s3://BUCKET/NAME is stored under NAME; to s3://BUCKET/DIR/ it keeps its name', async () => {
    const file = join(fx.tmp.path, 'report.csv');
    await writeFile(file, 'a,b\n1,2\n');
    const named = await upload([file], 'exports/2024-report.csv', 'keys.db');
    assert.equal(named.code, 0, named.stderr);
    const dir = await upload([file], 'exports/', 'keys.db');
    assert.equal(dir.code, 0, dir.stderr);
    assert.deepEqual(await keysUnder('exports/'), [
      'exports/2024-report.csv',
      'exports/report.csv',
    ]);
    // several files to a URL without a slash: a folder, as before
    const other = join(fx.tmp.path, 'other.csv');
    await writeFile(other, 'c\n');
    const two = await upload([file, other], 'many', 'keys.db');
    assert.equal(two.code, 0, two.stderr);
    assert.deepEqual(await keysUnder('many'), ['many/other.csv', 'many/report.csv']);
  });

  it('--quiet prints nothing when all goes well, and the error when not', async () => {
    const file = join(fx.tmp.path, 'quiet.txt');
    await writeFile(file, 'quiet\n');
    const ok = await upload([file], 'quiet/', 'quiet.db', ['--quiet']);
    assert.equal(ok.code, 0);
    assert.equal(ok.stderr + ok.stdout, '');
    const missing = await upload([join(fx.tmp.path, 'nope.txt')], 'quiet/', 'quiet.db', ['-q']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.txt/);
  });
});
