/**
 * The trigram index of the history's text (`history_text`, FTS5, migration 5), kept up to date in
 * batches rather than row by row (migration 7).
 *
 * Why: FTS5 writes a new index segment at every commit that changed it, and merges segments as
 * they pile up. Through a trigger, each history row (one per uploaded file) paid that: about
 * 0.14 ms of CPU, a third of what the journal costs a small file (bench/journal-ops.ts). Indexing
 * the rows of a batch in one statement costs about 0.003 ms a row.
 *
 * How: `history_text_state.indexed_through` is the last history id the index holds. {@link
 * HistoryTextIndex.catchUp} indexes every row after it and moves it, in one transaction (a
 * savepoint inside the caller's). It runs once {@link BATCH} rows wait, before every text search
 * (so a search never misses a row), and when the store closes. Rows are only ever appended to
 * `history` with growing ids (AUTOINCREMENT), and never updated; a deleted row leaves the index
 * through the delete trigger only if it was in it.
 */
import type Database from 'better-sqlite3';

/** Rows that may wait unindexed before an insert indexes them. */
export const BATCH = 1000;

/** Batched upkeep of the history's trigram index. Synchronous, like the rest of the store. */
export interface HistoryTextIndex {
  /** Called after history row `id` was inserted: indexes the waiting rows once BATCH wait. */
  added(id: number): void;
  /** Indexes every history row the index does not hold yet. */
  catchUp(): void;
}

/** Builds the index upkeep on a migrated connection. */
export function createHistoryTextIndex(db: Database.Database): HistoryTextIndex {
  const mark = db.prepare<[], { indexed_through: number }>(
    'SELECT indexed_through FROM history_text_state',
  );
  const index = db.prepare(`INSERT INTO history_text (rowid, source_path, object_key)
    SELECT id, source_path, object_key FROM history
    WHERE id > (SELECT indexed_through FROM history_text_state) ORDER BY id`);
  const advance = db.prepare<[], { indexed_through: number }>(`UPDATE history_text_state
    SET indexed_through = max(indexed_through, (SELECT coalesce(max(id), 0) FROM history))
    RETURNING indexed_through`);
  // Another process may index too (a one-shot upload sharing the file): the state row, read in
  // the transaction, is the truth; this copy only decides when to look.
  let indexedThrough = mark.get()?.indexed_through ?? 0;
  const catchUp = db.transaction(() => {
    index.run();
    indexedThrough = advance.get()?.indexed_through ?? indexedThrough;
  });
  return {
    added: (id) => {
      if (id - indexedThrough >= BATCH) catchUp.immediate();
    },
    catchUp: () => {
      catchUp.immediate();
    },
  };
}
