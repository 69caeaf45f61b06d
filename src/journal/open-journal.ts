/**
 * Opens the journal a configuration names: `postgres://…` or `postgresql://…` is a PostgreSQL
 * database (a fleet of agents may share it), anything else is the path of a SQLite file.
 */
import type { JournalStore } from './journal-store.js';
import { describePostgresUrl, isPostgresUrl } from './postgres/postgres-url.js';
import { SqliteJournalStore } from './sqlite/sqlite-journal-store.js';

/** Options that apply whichever store the spec names. */
export interface OpenJournalOptions {
  /** How many events to keep (the store's default when absent). */
  readonly eventRetention?: number;
  /**
   * PostgreSQL: how long opening and each operation retry a lost connection before
   * ERR_JOURNAL_UNAVAILABLE, in ms (default 60 s). Ignored for SQLite.
   */
  readonly retryMs?: number;
}

/** True when `spec` names a PostgreSQL database rather than a SQLite file. */
export function isJournalUrl(spec: string): boolean {
  return isPostgresUrl(spec);
}

/** `spec` as it may be shown to a person or logged: a URL without its password or parameters. */
export function describeJournal(spec: string): string {
  return isPostgresUrl(spec) ? describePostgresUrl(spec) : spec;
}

/**
 * Opens (creating and migrating as needed) the journal `spec` names. Rejects with an AppError.
 * The PostgreSQL store (and the `pg` driver, about 0.1 s of start-up CPU) is loaded only when
 * `spec` names one.
 */
export async function openJournal(
  spec: string,
  options: OpenJournalOptions = {},
): Promise<JournalStore> {
  const retention =
    options.eventRetention === undefined ? {} : { eventRetention: options.eventRetention };
  if (isPostgresUrl(spec)) {
    const retry = options.retryMs === undefined ? {} : { retryMs: options.retryMs };
    const { PostgresJournalStore } = await import('./postgres/postgres-journal-store.js');
    return PostgresJournalStore.open({ url: spec, ...retention, ...retry });
  }
  return SqliteJournalStore.open({ path: spec, ...retention });
}
