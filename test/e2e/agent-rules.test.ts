/**
 * The agent's rules and failure handling with a real agent process: wrong credentials fixed by a
 * reload, delete-after across a crash, overwrite policies, the marker rule, key templates, and a
 * parked file released by `s3ferry retry`.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import type { FileRecord } from '../../src/journal/journal-store.js';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { cliEnv, objectDigest, runCli } from '../support/cli.js';
import {
  createTestBucket,
  listAllObjects,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

interface Status {
  jobs: {
    name: string;
    health: { healthy: boolean; code?: string; cause?: string; hint?: string };
  }[];
  files: Record<string, number>;
}

describe('agent rules and failure handling', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  const running: AgentProcess[] = [];
  let n = 0;

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'agent-rules');
    tmp = await makeTmpDir('agent-rules');
  });
  after(async () => {
    for (const a of running) await a.stop().catch(() => undefined);
    await bucket.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  /** A fresh agent directory and inbox, and a YAML job writing under `prefix/`. */
  async function setup(
    job: string,
    destinationExtra = '',
  ): Promise<{ dir: string; inbox: string; yaml: string; prefix: string }> {
    n += 1;
    const dir = join(tmp.path, `a${n}`);
    const inbox = join(dir, 'inbox');
    await mkdir(inbox, { recursive: true });
    const prefix = `t${n}`;
    const yaml = `api:
  port: ${await freePort()}
jobs:
  - name: j
    sources: [${JSON.stringify(inbox)}]
    settle: 1s
${job}
    destination:
      bucket: ${bucket.name}
      prefix: ${prefix}
      endpoint: ${info.endpoint}
${destinationExtra}`;
    return { dir, inbox, yaml, prefix };
  }

  async function start(dir: string, yaml: string): Promise<AgentProcess> {
    const a = await startAgentProcess(dir, yaml, info);
    running.push(a);
    return a;
  }

  const keysUnder = async (prefix: string): Promise<string[]> =>
    (await listAllObjects(client, bucket.name))
      .map((o) => o.key)
      .filter((k) => k.startsWith(`${prefix}/`))
      .sort();

  it('wrong credentials: files wait, status names the cause and fix; after a fixed config and SIGHUP they all go', async () => {
    const bad = `      accessKeyId: ${info.accessKeyId}\n      secretAccessKey: not-the-secret\n`;
    const { dir, inbox, yaml, prefix } = await setup('', bad);
    const agent = await start(dir, yaml);
    await writeFile(join(inbox, 'w1.txt'), 'one');
    await writeFile(join(inbox, 'w2.txt'), 'two');
    const status = await waitFor('the destination marked unhealthy', async () => {
      const s = await agent.api<Status>('GET', '/api/v1/status');
      return s.jobs[0]?.health.healthy === false ? s : undefined;
    });
    const health = status.jobs[0]?.health;
    assert.equal(health?.code, 'ERR_S3_SIGNATURE_MISMATCH');
    assert.match(health.cause ?? '', /SignatureDoesNotMatch/);
    assert.match(health.hint ?? '', /secret access key/);
    assert.doesNotMatch(JSON.stringify(status), /not-the-secret/, 'the secret never appears');
    await sleep(1500);
    assert.deepEqual(await keysUnder(prefix), [], 'nothing uploaded with wrong keys');

    await writeFile(
      join(dir, 's3ferry.yaml'),
      yaml.replace('not-the-secret', info.secretAccessKey),
    );
    agent.child.kill('SIGHUP');
    await waitFor(
      'both uploaded after the reload',
      async () => (await keysUnder(prefix)).length === 2,
    );
    assert.deepEqual(await keysUnder(prefix), [`${prefix}/w1.txt`, `${prefix}/w2.txt`]);
    assert.equal(agent.child.exitCode, null, 'no restart');
  });

  it('a bad reload keeps the running configuration and says why', async () => {
    const { dir, inbox, yaml, prefix } = await setup('');
    const agent = await start(dir, yaml);
    await writeFile(join(dir, 's3ferry.yaml'), `${yaml}\n    bogus: [`);
    agent.child.kill('SIGHUP');
    await waitFor('reload failure event', () =>
      Promise.resolve(agent.log().includes('config.reload-failed')),
    );
    await writeFile(join(inbox, 'still.txt'), 'still working');
    await waitFor('uploaded with the old configuration', async () =>
      (await keysUnder(prefix)).includes(`${prefix}/still.txt`),
    );
  });

  /**
   * Uploads `path` (written with `body`) with the agent on `yaml`, SIGKILLs it once the file is
   * done, and leaves the state a SIGKILL after the verification and before 'done' leaves:
   * 'verifying'. Returns the file's record.
   */
  async function crashedVerifying(
    dir: string,
    yaml: string,
    path: string,
    body: Buffer,
  ): Promise<FileRecord> {
    const agent = await start(dir, yaml);
    await writeFile(path, body);
    await waitFor(
      'done',
      async () => ((await agent.api<Status>('GET', '/api/v1/status')).files.done ?? 0) === 1,
    );
    await agent.kill();
    const store = await SqliteJournalStore.open({ path: join(dir, '.s3ferry', 'journal.db') });
    let file: FileRecord | undefined;
    try {
      [file] = await store.listFiles({ states: ['done'], limit: 10 });
    } finally {
      await store.close();
    }
    assert.ok(file !== undefined);
    // What a SIGKILL between the verification and 'done' leaves (no legal move leads back here:
    // written directly, as the crash would have left it): the upload verified in the journal, the
    // file 'verifying', and no history row yet (it is written with 'done').
    const db = new Database(join(dir, '.s3ferry', 'journal.db'));
    try {
      db.prepare(
        "UPDATE files SET state = 'verifying', owner = 'killed', lease_until = 0 WHERE id = ?",
      ).run(file.id);
      db.prepare('DELETE FROM history WHERE source_path = ?').run(file.path);
    } finally {
      db.close();
    }
    return file;
  }

  /** Uploads of `key` the journal holds (one: nothing was sent a second time). */
  function journaledUploads(dir: string, key: string): number {
    const db = new Database(join(dir, '.s3ferry', 'journal.db'), { readonly: true });
    try {
      const row = db
        .prepare<[string], { n: number }>('SELECT count(*) AS n FROM uploads WHERE object_key = ?')
        .get(key);
      return row?.n ?? 0;
    } finally {
      db.close();
    }
  }

  /** History rows of `key` the agent reports. */
  async function uploadsOf(agent: AgentProcess, key: string): Promise<number> {
    const hist = await agent.api<{ items: { key: string }[] }>('GET', '/api/v1/history?limit=100');
    return hist.items.filter((h) => h.key === key).length;
  }

  it('delete-after: the source goes only after verification; a crash before the delete loses nothing and re-uploads nothing', async () => {
    const { dir, inbox, yaml, prefix } = await setup('    after:\n      action: delete');
    // First run: upload with delete-after, but make the state the crash leaves: verified, not deleted.
    const firstRun = yaml.replace('action: delete', 'action: keep');
    await crashedVerifying(dir, firstRun, join(inbox, 'precious.bin'), Buffer.alloc(100_000, 9));

    const again = await start(dir, yaml);
    await waitFor('source deleted', async () => (await readdir(inbox)).length === 0);
    await waitFor(
      'one history row',
      async () => (await uploadsOf(again, `${prefix}/precious.bin`)) === 1,
    );
    assert.equal(journaledUploads(dir, `${prefix}/precious.bin`), 1, 'not uploaded a second time');
    const got = await objectDigest(client, bucket.name, `${prefix}/precious.bin`);
    assert.equal(got.size, 100_000, 'the object is intact');
  });

  it('delete-after: a crash after the delete but before done is recorded ends done at the restart, with its event, nothing re-sent', async () => {
    const { dir, inbox, yaml, prefix } = await setup('    after:\n      action: delete');
    const file = await crashedVerifying(
      dir,
      yaml,
      join(inbox, 'gone.bin'),
      Buffer.alloc(50_000, 3),
    );
    assert.deepEqual(await readdir(inbox), [], 'the after-action deleted the source');

    const again = await start(dir, yaml);
    await waitFor(
      'done again',
      async () => ((await again.api<Status>('GET', '/api/v1/status')).files.done ?? 0) === 1,
    );
    const events = await again.api<{
      items: { type: string; path: string | null; data: Record<string, unknown> | null }[];
    }>('GET', '/api/v1/events?limit=200');
    const done = events.items.filter((e) => e.type === 'file.done' && e.path === file.path);
    assert.ok(
      done.some((e) => e.data?.takenOver === true),
      `a file.done event says the restart finished it: ${JSON.stringify(done)}`,
    );
    assert.equal(await uploadsOf(again, `${prefix}/gone.bin`), 1, 'one history row');
    assert.equal(journaledUploads(dir, `${prefix}/gone.bin`), 1, 'not uploaded a second time');
  });

  it('overwrite never: an existing key is not overwritten, and the source is kept', async () => {
    const { dir, inbox, yaml, prefix } = await setup(
      '    overwrite: never\n    after:\n      action: delete',
    );
    await client.send(
      new PutObjectCommand({ Bucket: bucket.name, Key: `${prefix}/exists.txt`, Body: 'original' }),
    );
    const agent = await start(dir, yaml);
    await writeFile(join(inbox, 'exists.txt'), 'replacement');
    await waitFor(
      'skipped',
      async () => ((await agent.api<Status>('GET', '/api/v1/status')).files.skipped ?? 0) === 1,
    );
    const got = await client.send(
      new GetObjectCommand({
        Bucket: bucket.name,
        Key: `${prefix}/exists.txt`,
      }),
    );
    assert.equal(await got.Body?.transformToString(), 'original');
    assert.deepEqual(await readdir(inbox), ['exists.txt'], 'a skipped file is never deleted');
  });

  it('overwrite if-changed: unchanged content is skipped, changed content replaces the object', async () => {
    const { dir, inbox, yaml, prefix } = await setup('    overwrite: if-changed');
    const agent = await start(dir, yaml);
    await writeFile(join(inbox, 'doc.txt'), 'version one');
    await waitFor('uploaded', async () => (await keysUnder(prefix)).length === 1);
    // the same bytes again under a new identity (rewritten): skipped
    await rm(join(inbox, 'doc.txt'));
    await writeFile(join(inbox, 'doc.txt'), 'version one');
    await waitFor(
      'skipped',
      async () => ((await agent.api<Status>('GET', '/api/v1/status')).files.skipped ?? 0) === 1,
    );
    // new bytes: uploaded over the old object
    await writeFile(join(inbox, 'doc.txt'), 'version two, longer');
    await waitFor('replaced', async () => {
      const got = await client.send(
        new GetObjectCommand({ Bucket: bucket.name, Key: `${prefix}/doc.txt` }),
      );
      return (await got.Body?.transformToString()) === 'version two, longer';
    });
  });

  it('after move: the source is moved under moveTo, keeping its relative path, once verified', async () => {
    const { dir, inbox, yaml, prefix } = await setup(
      '    after:\n      action: move\n      moveTo: MOVETO',
    );
    const done = join(dir, 'uploaded');
    await start(dir, yaml.replace('MOVETO', JSON.stringify(done)));
    await mkdir(join(inbox, 'cam2'));
    await writeFile(join(inbox, 'cam2', 'm.bin'), Buffer.alloc(2048, 1));
    await waitFor('moved', async () =>
      (await readdir(join(done, 'cam2')).catch((): string[] => [])).includes('m.bin'),
    );
    assert.deepEqual(await readdir(join(inbox, 'cam2')), []);
    assert.deepEqual(await keysUnder(prefix), [`${prefix}/cam2/m.bin`]);
  });

  it('overwrite version-suffix: name.ext, name_1.ext, name_2.ext', async () => {
    const { dir, inbox, yaml, prefix } = await setup('    overwrite: version-suffix');
    const agent = await start(dir, yaml);
    for (let i = 0; i < 3; i += 1) {
      await writeFile(join(inbox, 'v.log'), `version ${i}\n`);
      await waitFor(`version ${i}`, async () => (await keysUnder(prefix)).length === i + 1);
    }
    assert.deepEqual(await keysUnder(prefix), [
      `${prefix}/v.log`,
      `${prefix}/v_1.log`,
      `${prefix}/v_2.log`,
    ]);
    assert.ok(agent.child.exitCode === null);
  });

  it('dedupe skip: content already uploaded is not sent again', async () => {
    const { dir, inbox, yaml, prefix } = await setup('    dedupe:\n      enabled: true');
    const agent = await start(dir, yaml);
    await writeFile(join(inbox, 'first.bin'), Buffer.alloc(5000, 3));
    await waitFor('first uploaded', async () => (await keysUnder(prefix)).length === 1);
    await writeFile(join(inbox, 'second.bin'), Buffer.alloc(5000, 3));
    await writeFile(join(inbox, 'different.bin'), Buffer.alloc(5000, 4));
    await waitFor(
      'second skipped',
      async () => ((await agent.api<Status>('GET', '/api/v1/status')).files.skipped ?? 0) === 1,
    );
    await waitFor('different uploaded', async () => (await keysUnder(prefix)).length === 2);
    assert.deepEqual(await keysUnder(prefix), [`${prefix}/different.bin`, `${prefix}/first.bin`]);
  });

  it('dedupe copy: content already uploaded is copied server-side to the new key', async () => {
    const { dir, inbox, yaml, prefix } = await setup(
      '    dedupe:\n      enabled: true\n      action: copy',
    );
    const agent = await start(dir, yaml);
    await writeFile(join(inbox, 'orig.bin'), Buffer.alloc(7000, 5));
    await waitFor('orig uploaded', async () => (await keysUnder(prefix)).length === 1);
    await writeFile(join(inbox, 'copy.bin'), Buffer.alloc(7000, 5));
    await waitFor('copy made', async () => (await keysUnder(prefix)).length === 2);
    const a = await objectDigest(client, bucket.name, `${prefix}/orig.bin`);
    const b = await objectDigest(client, bucket.name, `${prefix}/copy.bin`);
    assert.equal(b.sha256, a.sha256);
    const events = await agent.api<{ items: { type: string; data?: { copiedFrom?: string } }[] }>(
      'GET',
      '/api/v1/events?limit=200',
    );
    assert.ok(
      events.items.some(
        (e) => e.type === 'file.done' && e.data?.copiedFrom === `${prefix}/orig.bin`,
      ),
      'copied, not uploaded',
    );
    // One upload (orig's); the copy's file.done says copiedFrom.
    const uploaded = events.items.filter(
      (e) => e.type === 'file.done' && e.data?.copiedFrom === undefined,
    );
    assert.equal(
      uploaded.length,
      1,
      JSON.stringify(events.items.map((e) => [e.type, (e as { path?: string }).path])),
    );
  });

  it('marker rule: x.mp4 waits for x.mp4.done; the marker itself is never uploaded', async () => {
    const { dir, inbox, yaml, prefix } = await setup('    markerSuffix: .done');
    await start(dir, yaml);
    await writeFile(join(inbox, 'x.mp4'), 'video');
    await sleep(3000);
    assert.deepEqual(await keysUnder(prefix), [], 'no marker yet: nothing goes');
    await writeFile(join(inbox, 'x.mp4.done'), '');
    await waitFor('x.mp4 uploaded', async () =>
      (await keysUnder(prefix)).includes(`${prefix}/x.mp4`),
    );
    await sleep(1500);
    assert.deepEqual(await keysUnder(prefix), [`${prefix}/x.mp4`]);
  });

  it('key template renders {job}, {hostname}, {mtime:…}, {dir}, {stem}, {ext}', async () => {
    const { dir, inbox, yaml, prefix } = await setup(
      "    key: '{job}/{hostname}/{mtime:yyyy}/{dir}/{stem}-{size}.{ext}'",
    );
    await start(dir, yaml);
    await mkdir(join(inbox, 'cam1'));
    await writeFile(join(inbox, 'cam1', 'clip.mp4'), '12345');
    const year = new Date().getUTCFullYear();
    const expected = `${prefix}/j/${hostname()}/${year}/cam1/clip-5.mp4`;
    await waitFor(expected, async () => (await keysUnder(prefix)).includes(expected));
  });

  it('link with a public URL template: the key is filled in, each segment URL-encoded', async () => {
    const { dir, inbox, yaml, prefix } = await setup(
      '',
      '      publicUrl: https://cdn.example.com/media/{key}\n',
    );
    const agent = await start(dir, yaml);
    await mkdir(join(inbox, 'sub dir'));
    await writeFile(join(inbox, 'sub dir', 'a b#1.txt'), 'public');
    await waitFor('uploaded', async () => (await keysUnder(prefix)).length === 1);
    const res = await runCli(
      ['link', join(inbox, 'sub dir', 'a b#1.txt'), '--api-url', agent.url, '--json'],
      cliEnv(info),
    );
    assert.equal(res.code, 0, res.stderr);
    const link = res.events[0] as { url: string; kind: string; expiresAt: string | null };
    assert.equal(link.url, `https://cdn.example.com/media/${prefix}/sub%20dir/a%20b%231.txt`);
    assert.equal(link.kind, 'public');
    assert.equal(link.expiresAt, null);
  });

  it('a file whose key is invalid is parked with its reason; `s3ferry retry` releases it', async () => {
    const { dir, inbox, yaml } = await setup("    key: '{path}'");
    const agent = await start(dir, yaml);
    let deep = inbox;
    for (let i = 0; i < 5; i += 1) deep = join(deep, 'd'.repeat(240));
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, 'too-long.txt'), 'x');
    const parked = await waitFor('parked', async () => {
      const q = await agent.api<{ items: FileRecord[] }>('GET', '/api/v1/queue?state=parked');
      return q.items[0];
    });
    assert.equal(parked.reason?.code, 'ERR_KEY_INVALID');
    assert.match(parked.reason.message, /is 1217 bytes of UTF-8; S3 keys are at most 1,?024/);
    await rm(join(inbox, 'd'.repeat(240)), { recursive: true });
    const res = await runCli(['retry', '--all', '--api-url', agent.url], cliEnv(info));
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /released 1 file/);
    await waitFor(
      'the vanished file cancelled',
      async () => ((await agent.api<Status>('GET', '/api/v1/status')).files.cancelled ?? 0) === 1,
    );
  });
});
