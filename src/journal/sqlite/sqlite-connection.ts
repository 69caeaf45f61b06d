/**
 * Opens the SQLite journal file: creates its directory (0700) and file (0600), sets the pragmas, refuses files that are
 * another program's database, and runs the migrations.
 *
 * Durability: WAL with `synchronous=NORMAL` by default. Every commit is written to the WAL file
 * before it returns, so a process crash or SIGKILL loses nothing; only a power loss or kernel
 * crash may lose the last commits (the WAL is fsynced at checkpoints, not at each commit). That
 * is safe for s3ferry because every journal fact is re-derivable: lost parts are found again by
 * ListParts, a lost UploadId by ListMultipartUploads on our own key, lost queue entries by the
 * rescan; and a source is only deleted after HeadObject verified the object, never on the
 * journal's word alone. `synchronous: 'full'` fsyncs each commit, for those who want it anyway at
 * the cost of one fsync per commit: one per event-loop turn that wrote to the journal, since the
 * store commits the operations of a turn together (sqlite-group-commit.ts).
 */
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, ensurePrivateFile, tightenFile } from '../../platform/private-files.js';
import { journalError, type JournalErrorContext } from '../journal-errors.js';
import { SQLITE_APPLICATION_ID, SQLITE_MIGRATIONS } from '../migrations/sqlite-migrations.js';
import { migrateSqlite } from './sqlite-migrator.js';

/** How to open the connection. */
export interface SqliteConnectionOptions {
  readonly path: string;
  readonly busyTimeoutMs: number;
  readonly synchronous: 'normal' | 'full';
}

/** True for paths that name no file (SQLite's in-memory and temporary databases). */
export function isInMemoryPath(path: string): boolean {
  return path === ':memory:' || path === '';
}

/** Refuses a SQLite database that some other program owns, before we add tables to it. */
function assertOurs(db: Database.Database, ctx: JournalErrorContext): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const hasTables = db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get() !== undefined;
  const ours = appId === SQLITE_APPLICATION_ID || (appId === 0 && version === 0 && !hasTables);
  if (!ours) {
    throw journalError(
      'ERR_JOURNAL_CORRUPT',
      ctx,
      'the journal file is a database of another program',
      'do not touch it: use --journal to choose another file',
    );
  }
}

/**
 * Opens (creating if needed) and migrates the journal. Throws driver errors and AppErrors; the
 * caller maps them. The connection is closed again when anything fails.
 */
export function openSqliteJournal(
  options: SqliteConnectionOptions,
  ctx: JournalErrorContext,
): Database.Database {
  const onDisk = !isInMemoryPath(options.path);
  if (onDisk) {
    // The journal is the agent's alone: 0700 directory, 0600 file (platform/private-files.ts).
    // SQLite gives the -wal and -shm it creates the mode of the database file.
    ensurePrivateDir(dirname(options.path));
    ensurePrivateFile(options.path);
  }
  const db = new Database(options.path, { timeout: options.busyTimeoutMs });
  try {
    // The first statement that reads the file: a non-database fails here with SQLITE_NOTADB.
    db.pragma('journal_mode = WAL');
    if (onDisk) for (const suffix of ['-wal', '-shm']) tightenFile(`${options.path}${suffix}`);
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    assertOurs(db, ctx);
    migrateSqlite(db, SQLITE_MIGRATIONS, ctx);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
