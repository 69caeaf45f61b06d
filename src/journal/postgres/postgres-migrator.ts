/**
 * Applies pending migrations to a PostgreSQL journal. The ledger is the `schema_migrations` table
 * (one row per migration, marked as ours by its comment); a transaction-scoped advisory lock
 * serialises agents that start at once, so exactly one of them migrates and the others find the
 * schema done. All pending migrations run in that one transaction: all or nothing.
 *
 * A schema that holds tables but no s3ferry ledger belongs to another program: it is refused,
 * untouched, like SQLite refuses a foreign database file.
 */
import { assertMigrationList, latestVersion, type Migration } from '../migrations/migration.js';
import { POSTGRES_LEDGER_MARK, POSTGRES_LEDGER_SQL } from '../migrations/postgres-migrations.js';
import { journalError, type JournalErrorContext } from '../journal-errors.js';
import type { PgQueryable, PostgresPool } from './postgres-connection.js';

/** Advisory lock key (two int4): 'S3FY' and 1, "the journal schema". */
const LOCK_KEY = [0x53334659, 1] as const;

/** What the current schema holds. */
type SchemaState =
  | { readonly kind: 'ours'; readonly version: number }
  | { readonly kind: 'empty' }
  | { readonly kind: 'foreign' }
  | { readonly kind: 'no-schema' };

interface InspectRow {
  schema: string | null;
  mark: string | null;
  has_tables: boolean;
}

const INSPECT = `
SELECT current_schema() AS schema,
  (SELECT obj_description(c.oid, 'pg_class') FROM pg_class c
     WHERE c.relnamespace = n.oid AND c.relname = 'schema_migrations' AND c.relkind = 'r') AS mark,
  EXISTS (SELECT 1 FROM pg_class c
     WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')) AS has_tables
FROM (SELECT 0) AS one LEFT JOIN pg_namespace n ON n.nspname = current_schema()`;

async function inspect(db: PgQueryable): Promise<SchemaState> {
  const { rows } = await db.query<InspectRow>(INSPECT);
  const row = rows[0];
  if (row?.schema === null || row === undefined) return { kind: 'no-schema' };
  if (row.mark === POSTGRES_LEDGER_MARK) {
    const v = await db.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM schema_migrations',
    );
    return { kind: 'ours', version: v.rows[0]?.version ?? 0 };
  }
  return row.has_tables ? { kind: 'foreign' } : { kind: 'empty' };
}

/** Throws the store's error for a schema it must not migrate. */
function refuse(state: SchemaState, latest: number, ctx: JournalErrorContext): void {
  switch (state.kind) {
    case 'foreign':
      throw journalError(
        'ERR_JOURNAL_CORRUPT',
        ctx,
        'the journal database holds tables of another program',
        'leave them alone: give s3ferry a database of its own (or a schema of its own, chosen by ' +
          'the search_path of its role)',
      );
    case 'no-schema':
      throw journalError(
        'ERR_JOURNAL',
        ctx,
        'the journal database has no schema to create tables in (search_path names none that exists)',
        'create the schema, or set the search_path of the journal role to one that exists',
      );
    case 'ours':
      if (state.version > latest) {
        throw journalError(
          'ERR_JOURNAL',
          ctx,
          `the journal has schema version ${state.version}, newer than this s3ferry knows (${latest})`,
          'a newer s3ferry wrote this journal: upgrade s3ferry, or give this one another database',
        );
      }
      return;
    case 'empty':
      return;
  }
}

/**
 * Brings the journal to the latest schema and returns how many migrations ran (0 when it was up
 * to date: then no lock is taken). Throws driver errors (the caller maps them) and AppErrors.
 */
export async function migratePostgres(
  pool: PostgresPool,
  migrations: readonly Migration[],
  ctx: JournalErrorContext,
): Promise<number> {
  assertMigrationList(migrations);
  const latest = latestVersion(migrations);
  const seen = await inspect(pool.db);
  refuse(seen, latest, ctx);
  if (seen.kind === 'ours' && seen.version === latest) return 0;

  return pool.transaction(async (db) => {
    await db.query('SELECT pg_advisory_xact_lock($1, $2)', LOCK_KEY);
    // Look again under the lock: another agent may have migrated while we waited for it.
    const state = await inspect(db);
    refuse(state, latest, ctx);
    if (state.kind === 'empty') await db.query(POSTGRES_LEDGER_SQL);
    const current = state.kind === 'ours' ? state.version : 0;
    const pending = migrations.filter((m) => m.version > current);
    for (const m of pending) {
      await db.query(m.sql);
      await db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
    }
    return pending.length;
  });
}
