/** Watching a journal that another process writes (WAL lets us read while it writes). */
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteJournalStore } from '../../src/journal/sqlite/sqlite-journal-store.js';
import type { PartRecord, UploadRecord } from '../../src/journal/journal-store.js';

export interface OpenUploadState {
  readonly upload: UploadRecord;
  readonly parts: PartRecord[];
}

/** The open multipart upload of the journal and its journaled parts, if any. */
export async function openUploadState(journalPath: string): Promise<OpenUploadState | undefined> {
  const store = await SqliteJournalStore.open({ path: journalPath });
  try {
    const open = (await store.listOpenUploads()).filter((u) => u.uploadId !== null);
    const upload = open[open.length - 1];
    if (upload === undefined) return undefined;
    return { upload, parts: await store.listParts(upload.id) };
  } finally {
    await store.close();
  }
}

/** Polls until the journal holds at least `min` parts of an open upload. */
export async function waitForParts(
  journalPath: string,
  min: number,
  timeoutMs = 120_000,
): Promise<OpenUploadState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await openUploadState(journalPath).catch(() => undefined);
    if (state !== undefined && state.parts.length >= min) return state;
    if (Date.now() > deadline)
      throw new Error(`the journal ${journalPath} never reached ${min} parts`);
    await sleep(50);
  }
}
