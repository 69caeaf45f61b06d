/**
 * The journal: s3ferry's durable memory. Every upload intent, UploadId and accepted part is written
 * here before the next step, so that any interruption can be resumed (DESIGN.md item 6).
 *
 * It is cut by role (STYLE.md §5), each port a set of domain operations with no SQL, connection or
 * transaction type, so the embedded SQLite store and the fleet's PostgreSQL store fulfil the same
 * contract (async even though better-sqlite3 is synchronous, for that reason):
 * - {@link UploadLedger} (upload-ledger.ts): the transfer engine's uploads and parts;
 * - {@link FileQueue} (file-queue.ts): the queue and the named, hold-guarded file transitions;
 * - {@link Fleet} (fleet.ts): agents, leases, heartbeats, pause switches;
 * - {@link EventLog} (event-log.ts): events and history;
 * - {@link JournalQueries} (journal-queries.ts): the read side for the API and the CLI;
 * - {@link CapabilityLog} (capability-log.ts): what each destination's store accepts.
 * A consumer takes only the role it needs; a store implements them all: {@link JournalStore}.
 * This module re-exports every type of the roles, so it stays the one import of the journal.
 */
import type { CapabilityLog } from './capability-log.js';
import type { EventLog } from './event-log.js';
import type { FileQueue } from './file-queue.js';
import type { Fleet } from './fleet.js';
import type { JournalQueries } from './journal-queries.js';
import type { UploadLedger } from './upload-ledger.js';

export {
  FILE_STATES,
  HELD_STATES,
  PENDING_STATES,
  type FilePlan,
  type FileReason,
  type FileState,
  type Hold,
} from '../domain/file-state.js';
export {
  OPEN_UPLOAD_STATES,
  UPLOAD_MODES,
  UPLOAD_STATES,
  heldLedger,
  type Destination,
  type PartRecord,
  type SourceIdentity,
  type UploadIntent,
  type UploadLedger,
  type UploadMode,
  type UploadOutcome,
  type UploadRecord,
  type UploadState,
  type VerifiedUpload,
} from './upload-ledger.js';
export {
  EVENT_LEVELS,
  HISTORY_RESULTS,
  type EventLevel,
  type EventLog,
  type EventRecord,
  type HistoryEntry,
  type HistoryRecord,
  type HistoryResult,
  type NewEvent,
} from './event-log.js';
export type {
  ClaimOptions,
  Enqueued,
  FileQueue,
  FileRecord,
  FileToQueue,
  FinalOptions,
  HeldTransitionInput,
  RetryFilter,
  TransitionOptions,
  Transitioned,
  UploadOptions,
} from './file-queue.js';
export {
  HOLD_EXPIRED_REASON,
  leftReason,
  type AgentInfo,
  type AgentRecord,
  type Fleet,
  type PauseChange,
  type PauseScope,
  type Pauses,
} from './fleet.js';
export type { CapabilityLog, CapabilityRecord } from './capability-log.js';
export {
  HISTORY_SORTS,
  filtersEvents,
  type EventFilter,
  type EventQuery,
  type FileQuery,
  type HistoryQuery,
  type HistorySort,
  type JournalQueries,
  type Page,
} from './journal-queries.js';
export type { FailureGroup, FailureQuery, FileTotals } from './queue-stats.js';

/** The whole journal: every role. All methods reject with an AppError on storage failure. */
export interface JournalStore
  extends UploadLedger, FileQueue, Fleet, EventLog, JournalQueries, CapabilityLog {
  /** Flushes and closes. Idempotent. */
  close(): Promise<void>;
}
