/**
 * The SQLite journal's group commit, through the JournalStore contract: the operations issued
 * during one event-loop turn land in one commit (counted in the WAL file) with the results each
 * would have had alone; one failing operation rejects alone; close() settles what is queued.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isAppError } from '../../src/errors/app-error.js';
import type { PartRecord } from '../../src/journal/journal-store.js';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import { MAX_GROUP } from '../../src/journal/sqlite/sqlite-group-commit.js';
import {
  DEST,
  eventFor,
  fileFor,
  intentFor,
  rejectsWithCode,
} from '../conformance/journal-conformance-support.js';
import { walCommits } from './journal-sqlite-wal.js';

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A journal path in a unique, empty tmp dir, removed when the file's tests end. */
async function journalPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `s3ferry-journal-batch-${process.pid}-`));
  dirs.push(dir);
  return join(dir, 'journal.db');
}

const part = (partNumber: number): PartRecord => ({
  partNumber,
  size: 4096,
  etag: `etag-${partNumber}`,
  md5: String(partNumber).padEnd(32, '0'),
});

/** `err` is an ERR_JOURNAL that says `text`. */
function assertJournalError(err: unknown, text: string): true {
  assert.ok(isAppError(err), `expected an AppError, got ${String(err)}`);
  assert.equal(err.code, 'ERR_JOURNAL');
  assert.ok(err.message.includes(text), err.message);
  return true;
}

async function rejectsSaying(promise: Promise<unknown>, text: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => assertJournalError(err, text));
}

void describe('SqliteJournalStore: group commit', () => {
  void it('commits the operations of one turn together, each with its own result', async () => {
    const path = await journalPath();
    const store = await SqliteJournalStore.open({ path });
    try {
      await store.appendEvent(eventFor({ message: 'setup' }));
      const before = walCommits(path);
      // One turn: 20 intents, a read of one of them, 20 events, 10 files and a claim.
      const begun = Array.from({ length: 20 }, (_, i) =>
        store.beginUpload(intentFor({ destination: { ...DEST, key: `k/${i}` } })),
      );
      const found = store.findOpenUpload({ ...DEST, key: 'k/7' });
      const events = Array.from({ length: 20 }, (_, i) =>
        store.appendEvent(eventFor({ message: `e${i}` })),
      );
      const files = Array.from({ length: 10 }, (_, i) =>
        store.enqueue(fileFor({ path: `/f/${i}` }), 1000 + i).then((e) => e.file),
      );
      const claimed = store.claim(5000, { owner: 'o', leaseMs: 1000 }, ['cams']);
      const uploads = await Promise.all(begun);
      const open = await found;
      const appended = await Promise.all(events);
      const queued = await Promise.all(files);
      const claim = await claimed;
      assert.equal(walCommits(path) - before, 1, 'one commit for the whole turn');

      assert.deepEqual(
        uploads.map((u) => [u.destination.key, u.state]),
        uploads.map((_, i) => [`k/${i}`, 'intent']),
      );
      const first = uploads[0]?.id ?? 0;
      assert.deepEqual(
        uploads.map((u) => u.id),
        uploads.map((_, i) => first + i),
      );
      assert.equal(open?.id, uploads[7]?.id, 'a read sees the writes queued before it');
      assert.deepEqual(
        appended.map((e) => e.message),
        appended.map((_, i) => `e${i}`),
      );
      assert.equal(await store.countEvents(), 21);
      assert.deepEqual(
        queued.map((f) => [f.path, f.state]),
        queued.map((_, i) => [`/f/${i}`, 'queued']),
      );
      assert.deepEqual([claim?.path, claim?.state], ['/f/0', 'uploading']);

      // Operations awaited one after the other take one turn, and one commit, each.
      const later = walCommits(path);
      await store.appendEvent(eventFor({ message: 'one' }));
      await store.appendEvent(eventFor({ message: 'two' }));
      assert.equal(walCommits(path) - later, 2);
    } finally {
      await store.close();
    }
  });

  void it(`commits a burst in groups of at most ${MAX_GROUP}`, async () => {
    const path = await journalPath();
    const store = await SqliteJournalStore.open({ path });
    try {
      await store.appendEvent(eventFor({ message: 'setup' }));
      const before = walCommits(path);
      const n = 2 * MAX_GROUP + 1;
      const appended = await Promise.all(
        Array.from({ length: n }, (_, i) => store.appendEvent(eventFor({ message: `b${i}` }))),
      );
      assert.equal(walCommits(path) - before, 3);
      assert.equal(appended.length, n);
      assert.equal(await store.countEvents(), n + 1);
    } finally {
      await store.close();
    }
  });

  void it('rejects only the failing operations of a group and commits the others', async () => {
    const path = await journalPath();
    let store = await SqliteJournalStore.open({ path });
    try {
      const { id } = await store.beginUpload(intentFor({ mode: 'single', partCount: 1 }));
      const { file } = await store.enqueue(fileFor(), 1000);
      await store.claim(1500, { owner: 'o', leaseMs: 10_000 });
      await store.markVerifying({ fileId: file.id, owner: 'o' }, 1600);
      const before = walCommits(path);
      const results = await Promise.allSettled([
        store.recordPart(id, part(1)),
        store.recordPart(id + 1000, part(1)),
        store.markCompleted(id, 'etag-1'),
        store.appendEvent(eventFor({ message: 'in the group' })),
        store.complete({ fileId: file.id + 1000, owner: 'o' }, 2000),
        store.finishUpload(id, { state: 'verified', finishedAt: 3000, etag: 'etag-1' }),
        store.complete({ fileId: file.id, owner: 'o' }, 3000),
      ]);
      assert.equal(walCommits(path) - before, 1, 'one group');
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
      );
      const [, unknownUpload, , , unknownFile] = results;
      assert.ok(unknownUpload.status === 'rejected' && unknownFile.status === 'rejected');
      assertJournalError(unknownUpload.reason, `upload ${id + 1000} is not in the journal`);
      assertJournalError(unknownFile.reason, `file ${file.id + 1000} is not in the journal`);

      await store.close();
      store = await SqliteJournalStore.open({ path });
      assert.deepEqual(await store.listParts(id), [part(1)]);
      const upload = await store.getUpload(id);
      assert.deepEqual([upload?.state, upload?.etag], ['verified', 'etag-1']);
      assert.deepEqual(
        (await store.listEvents({ limit: 10 })).map((e) => e.message),
        ['in the group'],
      );
      assert.equal((await store.getFile(file.id))?.state, 'done');
    } finally {
      await store.close();
    }
  });

  void it('close() runs and settles what is queued, then refuses new operations', async () => {
    const path = await journalPath();
    const store = await SqliteJournalStore.open({ path });
    const begun = store.beginUpload(intentFor());
    const event = store.appendEvent(eventFor({ message: 'queued before close' }));
    const unknown = store.recordPart(999_999, part(1));
    const closing = store.close();
    const late = store.appendEvent(eventFor({ message: 'after close' }));
    const { id } = await begun;
    assert.equal((await event).message, 'queued before close');
    await rejectsSaying(unknown, 'upload 999999 is not in the journal');
    await rejectsSaying(late, 'the journal is closed');
    await closing;
    await rejectsWithCode(store.countEvents(), 'ERR_JOURNAL');

    const reopened = await SqliteJournalStore.open({ path });
    try {
      assert.equal((await reopened.getUpload(id))?.state, 'intent');
      assert.deepEqual(
        (await reopened.listEvents({ limit: 10 })).map((e) => e.message),
        ['queued before close'],
      );
    } finally {
      await reopened.close();
    }
  });
});
