/**
 * The agent's metrics fed by a real EventSink over a real (in-memory) journal: upload counters and
 * histograms per job from the file.done of an upload, errors by kind and code from file.parked and
 * file.waiting, gauges read at scrape time, and registries that never share anything.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { EventSink } from '../../src/agent/event-sink.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { silentLogger } from '../../src/platform/logger.js';
import {
  createAgentMetrics,
  writeTransactionsOf,
  type AgentMetrics,
} from '../../src/metrics/agent-metrics.js';
import { FakeClock } from '../support/fake-clock.js';
import { parsePrometheus, sampleValue } from '../e2e/api-support.js';

describe('agent metrics', () => {
  let journal: SqliteJournalStore;
  let sink: EventSink;
  let metrics: AgentMetrics;
  const health = [{ name: 's3://b/ at http://127.0.0.1:7480', healthy: false }];

  before(async () => {
    journal = await SqliteJournalStore.open({ path: ':memory:' });
    sink = new EventSink({ journal, logger: silentLogger, clock: new FakeClock() });
    metrics = createAgentMetrics({
      registry: new Registry(),
      events: sink,
      countFiles: () => journal.countFiles(),
      destinations: () => health,
      processMetrics: false,
    });
  });
  after(async () => {
    metrics.close();
    await sink.close();
    await journal.close();
  });

  const scrape = async () => parsePrometheus(await metrics.registry.metrics());

  it('counts uploads per job from file.done; histograms observe size and duration', async () => {
    for (const [job, size, durationMs] of [
      ['cams', 1000, 500],
      ['cams', 3_000_000, 12_000],
      ['docs', 10, 50],
    ] as const)
      await sink.emit('file.done', 'info', 'uploaded', {
        data: { job, size, durationMs, mode: 'single' },
      });
    await sink.emit('upload.started', 'info', 'not counted', { data: { job: 'cams', size: 5 } });
    // A copy, or an upload a restart found done: not an upload of this run.
    await sink.emit('file.done', 'info', 'copied', {
      data: { job: 'cams', size: 7, copiedFrom: 'k' },
    });
    const s = await scrape();
    assert.equal(sampleValue(s, 's3ferry_uploaded_files_total', { job: 'cams' }), 2);
    assert.equal(sampleValue(s, 's3ferry_uploaded_bytes_total', { job: 'cams' }), 3_001_000);
    assert.equal(sampleValue(s, 's3ferry_uploaded_bytes_total', { job: 'docs' }), 10);
    assert.equal(sampleValue(s, 's3ferry_upload_size_bytes_count', { job: 'cams' }), 2);
    assert.equal(sampleValue(s, 's3ferry_upload_duration_seconds_sum', { job: 'cams' }), 12.5);
    assert.equal(
      sampleValue(s, 's3ferry_upload_duration_seconds_bucket', { job: 'cams', le: '1' }),
      1,
    );
  });

  it('counts errors by kind and code; unknown codes are kind unknown', async () => {
    await sink.emit('file.parked', 'error', 'x', { data: { code: 'ERR_KEY_INVALID' } });
    await sink.emit('file.waiting', 'warn', 'x', { data: { code: 'ERR_S3_ACCESS_DENIED' } });
    await sink.emit('file.waiting', 'warn', 'x', { data: { code: 'ERR_S3_ACCESS_DENIED' } });
    await sink.emit('file.waiting', 'warn', 'x', { data: { code: 'ERR_FROM_THE_FUTURE' } });
    await sink.emit('upload.failed', 'error', 'not counted', { data: { code: 'ERR_NETWORK' } });
    const s = await scrape();
    const errors = (kind: string, code: string) =>
      sampleValue(s, 's3ferry_errors_total', { kind, code });
    assert.equal(errors('permanent', 'ERR_KEY_INVALID'), 1);
    assert.equal(errors('fatal', 'ERR_S3_ACCESS_DENIED'), 2);
    assert.equal(errors('unknown', 'ERR_FROM_THE_FUTURE'), 1);
    assert.equal(errors('transient', 'ERR_NETWORK'), undefined);
  });

  it('reads files per state, queue depth and destination health at scrape time', async () => {
    await journal.enqueue({ job: 'cams', path: '/a', size: 1, mtimeMs: 1, inode: 1 }, 1);
    const { file: w } = await journal.enqueue(
      { job: 'w', path: '/b', size: 1, mtimeMs: 1, inode: 2 },
      1,
    );
    const hold = (id: number) => ({ fileId: id, owner: 'o' });
    await journal.claim(2, { owner: 'o', leaseMs: 1000 }, ['w']);
    const reason = { code: 'ERR_NETWORK', message: 'reset', hint: null };
    await journal.defer(hold(w.id), 2, { reason, notBefore: 99 });
    const { file: d } = await journal.enqueue(
      { job: 'd', path: '/c', size: 1, mtimeMs: 1, inode: 3 },
      1,
    );
    await journal.claim(2, { owner: 'o', leaseMs: 1000 }, ['d']);
    await journal.markVerifying(hold(d.id), 2);
    await journal.complete(hold(d.id), 2);
    let s = await scrape();
    assert.equal(sampleValue(s, 's3ferry_files', { state: 'queued' }), 1);
    assert.equal(sampleValue(s, 's3ferry_files', { state: 'done' }), 1);
    assert.equal(sampleValue(s, 's3ferry_files', { state: 'parked' }), 0);
    assert.equal(sampleValue(s, 's3ferry_queue_depth'), 2);
    assert.equal(
      sampleValue(s, 's3ferry_destination_healthy', { destination: health[0]!.name }),
      0,
    );
    health[0]!.healthy = true;
    s = await scrape();
    assert.equal(
      sampleValue(s, 's3ferry_destination_healthy', { destination: health[0]!.name }),
      1,
    );
  });

  it('shows each bandwidth limit in effect, 0 for none, destination="*" for the agent\'s', async () => {
    const limit = (destination: string, bytesPerSec: number | null) => ({
      destination,
      bytesPerSec,
      source: 'config' as const,
      timetable: null,
    });
    const view = { agent: limit('*', 4096), destinations: [limit(health[0]!.name, null)] };
    const m = createAgentMetrics({
      registry: new Registry(),
      events: sink,
      countFiles: () => journal.countFiles(),
      destinations: () => health,
      bandwidth: () => view,
      processMetrics: false,
    });
    let s = parsePrometheus(await m.registry.metrics());
    const gauge = (destination: string) =>
      sampleValue(s, 's3ferry_bwlimit_bytes_per_second', { destination });
    assert.equal(gauge('*'), 4096);
    assert.equal(gauge(health[0]!.name), 0);
    view.destinations = [limit(health[0]!.name, 1024)];
    view.agent = limit('*', null);
    s = parsePrometheus(await m.registry.metrics());
    assert.equal(gauge('*'), 0);
    assert.equal(gauge(health[0]!.name), 1024);
    m.close();
  });

  it('a journal that cannot be read sets s3ferry_journal_up to 0 and the scrape still answers', async () => {
    const broken = await SqliteJournalStore.open({ path: ':memory:' });
    await broken.enqueue({ job: 'j', path: '/a', size: 1, mtimeMs: 1, inode: 1 }, 1);
    let reads = 0;
    const m = createAgentMetrics({
      registry: new Registry(),
      events: sink,
      countFiles: () => {
        reads += 1;
        return broken.countFiles();
      },
      destinations: () => [],
      processMetrics: false,
    });
    try {
      let s = parsePrometheus(await m.registry.metrics());
      assert.equal(sampleValue(s, 's3ferry_journal_up'), 1);
      assert.equal(sampleValue(s, 's3ferry_queue_depth'), 1);
      assert.equal(reads, 1, 'one journal read per scrape');
      await broken.close(); // every read now fails, as with a lost database or a broken file
      s = parsePrometheus(await m.registry.metrics());
      assert.equal(sampleValue(s, 's3ferry_journal_up'), 0);
      assert.equal(sampleValue(s, 's3ferry_queue_depth'), 1, 'the last value is kept');
    } finally {
      m.close();
    }
  });

  it("exports the journal's write transactions when it counts them, and only then", async () => {
    let count = 5;
    const registry = new Registry();
    const counted = createAgentMetrics({
      registry,
      events: sink,
      countFiles: () => journal.countFiles(),
      destinations: () => [],
      processMetrics: false,
      journalWriteTransactions: () => count,
    });
    try {
      const read = async () =>
        sampleValue(
          parsePrometheus(await registry.metrics()),
          's3ferry_journal_write_transactions_total',
          {},
        );
      assert.equal(await read(), 5);
      count = 12;
      assert.equal(await read(), 12);
    } finally {
      counted.close();
    }
    assert.equal(
      (await scrape()).some((x) => x.name === 's3ferry_journal_write_transactions_total'),
      false,
    );
    const before = journal.writeTransactions;
    await journal.appendEvent({ at: 1, type: 'test', level: 'info', message: 'x' });
    assert.equal(writeTransactionsOf(journal)?.(), before + 1);
    assert.equal(writeTransactionsOf({}), undefined);
  });

  it('each registry is its own: a second one starts at zero; close() stops counting', async () => {
    const other = createAgentMetrics({
      registry: new Registry(),
      events: sink,
      countFiles: () => journal.countFiles(),
      destinations: () => [],
      processMetrics: false,
    });
    other.close();
    await sink.emit('file.done', 'info', 'after close', {
      data: { job: 'cams', size: 1, mode: 'single' },
    });
    const s = parsePrometheus(await other.registry.metrics());
    assert.equal(sampleValue(s, 's3ferry_uploaded_files_total', { job: 'cams' }), undefined);
    assert.equal(sampleValue(await scrape(), 's3ferry_uploaded_files_total', { job: 'cams' }), 3);
  });
});
