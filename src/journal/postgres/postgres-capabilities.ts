/** The capability records of the PostgreSQL journal (capability-log.ts): table `capabilities`. */
import {
  CAPABILITY_COLUMNS,
  capabilityValues,
  toCapabilityRecord,
  type CapabilityRecord,
  type CapabilityRow,
} from '../capability-log.js';
import type { PgQueryable } from './postgres-connection.js';

const COLUMNS = CAPABILITY_COLUMNS.join(', ');
const UPSERT = `INSERT INTO capabilities (${COLUMNS})
  VALUES (${CAPABILITY_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
  ON CONFLICT (endpoint, bucket) DO UPDATE SET ${CAPABILITY_COLUMNS.slice(2)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}
  WHERE excluded.probed_at >= capabilities.probed_at`;
const LIST = `SELECT ${COLUMNS} FROM capabilities ORDER BY endpoint, bucket`;

export interface PostgresCapabilities {
  save(record: CapabilityRecord): Promise<void>;
  list(): Promise<CapabilityRecord[]>;
}

export function createPostgresCapabilities(db: PgQueryable): PostgresCapabilities {
  return {
    save: async (record) => {
      await db.query(UPSERT, capabilityValues(record));
    },
    list: async () => (await db.query<CapabilityRow>(LIST)).rows.map(toCapabilityRecord),
  };
}
