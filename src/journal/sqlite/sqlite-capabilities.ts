/** The capability records of the SQLite journal (capability-log.ts): table `capabilities`. */
import type Database from 'better-sqlite3';
import {
  CAPABILITY_COLUMNS,
  capabilityValues,
  toCapabilityRecord,
  type CapabilityRecord,
  type CapabilityRow,
} from '../capability-log.js';

/** Synchronous operations; the store wraps them into its async contract. */
export interface SqliteCapabilities {
  save(record: CapabilityRecord): void;
  list(): CapabilityRecord[];
}

export function createCapabilities(db: Database.Database): SqliteCapabilities {
  const columns = CAPABILITY_COLUMNS.join(', ');
  const updates = CAPABILITY_COLUMNS.slice(2)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
  const upsert = db.prepare(
    `INSERT INTO capabilities (${columns}) VALUES (${CAPABILITY_COLUMNS.map(() => '?').join(', ')})
     ON CONFLICT (endpoint, bucket) DO UPDATE SET ${updates}
     WHERE excluded.probed_at >= capabilities.probed_at`,
  );
  const list = db.prepare<[], CapabilityRow>(
    `SELECT ${columns} FROM capabilities ORDER BY endpoint, bucket`,
  );
  return {
    save: (record) => {
      // SQLite keeps booleans as 0 and 1
      upsert.run(capabilityValues(record).map((v) => (typeof v === 'boolean' ? Number(v) : v)));
    },
    list: () => list.all().map(toCapabilityRecord),
  };
}
