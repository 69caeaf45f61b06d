/**
 * Manifests on the project's RGW (issue 16, item 4): the agent in process (startAgent, as
 * `s3ferry run` builds it) with `manifest: hourly`, on a clock the test moves: time runs as real
 * time from a chosen moment, and jumps on request (sleeps end once their time has come).
 * - Files uploaded in an hour are listed, one JSON line each, in that hour's manifest object,
 *   written once the hour has closed (and the grace passed), with what the history says of them.
 * - Idempotent: a row the journal records late for that hour makes the next close rewrite the
 *   whole hour's manifest, with every line.
 * - Never a file: no history row, no file event, no count in the status for a manifest object.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { MANIFEST_ROWS_KEY } from '../../src/agent/manifest-writer.js';
import { startAgent, type RunningAgent } from '../../src/agent/compose.js';
import { loadConfig } from '../../src/config/load.js';
import { MANIFEST_GRACE_MS } from '../../src/domain/manifest-window.js';
import type { HistoryRecord } from '../../src/journal/journal-store.js';
import type { Clock } from '../../src/platform/clock.js';
import { waitFor } from '../support/agent-process.js';
import { S3Fixture } from '../support/s3-fixture.js';
import { listAllObjects } from '../support/s3-server.js';

const HOUR = 3_600_000;

/** Real time from `start` on, plus the jumps asked for; a sleep ends once its time has come. */
class SteerableClock implements Clock {
  #offset: number;
  constructor(start: number) {
    this.#offset = start - Date.now();
  }
  now(): number {
    return Date.now() + this.#offset;
  }
  jump(ms: number): void {
    this.#offset += ms;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const until = this.now() + ms;
    while (this.now() < until) {
      signal?.throwIfAborted();
      await sleep(Math.min(200, until - this.now()), undefined, signal ? { signal } : {});
    }
  }
}

void describe('manifests: what a job uploaded in each hour, in its destination', () => {
  const fx = S3Fixture.use('agent-manifest');
  let running: RunningAgent;
  let clock: SteerableClock;
  let inbox: string;
  /** The hour the uploads happen in (ten minutes before its end when the agent starts). */
  let hour: number;

  before(async () => {
    inbox = join(fx.tmp.path, 'inbox');
    const dir = join(fx.tmp.path, 'agent');
    await mkdir(inbox, { recursive: true });
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 's3ferry.yaml'),
      `jobs:
  - name: cams
    sources: [${JSON.stringify(inbox)}]
    settle: 300ms
    manifest: hourly
    destination:
      bucket: ${fx.bucket.name}
      prefix: site-a/
      endpoint: ${fx.info.endpoint}
      region: ${fx.info.region}
      accessKeyId: ${fx.info.accessKeyId}
      secretAccessKey: ${fx.info.secretAccessKey}
`,
    );
    const config = await loadConfig({
      file: join(dir, 's3ferry.yaml'),
      flags: { journal: join(dir, 'journal.db') },
    });
    hour = Math.floor(Date.now() / HOUR) * HOUR + 5 * HOUR;
    clock = new SteerableClock(hour + 50 * 60_000);
    running = await startAgent(config, {
      env: {},
      clock,
      logStream: new Writable({
        write: (_c, _e, done) => {
          done();
        },
      }),
    });
  });
  after(async () => {
    await running.close();
  });

  const key = (start: number): string =>
    `site-a/_s3ferry/manifests/cams/${new Date(start).toISOString().slice(0, 13)}.jsonl`;
  const manifest = async (start: number): Promise<string | undefined> => {
    try {
      const out = await fx.client.send(
        new GetObjectCommand({ Bucket: fx.bucket.name, Key: key(start) }),
      );
      return await out.Body?.transformToString('utf8');
    } catch {
      return undefined;
    }
  };
  /** The manifest's text once written (waitFor wants a truthy answer: an empty one is '' ). */
  const written = async (start: number): Promise<{ text: string } | undefined> => {
    const text = await manifest(start);
    return text === undefined ? undefined : { text };
  };
  const done = async (): Promise<HistoryRecord[]> =>
    (
      await running.journal.searchHistory({
        job: 'cams',
        result: 'done',
        sort: 'finishedAt',
        order: 'asc',
        limit: 100,
      })
    ).items;

  void it('at start, the two hours before are written (empty: nothing was uploaded then)', async () => {
    for (const start of [hour - HOUR, hour - 2 * HOUR])
      assert.equal((await waitFor(key(start), () => written(start))).text, '');
  });

  void it("once the hour closed, its manifest lists the hour's uploads as the history says", async () => {
    await writeFile(join(inbox, 'a.mp4'), 'first file');
    await mkdir(join(inbox, 'sub'));
    await writeFile(join(inbox, 'sub', 'b, "quoted".mp4'), 'second file, longer');
    const rows = await waitFor('both uploaded', async () => {
      const r = await done();
      return r.length === 2 ? r : undefined;
    });
    assert.ok(rows.every((r) => r.finishedAt >= hour && r.finishedAt < hour + HOUR));
    await sleep(1000);
    assert.equal(await manifest(hour), undefined, 'not before the hour has closed');
    clock.jump(hour + HOUR + MANIFEST_GRACE_MS - clock.now() + 1000);
    const text = await waitFor('the manifest', () => manifest(hour));
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines,
      rows.map((r) => ({
        key: r.key,
        versionId: null,
        size: r.size,
        etag: r.etag,
        checksum: r.checksum,
        source: r.sourcePath,
        startedAt: new Date(r.startedAt).toISOString(),
        uploadedAt: new Date(r.finishedAt).toISOString(),
      })),
    );
    assert.deepEqual(
      lines.map((l) => l.key),
      ['site-a/a.mp4', 'site-a/sub/b, "quoted".mp4'],
    );
    const head = await fx.client.send(
      new HeadObjectCommand({ Bucket: fx.bucket.name, Key: key(hour) }),
    );
    assert.equal(head.Metadata?.[MANIFEST_ROWS_KEY], '2');
    assert.equal(head.ContentType, 'application/x-ndjson');
  });

  void it('a row recorded late makes the next close rewrite the whole hour', async () => {
    const [first] = await done();
    assert.ok(first !== undefined);
    const { id, ...entry } = first;
    assert.ok(id > 0);
    const late = { ...entry, key: 'site-a/late.mp4', sourcePath: '/late.mp4' };
    await running.journal.addHistory({ ...late, finishedAt: hour + HOUR - 1 });
    clock.jump(HOUR);
    const text = await waitFor('the rewritten manifest', async () => {
      const t = await manifest(hour);
      return t !== undefined && t.split('\n').length === 4 ? t : undefined;
    });
    assert.deepEqual(
      text
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { key: string }).key),
      ['site-a/a.mp4', 'site-a/sub/b, "quoted".mp4', 'site-a/late.mp4'],
    );
    assert.equal((await waitFor('the next hour', () => written(hour + HOUR))).text, '');
  });

  void it('a manifest is never a file: no history row, no file event, no count', async () => {
    const objects = (await listAllObjects(fx.client, fx.bucket.name)).map((o) => o.key);
    assert.ok(objects.filter((k) => k.includes('/_s3ferry/manifests/')).length >= 4);
    const history = await running.journal.searchHistory({ q: '_s3ferry', limit: 10 });
    assert.equal(history.total, 0);
    const events = await running.journal.listEvents({ limit: 1000 });
    assert.ok(events.some((e) => e.type === 'manifest.written' && e.key === key(hour)));
    assert.deepEqual(
      events.filter((e) => e.type.startsWith('file.') && (e.key ?? '').includes('_s3ferry')),
      [],
    );
    const counts = await running.journal.countFiles();
    assert.equal(counts.done, 2, 'the two files, nothing else');
  });
});
