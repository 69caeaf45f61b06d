/**
 * Fixtures and helpers shared by the journal conformance suite (journal-conformance.ts).
 */
import assert from 'node:assert/strict';
import { isAppError } from '../../src/errors/app-error.js';
import type {
  Destination,
  FileReason,
  FileRecord,
  FileState,
  FileToQueue,
  HistoryEntry,
  Hold,
  JournalStore,
  NewEvent,
  UploadIntent,
} from '../../src/journal/journal-store.js';

/** Options the suite asks of a store; a factory must honour every one. */
export interface ConformanceStoreOptions {
  /** How many events to keep (the store's default when absent). */
  readonly eventRetention?: number;
}

/** A fresh, empty store, with a way to dispose of it (and maybe to open its storage again). */
export interface JournalFixture {
  readonly store: JournalStore;
  /** Closes `store` (it may already be closed) and removes its storage. */
  cleanup(): Promise<void>;
  /**
   * Opens a new store on the same storage, after the suite closed `store`; the suite closes it.
   * Absent when the storage does not outlive the store (SQLite ':memory:').
   */
  reopen?(): Promise<JournalStore>;
  /**
   * Opens a second store on the same storage while `store` stays open (as a second agent of a
   * fleet would); the suite closes it. Absent when the storage cannot be shared (':memory:').
   */
  second?(): Promise<JournalStore>;
}

/** Makes a fresh, empty, isolated store for one test. */
export type MakeJournalStore = (options: ConformanceStoreOptions) => Promise<JournalFixture>;

/** Runs `fn` on a fresh store and always cleans up after it. */
export async function withStore(
  make: MakeJournalStore,
  fn: (store: JournalStore, fixture: JournalFixture) => Promise<void>,
  options: ConformanceStoreOptions = {},
): Promise<void> {
  const fixture = await make(options);
  try {
    await fn(fixture.store, fixture);
  } finally {
    await fixture.cleanup();
  }
}

/** Asserts that `promise` rejects with an AppError of `code`. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isAppError(err), `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

/** The destination most tests use. */
export const DEST: Destination = { endpoint: '', bucket: 'media', key: 'recordings/cam-1/a.mp4' };

/** An upload intent, with `over` replacing any field. */
export function intentFor(over: Partial<UploadIntent> = {}): UploadIntent {
  return {
    destination: DEST,
    source: {
      path: '/srv/rec/cam-1/a.mp4',
      size: 20_000_000,
      mtimeMs: 1_700_000_000_000.25,
      inode: 1234,
    },
    mode: 'multipart',
    partSize: 8 * 1024 * 1024,
    partCount: 3,
    startedAt: 1_700_000_100_000,
    owner: 'host-a:4242',
    ...over,
  };
}

/** A file as a source reports it, with `over` replacing any field. */
export function fileFor(over: Partial<FileToQueue> = {}): FileToQueue {
  return {
    job: 'cams',
    path: '/srv/rec/cam-1/a.mp4',
    size: 1000,
    mtimeMs: 5000.5,
    inode: 77,
    ...over,
  };
}

/** An event, with `over` replacing any field. */
export function eventFor(over: Partial<NewEvent> = {}): NewEvent {
  return {
    at: 1_700_000_000_000,
    type: 'upload.started',
    level: 'info',
    message: 'started',
    ...over,
  };
}

/** A history entry, with `over` replacing any field. */
export function historyFor(over: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    sourcePath: '/srv/rec/cam-1/a.mp4',
    endpoint: '',
    bucket: 'media',
    key: 'recordings/cam-1/a.mp4',
    size: 20_000_000,
    startedAt: 1_700_000_000_000,
    finishedAt: 1_700_000_004_000,
    avgBytesPerSec: 5_000_000,
    attempts: 1,
    etag: '9b2cf535f27731c974343645a3985328-3',
    checksum: 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
    result: 'done',
    error: null,
    versionId: null,
    ...over,
  };
}

/** The owner most tests claim as, and its lease. */
export const OWNER = 'host-t:1:t';
export const CLAIM = { owner: OWNER, leaseMs: 1_000_000 } as const;

/** A file of its own job (so a claim of that job takes exactly it), in `state`, and its hold. */
export interface Reached {
  readonly file: FileRecord;
  readonly hold: Hold;
}

const REASON: FileReason = { code: 'ERR_FILE_UNREADABLE', message: 'EACCES', hint: 'chmod it' };

/**
 * Brings a new file to `state` through legal moves only, at times from `now` on: enqueue, claim
 * (as `owner`), then the transition that enters the state. The file's job is its own unless given.
 */
export async function reach(
  store: JournalStore,
  state: FileState,
  now: number,
  over: Partial<FileToQueue> = {},
  owner: string = OWNER,
): Promise<Reached> {
  const path = over.path ?? `/reach/${state}/${now}`;
  const file = fileFor({ job: `job:${path}`, ...over, path });
  const { file: queued } = await store.enqueue(file, now);
  const hold = { fileId: queued.id, owner };
  if (state === 'queued') return { file: queued, hold };
  const claimed = await store.claim(now + 1, { owner, leaseMs: 1_000_000 }, [file.job]);
  assert.equal(claimed?.id, queued.id, `claimed ${path} to bring it to ${state}`);
  const t = now + 2;
  const moved = await moveTo(store, state, hold, t);
  return { file: moved, hold };
}

async function moveTo(
  store: JournalStore,
  state: FileState,
  hold: Hold,
  t: number,
): Promise<FileRecord> {
  switch (state) {
    case 'uploading':
      return (await store.getFile(hold.fileId)) as FileRecord;
    case 'verifying':
      return (await store.markVerifying(hold, t)).file;
    case 'done':
      await store.markVerifying(hold, t);
      return (await store.complete(hold, t + 1)).file;
    case 'skipped':
      return (await store.skip(hold, t, { reason: { ...REASON, code: 'exists' } })).file;
    case 'parked':
      return (await store.park(hold, t, { reason: REASON })).file;
    case 'waiting':
      return (await store.defer(hold, t, { reason: REASON, notBefore: t + 1_000_000 })).file;
    case 'cancelled':
      return (await store.cancel(hold, t, { reason: { ...REASON, code: 'vanished' } })).file;
    case 'settling':
      return (await store.resettle(hold, t, { reason: { ...REASON, code: 'changed' } })).file;
    case 'queued':
      return (await store.release(hold, t, { reason: { ...REASON, code: 'released' } })).file;
  }
}
