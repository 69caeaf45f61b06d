/**
 * The processor's steps in process, on a real SQLite journal and the real RGW behind a fault proxy
 * that counts what is sent (docs/pipeline.md):
 * - plan: decided at enqueue when it needs nothing more, else at claim and kept with savePlan; a
 *   stored plan is reused as it is, whatever the template says now;
 * - one stat of the file in the pipeline (the processor's; the transfer service starts from it);
 * - the hold checked before each outside effect: a lapsed hold publishes nothing (no PutObject,
 *   no CompleteMultipartUpload, whose upload stays open for whoever holds the file now), deletes
 *   nothing and records nothing; the next holder finishes the file without sending it again.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { enqueueTaken } from '../../src/agent/admission.js';
import { targetFor } from '../../src/agent/compose.js';
import { DestinationRuntime } from '../../src/agent/destination-runtime.js';
import { EventSink } from '../../src/agent/event-sink.js';
import { planClaimed } from '../../src/agent/file-plan.js';
import { FileProcessor } from '../../src/agent/file-processor.js';
import { HoldGuard } from '../../src/agent/hold-guard.js';
import { JobRuntime } from '../../src/agent/job-runtime.js';
import { loadConfig } from '../../src/config/load.js';
import type { FileRecord } from '../../src/journal/journal-store.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { nodeFileSystem } from '../../src/platform/node-file-system.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { S3Fixture } from '../support/s3-fixture.js';
import { listAllMultipartUploads, listAllObjects } from '../support/s3-server.js';

const OWNER = 'steps:1';
const MIB = 1024 * 1024;

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

void describe('the processor’s steps', () => {
  const fx = S3Fixture.use('pipeline-steps');
  let proxy: FaultProxy;
  let n = 0;
  before(async () => {
    proxy = await startFaultProxy(fx.info.endpoint);
  });
  after(async () => {
    await proxy.close();
  });

  /** A job on a fresh SQLite journal, its inbox, and a processor with a stat-counting fs. */
  async function setup(job: string) {
    n += 1;
    const dir = join(fx.tmp.path, `s${n}`);
    const inbox = join(dir, 'inbox');
    await mkdir(inbox, { recursive: true });
    const yaml = `jobs:
  - name: j
    sources: [${JSON.stringify(inbox)}]
${job}    destination:
      bucket: ${fx.bucket.name}
      prefix: s${n}/
      endpoint: ${proxy.url}
      region: ${fx.info.region}
      accessKeyId: ${fx.info.accessKeyId}
      secretAccessKey: ${fx.info.secretAccessKey}
      partSize: 5MiB
      multipartThreshold: 5MiB
`;
    await writeFile(join(dir, 's3ferry.yaml'), yaml);
    const config = await loadConfig({ file: join(dir, 's3ferry.yaml'), env: {} });
    const journal = await SqliteJournalStore.open({ path: join(dir, 'journal.db') });
    const events = new EventSink({ journal, logger: silentLogger, clock: systemClock });
    const jobConfig = config.jobs[0];
    assert.ok(jobConfig !== undefined);
    const transfer = { journal, fs: nodeFileSystem, clock: systemClock, random: Math.random };
    const dest = new DestinationRuntime(
      'd',
      jobConfig.destination,
      targetFor(jobConfig.destination),
      {
        clock: systemClock,
        events,
        transfer: { ...transfer, owner: OWNER },
        probeInterval: 60_000,
        onHealthy: () => undefined,
      },
    );
    const runtime = new JobRuntime(jobConfig, dest);
    const stats: string[] = [];
    const fs = {
      ...nodeFileSystem,
      stat: (path: string) => {
        stats.push(path);
        return nodeFileSystem.stat(path);
      },
    };
    const ctx = { hostname: 'host', env: {} };
    const processor = new FileProcessor({
      ...ctx,
      journal,
      events,
      clock: systemClock,
      fs,
      random: () => 0.5,
    });
    /** Writes `name` and queues it as a source would (with its plan when it can have one). */
    const offer = async (name: string, body: Buffer, job = runtime): Promise<FileRecord> => {
      const path = join(inbox, name);
      await writeFile(path, body);
      const st = await nodeFileSystem.stat(path);
      const candidate = { absPath: path, relPath: name, ...st };
      const deps = { journal, events, ...ctx };
      return (await enqueueTaken(deps, job, candidate, Date.now(), { paused: false })).record;
    };
    const claim = async () => {
      const f = await journal.claim(Date.now(), { owner: OWNER, leaseMs: 60_000 }, ['j']);
      assert.ok(f !== undefined, 'a file to claim');
      return f;
    };
    const guard = (file: FileRecord, validUntil: () => number = () => Infinity) =>
      new HoldGuard({ fileId: file.id, owner: OWNER }, file.path, {
        clock: systemClock,
        signal: new AbortController().signal,
        validUntil,
      });
    const close = async () => {
      await dest.close();
      await events.close();
      await journal.close();
    };
    return { inbox, journal, runtime, processor, stats, offer, claim, guard, close, ctx };
  }

  /** The requests the proxy saw from entry `from` on, by operation (and status). */
  const requests = (from: number): string[] =>
    proxy.log.slice(from).map((e) => `${e.operation} ${String(e.upstreamStatus ?? e.status)}`);

  void it('plans at enqueue, uploads under the plan with one stat, and records it in one write', async () => {
    const s = await setup("    key: '{now:yyyyMMddHHmmss}-{uuid}-{name}'\n");
    try {
      const queued = await s.offer('a.bin', randomBytes(2000));
      assert.match(
        queued.plan?.key ?? '',
        /^s\d+\/\d{14}-[0-9a-f-]{36}-a\.bin$/,
        'planned at enqueue',
      );
      const file = await s.claim();
      const from = proxy.log.length;
      s.stats.length = 0;
      await s.processor.process(file, s.runtime, s.guard(file));
      assert.deepEqual(requests(from), ['PutObject 200']);
      assert.deepEqual(s.stats, [file.path], 'one stat of the file');
      const done = await s.journal.getFile(file.id);
      assert.equal(done?.state, 'done');
      const keys = (await listAllObjects(fx.client, fx.bucket.name)).map((o) => o.key);
      assert.ok(keys.includes(queued.plan?.key ?? ''), 'the object is at the planned key');
      const [row] = await s.journal.listHistory({ limit: 5, sourcePath: file.path });
      assert.equal(row?.key, queued.plan?.key);
      const upload = await s.journal.findLatestUpload({
        endpoint: proxy.url,
        bucket: fx.bucket.name,
        key: queued.plan?.key ?? '',
      });
      assert.equal(upload?.state, 'verified');
      assert.equal(upload.fileId, file.id);
    } finally {
      await s.close();
    }
  });

  void it('plans at claim when the key needs a digest, and reuses the stored plan whatever the template says now', async () => {
    const s = await setup("    key: '{sha256}-{uuid}'\n");
    try {
      const queued = await s.offer('b.bin', randomBytes(1000));
      assert.equal(queued.plan, null, 'a digest is needed: not planned at enqueue');
      const file = await s.claim();
      const st = await nodeFileSystem.stat(file.path);
      const g = s.guard(file);
      const deps = { journal: s.journal, clock: systemClock, ...s.ctx };
      const first = await planClaimed(file, s.runtime, st, 'b.bin', deps, g);
      assert.ok(first.kind === 'plan');
      assert.match(first.plan.key, /^s\d+\/[0-9a-f]{64}-[0-9a-f-]{36}$/);
      assert.deepEqual((await s.journal.getFile(file.id))?.plan, first.plan, 'kept with savePlan');
      // The template changes (a reload) and the agent takes the file up again: the same plan.
      const changed = new JobRuntime({ ...s.runtime.config, key: '{uuid}' }, s.runtime.destination);
      const again = await s.journal.getFile(file.id);
      assert.ok(again !== undefined);
      const second = await planClaimed(again, changed, st, 'b.bin', deps, g);
      assert.ok(second.kind === 'plan');
      assert.deepEqual(second.plan, first.plan);
    } finally {
      await s.close();
    }
  });

  void it('a lapsed hold: no PutObject, nothing recorded; the next holder does not send it again', async () => {
    const s = await setup('    after:\n      action: delete\n');
    try {
      const queued = await s.offer('c.bin', randomBytes(3000));
      const file = await s.claim();
      let from = proxy.log.length;
      await s.processor.process(
        file,
        s.runtime,
        s.guard(file, () => 0),
      );
      assert.deepEqual(requests(from), [], 'nothing published');
      assert.equal((await s.journal.getFile(file.id))?.state, 'uploading', 'left to its holder');
      assert.equal(await s.journal.countEvents({ type: 'file.done' }), 0);
      // Published, then the hold lapses before the after-action: the source stays, no 'done'.
      from = proxy.log.length;
      const published = () => requests(from).includes('PutObject 200');
      await s.processor.process(
        file,
        s.runtime,
        s.guard(file, () => (published() ? 0 : Infinity)),
      );
      assert.deepEqual(requests(from), ['PutObject 200']);
      assert.equal(await exists(file.path), true, 'the source is not deleted');
      assert.equal((await s.journal.getFile(file.id))?.state, 'uploading');
      assert.equal((await s.journal.listHistory({ limit: 5 })).length, 0);
      // The holder that takes it next recognises its object (the conditional PUT meets it) and
      // finishes the file: deleted, done, one history row.
      from = proxy.log.length;
      await s.processor.process(file, s.runtime, s.guard(file));
      assert.deepEqual(requests(from), ['PutObject 412', 'HeadObject 200']);
      assert.equal(await exists(file.path), false, 'deleted once verified');
      assert.equal((await s.journal.getFile(file.id))?.state, 'done');
      const rows = await s.journal.listHistory({ limit: 5 });
      assert.deepEqual(
        rows.map((r) => r.key),
        [queued.plan?.key],
      );
    } finally {
      await s.close();
    }
  });

  void it('a hold lapsed before Complete: the parts stay, the upload stays open, nothing is aborted', async () => {
    const s = await setup('');
    try {
      const queued = await s.offer('big.bin', randomBytes(12 * MIB));
      const file = await s.claim();
      const from = proxy.log.length;
      const parts = () => requests(from).filter((r) => r === 'UploadPart 200').length;
      await s.processor.process(
        file,
        s.runtime,
        s.guard(file, () => (parts() >= 3 ? 0 : Infinity)),
      );
      const sent = requests(from);
      assert.ok(!sent.some((r) => r.startsWith('CompleteMultipartUpload')), sent.join(', '));
      assert.ok(!sent.some((r) => r.startsWith('AbortMultipartUpload')), sent.join(', '));
      const open = await listAllMultipartUploads(fx.client, fx.bucket.name);
      assert.deepEqual(
        open.map((u) => u.key),
        [queued.plan?.key],
        'the upload is left for the file’s holder',
      );
      assert.equal((await s.journal.getFile(file.id))?.state, 'uploading');
      // The next holder resumes it: no part sent again, then Complete.
      const again = proxy.log.length;
      await s.processor.process(file, s.runtime, s.guard(file));
      const resumed = requests(again);
      assert.equal(resumed.filter((r) => r.startsWith('UploadPart')).length, 0, resumed.join());
      assert.ok(resumed.includes('CompleteMultipartUpload 200'), resumed.join());
      assert.equal((await s.journal.getFile(file.id))?.state, 'done');
      assert.deepEqual(await listAllMultipartUploads(fx.client, fx.bucket.name), []);
    } finally {
      await s.close();
    }
  });
  void it('a file taken over whose object its holder had sent: looked at, not sent again', async () => {
    const s = await setup('');
    try {
      await s.offer('d.bin', randomBytes(4000));
      const file = await s.claim();
      // The holder sent it and stopped before recording anything: its hold lapses at the end.
      let from = proxy.log.length;
      const published = () => requests(from).includes('PutObject 200');
      await s.processor.process(
        file,
        s.runtime,
        s.guard(file, () => (published() ? 0 : Infinity)),
      );
      assert.deepEqual(requests(from), ['PutObject 200']);
      // Another agent takes it over once the lease expired.
      const later = Date.now() + 120_000;
      const taken = await s.journal.claim(later, { owner: OWNER, leaseMs: 60_000 }, ['j']);
      assert.equal(taken?.reason?.code, 'hold-expired');
      from = proxy.log.length;
      await s.processor.process(taken, s.runtime, s.guard(taken));
      assert.deepEqual(requests(from), ['HeadObject 200'], 'its object is recognised: no PUT');
      assert.equal((await s.journal.getFile(file.id))?.state, 'done');
      assert.equal((await s.journal.listHistory({ limit: 5 })).length, 1);
    } finally {
      await s.close();
    }
  });
});
