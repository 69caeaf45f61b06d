/**
 * The end state the crash torture demands, read from the store, the disk and the journal:
 * every source file has exactly one object, whose bytes hash to the file's sha256; no other
 * object; no incomplete multipart upload; the journal says done for every file.
 */
import { isProbeKey } from '../../../src/domain/capabilities.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SqliteJournalStore } from '../../../src/journal/sqlite/sqlite-journal-store.js';
import { fileSha256, objectDigest } from '../cli.js';
import { listAllMultipartUploads, listAllObjects } from '../s3-server.js';

export interface Verdict {
  readonly files: number;
  /** Objects in the bucket, the probes' scratch objects left out. */
  readonly objects: number;
  /** Files whose object is missing or differs, with why. */
  readonly wrong: readonly string[];
  /** Objects no file accounts for. */
  readonly extra: readonly string[];
  /**
   * Scratch objects of capability probes a kill cut short (PREFIX.s3ferry-probe-ID, 57 bytes
   * each): not a file's, never published as one; shown in the report, not a broken promise.
   */
  readonly probeLeftovers: readonly string[];
  readonly incompleteUploads: number;
  /** Files of the journal per state. */
  readonly journalStates: Readonly<Record<string, number>>;
  /** Source files not marked done in the journal. */
  readonly notDone: readonly string[];
}

/** Every file under `dir`, as '/'-separated paths relative to it. */
export async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, rel), { withFileTypes: true })) {
    const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, path)));
    else out.push(path);
  }
  return out.sort();
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>) {
  const out: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next;
      next += 1;
      const item = items[i];
      if (item !== undefined) out[i] = await fn(item);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

/** Compares the inbox (keys = relative paths under `prefix`) with the bucket and the journal. */
export async function verifyEndState(o: {
  client: S3Client;
  bucket: string;
  prefix: string;
  inbox: string;
  journal: string;
}): Promise<Verdict> {
  const files = await listFiles(o.inbox);
  const objects = await listAllObjects(o.client, o.bucket);
  const byKey = new Map(objects.map((obj) => [obj.key, obj]));
  const wanted = new Set(files.map((f) => `${o.prefix}${f}`));
  const wrong = (
    await mapLimit(files, 8, async (f) => {
      const key = `${o.prefix}${f}`;
      if (!byKey.has(key)) return `${f}: no object ${key}`;
      const [local, remote] = await Promise.all([
        fileSha256(join(o.inbox, f)),
        objectDigest(o.client, o.bucket, key),
      ]);
      return local === remote.sha256 ? undefined : `${f}: sha256 ${remote.sha256} != ${local}`;
    })
  ).filter((w): w is string => w !== undefined);
  const others = objects.map((obj) => obj.key).filter((k) => !wanted.has(k));
  const extra = others.filter((k) => !isProbeKey(k));
  const probeLeftovers = others.filter(isProbeKey);
  const incomplete = await listAllMultipartUploads(o.client, o.bucket);

  const store = await SqliteJournalStore.open({ path: o.journal });
  try {
    const journalStates = await store.countFiles();
    const done = new Set(
      (await store.listFiles({ states: ['done'], limit: 10_000_000 })).map((r) => r.path),
    );
    const notDone = files.filter((f) => !done.has(join(o.inbox, f)));
    return {
      files: files.length,
      objects: objects.length - probeLeftovers.length,
      wrong,
      extra,
      probeLeftovers,
      incompleteUploads: incomplete.length,
      journalStates: Object.fromEntries(Object.entries(journalStates).filter(([, n]) => n > 0)),
      notDone,
    };
  } finally {
    await store.close();
  }
}
