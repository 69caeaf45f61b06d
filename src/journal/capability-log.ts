/**
 * What each destination's store accepts, as the agent's capability probe last found it
 * (domain/capabilities.ts): kept in the journal so that `status` shows it with no agent running,
 * and every agent of a fleet sees what the others found. One record per endpoint and bucket (what
 * the probe finds is the bucket's and the endpoint's), the latest probe's.
 */
import type { EndpointCapabilities } from '../domain/capabilities.js';

/** One probe's answer for one bucket. */
export interface CapabilityRecord {
  /** The endpoint URL ('' for AWS), without a password, as uploads journal it. */
  readonly endpoint: string;
  readonly bucket: string;
  readonly capabilities: EndpointCapabilities;
  /** When the probe answered, ms since the epoch. */
  readonly probedAt: number;
  /** The agent that probed. */
  readonly agent: string;
}

/** The capability records. Reject with an AppError (ERR_JOURNAL*) on storage failure. */
export interface CapabilityLog {
  /** Keeps `record` as the latest of its endpoint and bucket (replacing an older one). */
  saveCapabilities(record: CapabilityRecord): Promise<void>;
  /** Every bucket's latest record, by endpoint, then bucket. */
  listCapabilities(): Promise<CapabilityRecord[]>;
}

/** The columns of a stored record (both stores' `capabilities` table). */
export interface CapabilityRow {
  readonly endpoint: string;
  readonly bucket: string;
  readonly probed_at: number | string;
  readonly agent: string;
  readonly conditional_put: number | boolean;
  readonly tagging: number | boolean;
  readonly object_lock: number | boolean;
  readonly versioning: number | boolean;
  readonly checksum_crc32: number | boolean;
  readonly md5_etags: number | boolean;
}

/** A row as a record (SQLite answers 0/1, PostgreSQL booleans; BIGINT may come as a string). */
export function toCapabilityRecord(row: CapabilityRow): CapabilityRecord {
  const yes = (v: number | boolean): boolean => v === true || v === 1;
  return {
    endpoint: row.endpoint,
    bucket: row.bucket,
    probedAt: Number(row.probed_at),
    agent: row.agent,
    capabilities: {
      conditionalPut: yes(row.conditional_put),
      tagging: yes(row.tagging),
      objectLock: yes(row.object_lock),
      versioning: yes(row.versioning),
      checksumCrc32: yes(row.checksum_crc32),
      md5Etags: yes(row.md5_etags),
    },
  };
}

/** A record's values in the column order of the stores' upserts. */
export function capabilityValues(
  r: CapabilityRecord,
): [string, string, number, string, ...boolean[]] {
  const c = r.capabilities;
  return [
    r.endpoint,
    r.bucket,
    r.probedAt,
    r.agent,
    c.conditionalPut,
    c.tagging,
    c.objectLock,
    c.versioning,
    c.checksumCrc32,
    c.md5Etags,
  ];
}

/** The columns, in the order of {@link capabilityValues}. */
export const CAPABILITY_COLUMNS = [
  'endpoint',
  'bucket',
  'probed_at',
  'agent',
  'conditional_put',
  'tagging',
  'object_lock',
  'versioning',
  'checksum_crc32',
  'md5_etags',
] as const;
