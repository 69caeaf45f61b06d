/**
 * Driver errors -> AppError, shared by every journal backend (SQLite and PostgreSQL) so
 * that a locked, damaged or full journal reads the same to the user whichever store is in use.
 * Classification looks only at the driver's `code` property (SQLite result codes as better-sqlite3
 * reports them, PostgreSQL SQLSTATEs, Node errno codes), so this module imports no driver.
 */
import { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';

/** Which kind of store the journal is; only the hints differ. */
export type JournalBackend = 'sqlite' | 'postgres';

/** What went wrong, independent of the driver. */
export type JournalFailure =
  | 'locked'
  | 'corrupt'
  | 'full'
  | 'readonly'
  | 'unreachable'
  | 'unavailable'
  | 'auth'
  | 'missing'
  | 'other';

/** Where and what: every journal error names the journal and the operation. */
export interface JournalErrorContext {
  readonly backend: JournalBackend;
  /** The journal's file path, or the server's address without credentials. Never a password. */
  readonly location: string;
  /** The store operation that failed, e.g. 'recordPart' or 'open'. */
  readonly operation: string;
  /** How long the store kept retrying before it gave up, in ms (said in the message). */
  readonly retriedMs?: number;
}

interface FailureText {
  readonly code: ErrorCode;
  readonly description: string;
  readonly hint: Readonly<Record<JournalBackend, string>>;
}

const FAILURES: Readonly<Record<JournalFailure, FailureText>> = {
  locked: {
    code: 'ERR_JOURNAL_LOCKED',
    description: 'the journal is locked by another process',
    hint: {
      sqlite:
        'another s3ferry process holds the journal: stop it or use --journal to choose another file',
      postgres:
        'another session holds a lock on the journal: if this persists, look for a stuck session in pg_stat_activity',
    },
  },
  corrupt: {
    code: 'ERR_JOURNAL_CORRUPT',
    description: 'the journal is not a database or is damaged',
    hint: {
      sqlite:
        'the journal file is not a database or is damaged: move it aside; s3ferry will start a new one',
      postgres:
        'the database reports damaged data: restore it from a backup or ask its administrator',
    },
  },
  full: {
    code: 'ERR_JOURNAL',
    description: 'no space left for the journal',
    hint: {
      sqlite:
        'the disk holding the journal is full: free some space (a running agent carries on by itself once there is room)',
      postgres: 'the database server is out of disk space: free some space on it',
    },
  },
  readonly: {
    code: 'ERR_JOURNAL',
    description: 'the journal cannot be written',
    hint: {
      sqlite:
        's3ferry may not write the journal file or its directory: check their permissions or use --journal',
      postgres: 'the journal role may not write: check its grants',
    },
  },
  unreachable: {
    code: 'ERR_JOURNAL',
    description: 'the journal cannot be opened',
    hint: {
      sqlite:
        'check the journal path and that its directory exists and is writable, or use --journal',
      postgres: 'check that PostgreSQL is running and that the journal URL is right',
    },
  },
  unavailable: {
    code: 'ERR_JOURNAL_UNAVAILABLE',
    description: 'the journal database cannot be reached',
    hint: {
      sqlite: 'check the journal path and that its directory exists and is writable',
      postgres:
        'check that PostgreSQL runs and accepts connections at this host and port (firewall, listen_addresses), then start s3ferry again',
    },
  },
  auth: {
    code: 'ERR_JOURNAL',
    description: 'the journal database refused the login',
    hint: {
      sqlite: 'see the log for the driver error',
      postgres:
        'check the user and password of the journal URL (or PGPASSWORD, ~/.pgpass) and that pg_hba.conf admits this host',
    },
  },
  missing: {
    code: 'ERR_JOURNAL',
    description: 'the journal database does not exist',
    hint: {
      sqlite: 'check the journal path',
      postgres:
        'create it (e.g. `createdb -O s3ferry s3ferry`) or correct the database name at the end of the journal URL',
    },
  },
  other: {
    code: 'ERR_JOURNAL',
    description: 'the journal failed',
    hint: {
      sqlite: 'see the log for the driver error; if it persists, report it with the log',
      postgres: 'see the log for the driver error; if it persists, report it with the log',
    },
  },
};

const PREFIXES: readonly (readonly [string, JournalFailure])[] = [
  // SQLite: extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_CORRUPT_INDEX...) share their primary prefix.
  ['SQLITE_BUSY', 'locked'],
  ['SQLITE_LOCKED', 'locked'],
  ['SQLITE_CORRUPT', 'corrupt'],
  ['SQLITE_NOTADB', 'corrupt'],
  ['SQLITE_FULL', 'full'],
  ['SQLITE_READONLY', 'readonly'],
  ['SQLITE_PERM', 'readonly'],
  ['SQLITE_CANTOPEN', 'unreachable'],
  // PostgreSQL SQLSTATEs.
  ['55P03', 'locked'], // lock_not_available
  ['40P01', 'locked'], // deadlock_detected
  ['XX001', 'corrupt'], // data_corrupted
  ['XX002', 'corrupt'], // index_corrupted
  ['53100', 'full'], // disk_full
  ['25006', 'readonly'], // read_only_sql_transaction
  ['42501', 'readonly'], // insufficient_privilege
  ['08', 'unavailable'], // connection_exception class
  ['57P0', 'unavailable'], // admin/crash shutdown, cannot connect now, database dropped
  ['28', 'auth'], // invalid_authorization_specification, invalid_password
  ['3D000', 'missing'], // invalid_catalog_name: no such database
  // Node errno codes (creating the directory, opening the socket).
  ['ENOSPC', 'full'],
  ['EACCES', 'readonly'],
  ['EPERM', 'readonly'],
  ['EROFS', 'readonly'],
  ['ENOENT', 'unreachable'],
  ['ENOTDIR', 'unreachable'],
  // Node errno codes of a network connection (the PostgreSQL server).
  ['ECONNREFUSED', 'unavailable'],
  ['ECONNRESET', 'unavailable'],
  ['ECONNABORTED', 'unavailable'],
  ['EPIPE', 'unavailable'],
  ['ETIMEDOUT', 'unavailable'],
  ['EHOSTUNREACH', 'unavailable'],
  ['ENETUNREACH', 'unavailable'],
  ['ENOTFOUND', 'unavailable'],
  ['EAI_AGAIN', 'unavailable'],
];

/** The driver's error code, if the error carries one. */
function driverCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Classifies a driver error by its code; unknown shapes are 'other'. */
export function classifyJournalFailure(err: unknown): JournalFailure {
  const code = driverCode(err);
  if (code === undefined) return 'other';
  return PREFIXES.find(([prefix]) => code.startsWith(prefix))?.[1] ?? 'other';
}

/**
 * Turns anything a journal driver throws into an AppError whose message names the journal and
 * whose hint names the fix. AppErrors pass through unchanged, so store code may throw its own.
 */
export function toJournalError(err: unknown, ctx: JournalErrorContext): AppError {
  if (err instanceof AppError) return err;
  const failure = classifyJournalFailure(err);
  const text = FAILURES[failure];
  const code = driverCode(err) ?? null;
  const cause = err instanceof Error ? err.message : String(err);
  const retried =
    ctx.retriedMs === undefined ? '' : `; gave up after ${Math.round(ctx.retriedMs / 1000)} s`;
  return new AppError(
    text.code,
    `${text.description}: ${ctx.location} (${ctx.operation}: ${cause}${retried})`,
    {
      cause: err,
      hint: text.hint[ctx.backend],
      details: { journal: ctx.location, operation: ctx.operation, driverCode: code },
    },
  );
}

/**
 * An error the store raises itself (misuse, impossible transition, unknown schema), with the same
 * shape as a driver error: the journal named in the message, facts in details.
 */
export function journalError(
  code: 'ERR_JOURNAL' | 'ERR_JOURNAL_CORRUPT',
  ctx: JournalErrorContext,
  message: string,
  hint: string,
): AppError {
  return new AppError(code, `${message}: ${ctx.location} (${ctx.operation})`, {
    hint,
    details: { journal: ctx.location, operation: ctx.operation, driverCode: null },
  });
}
