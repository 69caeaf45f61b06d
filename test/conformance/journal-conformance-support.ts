/**
 * Fixtures and helpers shared by the journal conformance suite (journal-conformance.ts).
 */
import assert from 'node:assert/strict';
import { isAppError } from '../../src/errors/app-error.js';
import type {
  Destination,
  FileToQueue,
  HistoryEntry,
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
    ...over,
  };
}
