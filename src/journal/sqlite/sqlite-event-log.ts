/**
 * Events (kept newest N) and upload history of the SQLite journal.
 */
import type Database from 'better-sqlite3';
import type { EventRecord, HistoryEntry, HistoryRecord, NewEvent } from '../journal-store.js';
import { toEventRecord, toHistoryRecord } from '../journal-rows.js';
import type { HistoryTextIndex } from './sqlite-history-text.js';
import type { SqliteStatements } from './sqlite-statements.js';

/** Synchronous event and history operations; the store wraps them into its async contract. */
export interface SqliteEventLog {
  append(event: NewEvent): EventRecord;
  listEvents(limit: number, beforeId: number | undefined, type?: string): EventRecord[];
  countEvents(type?: string): number;
  addHistory(entry: HistoryEntry): HistoryRecord;
  listHistory(limit: number, offset: number, sourcePath?: string): HistoryRecord[];
}

/**
 * Builds the event log; `retention` is how many events to keep (>= 1). History rows reach the
 * trigram index through `historyText`, in batches.
 */
export function createEventLog(
  db: Database.Database,
  stmts: SqliteStatements,
  retention: number,
  historyText: HistoryTextIndex,
): SqliteEventLog {
  const appendTx = db.transaction((event: NewEvent): EventRecord => {
    const row = stmts.insertEvent.get({
      at: event.at,
      type: event.type,
      level: event.level,
      message: event.message,
      path: event.path ?? null,
      key: event.key ?? null,
      data: event.data === undefined ? null : JSON.stringify(event.data),
    });
    if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
    // Ids only grow and are never reused (AUTOINCREMENT), and the newest row is never deleted, so
    // the newest N events are exactly those with id > id - N: one indexed range delete.
    stmts.pruneEvents.run(row.id - retention);
    return toEventRecord(row);
  });

  return {
    append: (event) => appendTx.immediate(event),
    listEvents: (limit, beforeId, type) => {
      const params = { beforeId: beforeId ?? Number.MAX_SAFE_INTEGER, limit };
      const rows =
        type === undefined
          ? stmts.listEvents.all(params)
          : stmts.listEventsOfType.all({ ...params, type });
      return rows.map(toEventRecord);
    },
    countEvents: (type) =>
      (type === undefined ? stmts.countEvents.get() : stmts.countEventsOfType.get({ type }))?.n ??
      0,
    addHistory: (e) => {
      const row = stmts.insertHistory.get({
        sourcePath: e.sourcePath,
        endpoint: e.endpoint,
        bucket: e.bucket,
        key: e.key,
        size: e.size,
        startedAt: e.startedAt,
        finishedAt: e.finishedAt,
        avgBytesPerSec: e.avgBytesPerSec,
        attempts: e.attempts,
        etag: e.etag,
        checksum: e.checksum,
        result: e.result,
        error: e.error,
        job: e.job ?? null,
        versionId: e.versionId ?? null,
      });
      if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
      historyText.added(row.id);
      return toHistoryRecord(row);
    },
    listHistory: (limit, offset, sourcePath) =>
      (sourcePath === undefined
        ? stmts.listHistory.all({ limit, offset })
        : stmts.listHistoryBySource.all({ limit, offset, sourcePath })
      ).map(toHistoryRecord),
  };
}
