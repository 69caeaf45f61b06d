/**
 * Applies pending migrations to a SQLite journal. `PRAGMA user_version` is the ledger (it lives in
 * the database header, so it commits or rolls back with the migration), and `BEGIN IMMEDIATE`
 * takes the write lock first, so two processes opening a new journal at once cannot both migrate.
 */
import type Database from 'better-sqlite3';
import { assertMigrationList, latestVersion, type Migration } from '../migrations/migration.js';
import { journalError, type JournalErrorContext } from '../journal-errors.js';

/** The schema version recorded in the journal. */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function refuseNewer(current: number, latest: number, ctx: JournalErrorContext): never {
  throw journalError(
    'ERR_JOURNAL',
    ctx,
    `the journal has schema version ${current}, newer than this s3ferry knows (${latest})`,
    'a newer s3ferry wrote this journal: upgrade s3ferry, or use --journal to choose another file',
  );
}

/**
 * Brings the journal to the latest schema and returns how many migrations ran (0 when it was up to
 * date: then no write lock is taken at all). Each run is all or nothing. Throws the driver's error
 * on failure (the caller maps it), or an AppError when the journal is newer than `migrations`.
 */
export function migrateSqlite(
  db: Database.Database,
  migrations: readonly Migration[],
  ctx: JournalErrorContext,
): number {
  assertMigrationList(migrations);
  const latest = latestVersion(migrations);
  const seen = schemaVersion(db);
  if (seen > latest) refuseNewer(seen, latest, ctx);
  if (seen === latest) return 0;

  db.exec('BEGIN IMMEDIATE');
  try {
    // Read again under the lock: another process may have migrated while we waited for it.
    const current = schemaVersion(db);
    if (current > latest) refuseNewer(current, latest, ctx);
    const pending = migrations.filter((m) => m.version > current);
    for (const m of pending) {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
    db.exec('COMMIT');
    return pending.length;
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
