/**
 * A schema migration. Each backend keeps its own ordered, append-only list: append a new entry,
 * never edit or reorder an existing one (a journal that already ran it would never see the edit).
 */
export interface Migration {
  /** 1, 2, 3…: the schema version the journal is at once this migration has run. */
  readonly version: number;
  /** Short kebab-case description, for logs. */
  readonly name: string;
  /** Statements to run, in one transaction with the version bump. */
  readonly sql: string;
}

/**
 * Checks that a migration list is well formed: versions 1..n without gaps or repeats, in order.
 * Throws a plain Error (a programming mistake, caught by the unit tests) when it is not.
 */
export function assertMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, index) => {
    if (m.version !== index + 1) {
      throw new Error(`migration '${m.name}' has version ${m.version}, expected ${index + 1}`);
    }
  });
}

/** The schema version a list leads to (0 for an empty list). */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.at(-1)?.version ?? 0;
}
