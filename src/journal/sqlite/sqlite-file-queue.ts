/**
 * The file queue half of the SQLite journal: enqueue with dedup by (job, path), claim, state moves.
 * Queue order is `ready_at`, the time a file became claimable: when it was queued, or the
 * notBefore of a waiting file. So a file whose retry came due waits behind nothing queued later.
 */
import type Database from 'better-sqlite3';
import type { FileRecord, FileState, FileToQueue } from '../journal-store.js';
import { toFileRecord, type FileRow } from './sqlite-rows.js';
import type { SqliteStatements } from './sqlite-statements.js';

/** Extra facts of a state move (see JournalStore.setFileState). */
export interface FileStateExtra {
  readonly reason?: string | null;
  readonly notBefore?: number | null;
  readonly countAttempt?: boolean;
}

/** Synchronous file-queue operations; the store wraps them into its async contract. */
export interface FileQueue {
  /** See JournalStore.enqueueFile. One IMMEDIATE transaction. */
  enqueue(file: FileToQueue, now: number): FileRecord;
  /** See JournalStore.claimNextFile. One statement. */
  claimNext(now: number, jobs?: readonly string[]): FileRecord | undefined;
  /** See JournalStore.setFileState. False when no file has this id. */
  setState(id: number, state: FileState, now: number, extra: FileStateExtra): boolean;
}

/** States a source may still be deciding about: enqueueing the same file again moves it on. */
const NOT_YET_QUEUED: ReadonlySet<FileState> = new Set<FileState>(['discovered', 'settling']);

function sameIdentity(row: FileRow, file: FileToQueue): boolean {
  return row.size === file.size && row.mtime_ms === file.mtimeMs && row.inode === file.inode;
}

function returned(row: FileRow | undefined): FileRow {
  if (row === undefined) throw new Error('a statement with RETURNING returned no row');
  return row;
}

/** Builds the file queue on a connection and its prepared statements. */
export function createFileQueue(db: Database.Database, stmts: SqliteStatements): FileQueue {
  const enqueueTx = db.transaction((file: FileToQueue, now: number): FileRecord => {
    const { job, path, size, mtimeMs, inode } = file;
    const row = stmts.findFile.get({ job, path });
    if (row === undefined) {
      return toFileRecord(returned(stmts.insertFile.get({ job, path, size, mtimeMs, inode, now })));
    }
    const changed = !sameIdentity(row, file);
    if (!changed && !NOT_YET_QUEUED.has(row.state)) return toFileRecord(row);
    // A changed file is a new version: its earlier attempts and reasons no longer apply.
    const attempts = changed ? 0 : row.attempts;
    const params = { id: row.id, size, mtimeMs, inode, attempts, now };
    return toFileRecord(returned(stmts.requeueFile.get(params)));
  });

  return {
    enqueue: (file, now) => enqueueTx.immediate(file, now),
    claimNext: (now, jobs) => {
      const row = stmts.claimFile.get({
        now,
        jobs: jobs === undefined ? null : JSON.stringify(jobs),
      });
      return row === undefined ? undefined : toFileRecord(row);
    },
    setState: (id, state, now, extra) => {
      const notBefore = extra.notBefore ?? null;
      const readyAt = state === 'waiting' ? (notBefore ?? now) : now;
      const addAttempts = extra.countAttempt === true ? 1 : 0;
      const params = {
        id,
        state,
        reason: extra.reason ?? null,
        notBefore,
        addAttempts,
        now,
        readyAt,
      };
      return stmts.setFileState.run(params).changes > 0;
    },
  };
}
