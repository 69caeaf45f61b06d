/**
 * The JournalStore conformance suite: the whole contract of src/journal/journal-store.ts, as the
 * transfer engine, the agent and the CLI rely on it. Every store runs it (SQLite always, PostgreSQL
 * when PG_URL is set), so a behaviour the suite pins is a behaviour every store has.
 *
 * The factory must give each test a fresh, empty, isolated store (its own file, schema or
 * database), and honour the options the suite passes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JournalStore } from '../../src/journal/journal-store.js';
import { describeCapabilities } from './journal-conformance-capabilities.js';
import { describeEventsAndHistory } from './journal-conformance-events.js';
import { describeFiles } from './journal-conformance-files.js';
import { describePauses } from './journal-conformance-pauses.js';
import { describePipeline } from './journal-conformance-pipeline.js';
import { describeQueueStats } from './journal-conformance-queue-stats.js';
import { describeTransitions } from './journal-conformance-transitions.js';
import { describeSearch } from './journal-conformance-search.js';
import { describeReceipts } from './journal-conformance-receipts.js';
import {
  eventFor,
  fileFor,
  historyFor,
  intentFor,
  rejectsWithCode,
  withStore,
  type MakeJournalStore,
} from './journal-conformance-support.js';
import { describeUploads } from './journal-conformance-uploads.js';

export type {
  ConformanceStoreOptions,
  JournalFixture,
  MakeJournalStore,
} from './journal-conformance-support.js';

/** Everything a store holds, as read through the contract. */
async function snapshot(store: JournalStore, uploadId: number) {
  return {
    upload: await store.getUpload(uploadId),
    parts: await store.listParts(uploadId),
    open: await store.listOpenUploads(),
    events: await store.listEvents({ limit: 100 }),
    history: await store.listHistory({ limit: 100 }),
    files: await store.listFiles({ limit: 100 }),
    counts: await store.countFiles(),
    pauses: await store.pauses(),
  };
}

/** Writes one of everything. Returns the upload id. */
async function fill(store: JournalStore): Promise<number> {
  const { id } = await store.beginUpload(intentFor());
  await store.recordUploadId(id, 'upload-1');
  await store.recordPart(id, { partNumber: 1, size: 8, etag: 'e1', md5: 'a'.repeat(32) });
  await store.appendEvent(eventFor({ data: { n: 1 } }));
  await store.addHistory(historyFor());
  await store.enqueue(fileFor({ path: '/a' }), 100);
  await store.enqueue(fileFor({ path: '/b' }), 200);
  const claimed = await store.claim(250, { owner: 'o', leaseMs: 10 }, ['cams']);
  const hold = { fileId: claimed?.id ?? 0, owner: 'o' };
  await store.defer(hold, 300, {
    reason: { code: 'ERR_S3_THROTTLED', message: 'slow down', hint: null },
    notBefore: 900,
  });
  await store.setPaused({ job: 'other' }, true, 330);
  return id;
}

function describeLifecycle(make: MakeJournalStore): void {
  void describe('lifecycle', () => {
    void it('keeps everything across close and reopen', (t) =>
      withStore(make, async (store, fixture) => {
        if (fixture.reopen === undefined) {
          t.skip('this storage does not outlive its store');
          return;
        }
        const uploadId = await fill(store);
        const before = await snapshot(store, uploadId);
        await store.close();
        const reopened = await fixture.reopen();
        try {
          assert.deepEqual(await snapshot(reopened, uploadId), before);
          // The reopened store goes on where the old one stopped.
          const claim = { owner: 'p', leaseMs: 10 };
          const claims = [await reopened.claim(1000, claim), await reopened.claim(1000, claim)];
          assert.deepEqual(
            claims.map((f) => f?.path),
            ['/b', '/a'],
            'the queue and its waits survived',
          );
          const next = await reopened.appendEvent(eventFor());
          assert.ok(
            next.id > Math.max(...before.events.map((e) => e.id)),
            'event ids are never reused',
          );
          await reopened.recordPart(uploadId, {
            partNumber: 2,
            size: 8,
            etag: 'e2',
            md5: 'b'.repeat(32),
          });
          assert.equal((await reopened.listParts(uploadId)).length, 2);
        } finally {
          await reopened.close();
        }
      }));

    void it('close is idempotent, and a closed store rejects with ERR_JOURNAL', () =>
      withStore(make, async (store) => {
        await store.close();
        await store.close();
        await rejectsWithCode(store.enqueue(fileFor(), 1), 'ERR_JOURNAL');
        await rejectsWithCode(store.countFiles(), 'ERR_JOURNAL');
      }));
  });
}

/**
 * Registers the conformance suite for one store implementation under `name`.
 * `makeStore` gets the options a test needs (e.g. a small event retention) and must return a
 * fresh, empty, isolated store.
 */
export function runJournalConformance(name: string, makeStore: MakeJournalStore): void {
  void describe(`JournalStore conformance: ${name}`, () => {
    describeUploads(makeStore);
    describeEventsAndHistory(makeStore);
    describeFiles(makeStore);
    describeTransitions(makeStore);
    describePauses(makeStore);
    describeCapabilities(makeStore);
    describePipeline(makeStore);
    describeSearch(makeStore);
    describeReceipts(makeStore);
    describeQueueStats(makeStore);
    describeLifecycle(makeStore);
  });
}
