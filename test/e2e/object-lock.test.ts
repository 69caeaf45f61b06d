/**
 * Write-once retention (S3 Object Lock) against the project's Ceph RGW: buckets created with
 * ObjectLockEnabledForBucket, objects written by single PUT and by multipart, through the transfer
 * service on both request paths (the SDK's and the direct one), by `s3ferry upload` and by the
 * agent, and their retention and legal hold read back with the AWS SDK (GetObjectRetention,
 * GetObjectLegalHold). RGW keeps no retention from CreateMultipartUpload's headers: the multipart
 * objects here hold theirs because s3ferry sets it again after Complete. A bucket without Object
 * Lock gives the cause and the fix in doctor, in `upload`, and in the agent's status, where the
 * destination is unhealthy and its file waits instead of failing. On the versioned bucket the
 * overwrite policies keep their meaning: `never` skips another writer's object (RGW would store a
 * second version under If-None-Match: *), `always` stores a second version of a changed file.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isProbeKey } from '../../src/domain/capabilities.js';
import { buildS3Client, buildS3Connection } from '../../src/object-store/s3/s3-client.js';
import { S3ObjectTarget } from '../../src/object-store/s3/s3-object-target.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { freePort, startAgentProcess, waitFor } from '../support/agent-process.js';
import { cliEnv, runCli } from '../support/cli.js';
import { makeService } from '../support/engine.js';
import {
  createLockedBucket,
  listVersions,
  lockOf,
  type LockedBucket,
} from '../support/object-lock.js';
import {
  createTestBucket,
  listAllObjects,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir, testId } from '../support/tmp.js';

const MIB = 1024 * 1024;
const TEN_MINUTES = 600_000;

interface Status {
  files: Record<string, number>;
  jobs: {
    name: string;
    health: { healthy: boolean; code?: string; cause?: string; hint?: string };
    capabilities?: { capabilities: Record<string, boolean>; probedAt: number };
  }[];
}

/** Asserts GOVERNANCE retention ending `forMs` after a moment in [from, to] (to the second). */
function assertRetained(
  lock: { mode?: string; until?: number },
  from: number,
  to: number,
  what: string,
): void {
  assert.equal(lock.mode, 'GOVERNANCE', what);
  assert.ok(lock.until !== undefined, `${what}: a retain-until date`);
  assert.ok(
    lock.until >= Math.floor((from + TEN_MINUTES) / 1000) * 1000 &&
      lock.until <= to + TEN_MINUTES + 1000,
    `${what}: until ${new Date(lock.until).toISOString()}`,
  );
}

describe('write-once retention (Object Lock) on Ceph RGW', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let locked: LockedBucket;
  let plain: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    locked = await createLockedBucket(info, 'lock');
    plain = await createTestBucket(info, 'nolock');
    tmp = await makeTmpDir('object-lock');
  });

  after(async () => {
    await locked.cleanup();
    await plain.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  it('the transfer service, by the SDK and by the direct path: single PUT and multipart objects keep their retention and legal hold', async () => {
    const dir = join(tmp.path, testId('service'));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'small.bin'), randomBytes(4096));
    await writeFile(join(dir, 'big.bin'), randomBytes(6 * MIB + 3));
    const settings = {
      endpoint: info.endpoint,
      region: info.region,
      accessKeyId: info.accessKeyId,
      secretAccessKey: info.secretAccessKey,
    };
    const paths = {
      sdk: () => ({ client: buildS3Client(settings), direct: undefined }),
      direct: () => buildS3Connection(settings),
    };
    for (const [name, connect] of Object.entries(paths)) {
      const { client: sdk, direct } = connect();
      assert.equal(direct === undefined, name === 'sdk');
      const target = new S3ObjectTarget({
        client: sdk,
        ...(direct === undefined ? {} : { direct }),
        bucket: locked.name,
        endpoint: info.endpoint,
      });
      const journal = await SqliteJournalStore.open({ path: join(dir, `${name}.db`) });
      const service = makeService(target, journal, {
        config: {
          objectLock: { retention: { mode: 'governance', for: TEN_MINUTES }, legalHold: true },
        },
      });
      try {
        const from = Date.now();
        const small = await service.upload({
          path: join(dir, 'small.bin'),
          key: `${name}/small.bin`,
        });
        const big = await service.upload({ path: join(dir, 'big.bin'), key: `${name}/big.bin` });
        const to = Date.now();
        assert.equal(small.mode, 'single');
        assert.equal(big.mode, 'multipart');
        for (const key of [`${name}/small.bin`, `${name}/big.bin`]) {
          const lock = await lockOf(client, locked.name, key);
          assertRetained(lock, from, to, key);
          assert.equal(lock.legalHold, 'ON', key);
        }
      } finally {
        await service.close();
        target.destroy();
        await journal.close();
      }
    }
  });

  it('s3ferry upload --retention --legal-hold: kept on a bucket with Object Lock; refused with the cause on one without; --if-none-match holds on the versioned bucket', async () => {
    const dir = join(tmp.path, testId('cli'));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'a.bin'), randomBytes(1000));
    const args = (bucket: string, prefix: string): string[] => [
      'upload',
      join(dir, 'a.bin'),
      '--to',
      `s3://${bucket}/${prefix}/`,
      '--endpoint-url',
      info.endpoint,
      '--journal',
      join(dir, `${prefix}.db`),
      '--retention',
      'governance:10m',
      '--legal-hold',
      '--json',
    ];
    const from = Date.now();
    const ok = await runCli(args(locked.name, 'cli'), cliEnv(info));
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    const lock = await lockOf(client, locked.name, 'cli/a.bin');
    assertRetained(lock, from, Date.now(), 'cli/a.bin');
    assert.equal(lock.legalHold, 'ON');

    // --if-none-match on this versioned bucket: RGW would store a second version under the
    // condition; the probe finds that, and the key taken by another writer is looked at: a skip
    await client.send(
      new PutObjectCommand({ Bucket: locked.name, Key: 'inm/a.bin', Body: 'theirs\n' }),
    );
    const inm = await runCli(
      [
        'upload',
        join(dir, 'a.bin'),
        '--to',
        `s3://${locked.name}/inm/`,
        '--endpoint-url',
        info.endpoint,
        '--journal',
        join(dir, 'inm.db'),
        '--if-none-match',
        '--json',
      ],
      cliEnv(info),
    );
    assert.equal(inm.code, 0, inm.stderr + inm.stdout);
    assert.deepEqual(
      inm.events.filter((e) => e.type === 'file.skipped').map((e) => e.reason),
      ['exists'],
    );
    assert.equal((await listVersions(client, locked.name, 'inm/a.bin')).length, 1);

    const refused = await runCli(args(plain.name, 'refused'), cliEnv(info));
    assert.equal(refused.code, 3, refused.stderr + refused.stdout);
    const error = refused.events.find((e) => e.type === 'error') as
      { code?: string; message?: string; hint?: string } | undefined;
    assert.equal(error?.code, 'ERR_S3_NO_OBJECT_LOCK', refused.stdout);
    assert.match(String(error.message), new RegExp(`"${plain.name}" has no Object Lock`));
    assert.match(String(error.hint), /create the bucket with Object Lock enabled/);
    assert.deepEqual(await listAllObjects(client, plain.name), [], 'nothing was written');
  });

  it('doctor says when the bucket has no Object Lock, and fails on it under --retention', async () => {
    const doctor = (bucket: string, ...extra: string[]) =>
      runCli(
        ['doctor', '--to', `s3://${bucket}/doctor/`, '--endpoint-url', info.endpoint, ...extra],
        cliEnv(info),
      );
    const plainly = await doctor(plain.name);
    assert.equal(plainly.code, 0, plainly.stdout + plainly.stderr);
    assert.match(plainly.stdout, /^ok +capabilities +the store accepts .*; not: Object Lock/m);

    const needed = await doctor(plain.name, '--retention', 'governance:1d');
    assert.equal(needed.code, 3, needed.stdout + needed.stderr);
    assert.match(
      needed.stdout,
      new RegExp(
        `^FAIL +capabilities +the bucket "${plain.name}" has no Object Lock: the governance retention for 1d`,
        'm',
      ),
    );
    assert.match(needed.stdout, /^ +fix: create the bucket with Object Lock enabled/m);

    const kept = await doctor(
      locked.name,
      '--retention',
      'governance:1d',
      '--legal-hold',
      '--json',
    );
    assert.equal(kept.code, 0, kept.stdout + kept.stderr);
    const check = kept.events.find((e) => e.name === 'capabilities');
    assert.equal(check?.ok, true);
    assert.match(String(check.detail), /Object Lock keeps governance retention for 1d, legal hold/);
    assert.deepEqual(await listAllObjects(client, plain.name), [], 'doctor left nothing');
    // (doctor's own write check deletes its object by key: on this versioned bucket that leaves
    // the version and a delete marker, until the PUT's version id is known to it)
    assert.deepEqual(
      (await listVersions(client, locked.name, 'doctor/')).filter((v) => isProbeKey(v.key)),
      [],
      'the capability probe left no version',
    );
  });

  it('the agent: a bucket without Object Lock holds the destination unhealthy with the cause; its file waits', async () => {
    const dir = join(tmp.path, testId('agent-nolock'));
    const inbox = join(dir, 'inbox');
    await mkdir(inbox, { recursive: true });
    const agent = await startAgentProcess(
      dir,
      `api:
  port: ${await freePort()}
jobs:
  - name: vault
    sources: [${JSON.stringify(inbox)}]
    settle: 300ms
    retention: { mode: governance, for: 30d }
    destination:
      bucket: ${plain.name}
      endpoint: ${info.endpoint}
`,
      info,
    );
    try {
      await writeFile(join(inbox, 'backup.tar'), randomBytes(2048));
      const status = await waitFor('the file queued behind the unhealthy destination', async () => {
        const s = await agent.api<Status>('GET', '/api/v1/status');
        return (s.files.queued ?? 0) === 1 ? s : undefined;
      });
      const job = status.jobs[0];
      assert.equal(job?.health.healthy, false);
      assert.equal(job.health.code, 'ERR_S3_NO_OBJECT_LOCK');
      assert.match(
        String(job.health.cause),
        /has no Object Lock: the governance retention for 30d/,
      );
      assert.match(String(job.health.hint), /create the bucket with Object Lock enabled/);
      assert.equal(job.capabilities?.capabilities.objectLock, false, 'the probe answered');
      assert.equal(status.files.parked ?? 0, 0, 'not failed, not parked: it waits');
      const human = await runCli(['status', '--api-url', agent.url], cliEnv(info));
      assert.equal(human.code, 3, 'every destination is unhealthy');
      assert.match(human.stdout, /UNHEALTHY: the bucket "\S+" has no Object Lock/);
      assert.match(human.stdout, /fix: create the bucket with Object Lock enabled/);
    } finally {
      await agent.stop();
    }
    assert.deepEqual(await listAllObjects(client, plain.name), []);
  });

  it('the agent on a bucket with Object Lock: every object keeps its job’s retention; never skips another writer’s object, always stores a second version', async () => {
    const dir = join(tmp.path, testId('agent-lock'));
    const keepIn = join(dir, 'keep');
    const versionsIn = join(dir, 'versions');
    await mkdir(keepIn, { recursive: true });
    await mkdir(versionsIn, { recursive: true });
    const theirs = Buffer.from('another writer’s object\n');
    await client.send(
      new PutObjectCommand({ Bucket: locked.name, Key: 'keep/taken.bin', Body: theirs }),
    );
    const agent = await startAgentProcess(
      dir,
      `api:
  port: ${await freePort()}
destinations:
  vault:
    bucket: ${locked.name}
    endpoint: ${info.endpoint}
    retention: { mode: governance, for: 10m }
    partSize: 5MiB
    multipartThreshold: 5MiB
jobs:
  - name: keep
    sources: [${JSON.stringify(keepIn)}]
    settle: 300ms
    key: 'keep/{path}'
    destination: vault
  - name: versions
    sources: [${JSON.stringify(versionsIn)}]
    settle: 300ms
    key: 'versions/{path}'
    overwrite: always
    legalHold: true
    destination: vault
`,
      info,
    );
    const from = Date.now();
    try {
      await writeFile(join(keepIn, 'taken.bin'), randomBytes(100));
      await writeFile(join(keepIn, 'new.bin'), randomBytes(100));
      await writeFile(join(keepIn, 'big.bin'), randomBytes(6 * MIB + 1));
      await writeFile(join(versionsIn, 'doc.txt'), 'first version\n');
      await waitFor('3 done, 1 skipped', async () => {
        const s = await agent.api<Status>('GET', '/api/v1/status');
        return s.files.done === 3 && s.files.skipped === 1;
      });
      await writeFile(join(versionsIn, 'doc.txt'), 'second version, longer\n');
      // the file's row goes through its states again: done once its second version is stored
      await waitFor('the second version stored', async () => {
        const versions = await listVersions(client, locked.name, 'versions/doc.txt');
        return versions.length === 2;
      });
      const status = await waitFor('the second version done', async () => {
        const s = await agent.api<Status>('GET', '/api/v1/status');
        const pending = ['queued', 'uploading', 'verifying', 'settling', 'waiting']
          .map((state) => s.files[state] ?? 0)
          .reduce((a, b) => a + b, 0);
        return s.files.done === 3 && pending === 0 ? s : undefined;
      });
      const caps = status.jobs.map((j) => j.capabilities?.capabilities);
      assert.deepEqual(caps[0], caps[1], 'one destination, one answer');
      assert.equal(caps[0]?.objectLock, true);
      assert.equal(caps[0].versioning, true);
      assert.equal(caps[0].conditionalPut, false, 'RGW does not keep If-None-Match here');
    } finally {
      await agent.stop();
    }
    const to = Date.now();
    const taken = await listVersions(client, locked.name, 'keep/taken.bin');
    assert.equal(taken.length, 1, 'never: no second version over another writer’s object');
    for (const key of ['keep/new.bin', 'keep/big.bin'])
      assertRetained(await lockOf(client, locked.name, key), from, to, key);
    const docs = (await listVersions(client, locked.name, 'versions/doc.txt')).filter(
      (v) => !v.deleteMarker,
    );
    assert.equal(docs.length, 2, 'always: the changed file is a second version, the first kept');
    for (const v of docs) {
      const lock = await lockOf(client, locked.name, v.key, v.versionId);
      assertRetained(lock, from, to, `${v.key} ${v.versionId}`);
      assert.equal(lock.legalHold, 'ON', 'the job’s legal hold');
    }
    assert.equal((await lockOf(client, locked.name, 'keep/new.bin')).legalHold ?? 'OFF', 'OFF');
    assert.deepEqual(
      (await listVersions(client, locked.name)).filter((v) => v.key.includes('.s3ferry-probe-')),
      [],
      'the probes left nothing',
    );
  });
});
