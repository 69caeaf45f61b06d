/**
 * The SQLite {@link JournalStore}: the core (sqlite-journal-core.ts: opening, group commit,
 * errors, the upload ledger and the event log) plus the file queue, the fleet and the reads.
 */
import {
  ALL_FILE_STATES,
  type FilePlan,
  type FileState,
  type Hold,
  type HeldTransitionName,
} from '../../domain/file-state.js';
import { toJournalError } from '../journal-errors.js';
import { filtersEvents } from '../journal-queries.js';
import type {
  AgentInfo,
  AgentRecord,
  ClaimOptions,
  Destination,
  Enqueued,
  EventFilter,
  EventQuery,
  EventRecord,
  FailureGroup,
  FailureQuery,
  FileQuery,
  FileTotals,
  FileRecord,
  FileToQueue,
  FinalOptions,
  HeldTransitionInput,
  HistoryQuery,
  HistoryRecord,
  JournalStore,
  NewEvent,
  Page,
  PartRecord,
  PauseChange,
  PauseScope,
  Pauses,
  RetryFilter,
  UploadOptions,
  Transitioned,
  UploadRecord,
} from '../journal-store.js';
import {
  toAgentRecord,
  toFileRecord,
  toHistoryRecord,
  toPartRecord,
  toUploadRecord,
} from '../journal-rows.js';
import { createSqliteQueueStats } from './sqlite-queue-stats.js';
import type { CapabilityRecord } from '../capability-log.js';
import { createCapabilities, type SqliteCapabilities } from './sqlite-capabilities.js';
import { SqliteJournalCore, count, type SqliteJournalStoreDeps } from './sqlite-journal-core.js';

export {
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_EVENT_RETENTION,
  type SqliteJournalStoreDeps,
} from './sqlite-journal-core.js';

type AnyInput = Partial<HeldTransitionInput['defer'] & FinalOptions> | undefined;

/** Every state with a count of 0. */
const zeroCounts = (): Record<FileState, number> =>
  Object.fromEntries(ALL_FILE_STATES.map((s) => [s, 0])) as Record<FileState, number>;

/** The SQLite {@link JournalStore}. Use {@link SqliteJournalStore.open} to get one. */
export class SqliteJournalStore extends SqliteJournalCore implements JournalStore {
  /** One agent owns a SQLite journal (the agent lock enforces it). */
  readonly shared = false;
  readonly #stats = createSqliteQueueStats(this.db);
  readonly #capabilities: SqliteCapabilities = createCapabilities(this.db);

  /** Opens (creating and migrating as needed) the journal at `deps.path`. Rejects with an AppError. */
  static open(deps: SqliteJournalStoreDeps): Promise<SqliteJournalStore> {
    try {
      return Promise.resolve(new SqliteJournalStore(deps));
    } catch (err) {
      return Promise.reject(
        toJournalError(err, { backend: 'sqlite', location: deps.path, operation: 'open' }),
      );
    }
  }

  listParts(id: number): Promise<PartRecord[]> {
    return this.read('listParts', () => this.stmts.listParts.all(id).map(toPartRecord));
  }

  getUpload(id: number): Promise<UploadRecord | undefined> {
    return this.read('getUpload', () => {
      const row = this.stmts.getUpload.get(id);
      return row === undefined ? undefined : toUploadRecord(row);
    });
  }

  findOpenUpload({ endpoint, bucket, key }: Destination): Promise<UploadRecord | undefined> {
    return this.read('findOpenUpload', () => {
      const row = this.stmts.findOpenUpload.get({ endpoint, bucket, key });
      return row === undefined ? undefined : toUploadRecord(row);
    });
  }

  findLatestUpload({ endpoint, bucket, key }: Destination): Promise<UploadRecord | undefined> {
    return this.read('findLatestUpload', () => {
      const row = this.stmts.findLatestUpload.get({ endpoint, bucket, key });
      return row === undefined ? undefined : toUploadRecord(row);
    });
  }

  listOpenUploads(filter?: { endpoint: string; bucket: string }): Promise<UploadRecord[]> {
    return this.read('listOpenUploads', () => {
      const rows =
        filter === undefined
          ? this.stmts.listOpenUploads.all()
          : this.stmts.listOpenUploadsIn.all({ endpoint: filter.endpoint, bucket: filter.bucket });
      return rows.map(toUploadRecord);
    });
  }

  knowsUploadId(uploadId: string): Promise<boolean> {
    return this.read('knowsUploadId', () => this.stmts.knowsUploadId.get(uploadId) !== undefined);
  }

  listEvents(query: EventQuery): Promise<EventRecord[]> {
    if (filtersEvents(query)) return this.read('listEvents', () => this.search.listEvents(query));
    return this.read('listEvents', () =>
      this.events.listEvents(count(query.limit), query.beforeId, query.type),
    );
  }

  countEvents(query: EventFilter = {}): Promise<number> {
    if (filtersEvents(query))
      return this.read('countEvents', () => this.search.countEvents({ ...query, limit: 0 }));
    return this.read('countEvents', () => this.events.countEvents(query.type));
  }

  /** Newest first by finishedAt, then by id. */
  listHistory(query: {
    limit: number;
    offset?: number;
    sourcePath?: string;
  }): Promise<HistoryRecord[]> {
    return this.read('listHistory', () =>
      this.events.listHistory(count(query.limit), count(query.offset), query.sourcePath),
    );
  }

  /** See {@link HistoryQuery}; SQL and indexes: sqlite-search.ts. */
  searchHistory(query: HistoryQuery): Promise<Page<HistoryRecord>> {
    if (query.q === undefined || query.q === '')
      return this.read('searchHistory', () => this.search.searchHistory(query));
    // Text is looked up in the trigram index: bring it up to date first (sqlite-history-text.ts).
    return this.run('searchHistory', () => {
      this.historyText.catchUp();
      return this.search.searchHistory(query);
    });
  }

  findDoneByChecksum(checksum: string): Promise<HistoryRecord | undefined> {
    return this.read('findDoneByChecksum', () => {
      const row = this.stmts.findDoneByChecksum.get({ checksum });
      return row === undefined ? undefined : toHistoryRecord(row);
    });
  }

  enqueue(file: FileToQueue, now: number, event?: NewEvent): Promise<Enqueued> {
    return this.run('enqueue', () => this.files.enqueue(file, now, event));
  }

  claim(
    now: number,
    claim: ClaimOptions,
    jobs?: readonly string[],
  ): Promise<FileRecord | undefined> {
    return this.run('claim', () => this.files.claim(now, claim, jobs));
  }

  savePlan(hold: Hold, plan: FilePlan, now: number): Promise<FilePlan> {
    return this.run('savePlan', () => this.files.savePlan(hold, plan, now));
  }

  private move(name: HeldTransitionName, hold: Hold, now: number, input: AnyInput) {
    return this.run(name, () => this.files.transition(name, hold, now, input));
  }

  markVerifying(hold: Hold, now: number, input?: UploadOptions): Promise<Transitioned> {
    return this.move('markVerifying', hold, now, input);
  }
  complete(hold: Hold, now: number, input?: FinalOptions): Promise<Transitioned> {
    return this.move('complete', hold, now, input);
  }
  skip(hold: Hold, now: number, input: HeldTransitionInput['skip']): Promise<Transitioned> {
    return this.move('skip', hold, now, input);
  }
  park(hold: Hold, now: number, input: HeldTransitionInput['park']): Promise<Transitioned> {
    return this.move('park', hold, now, input);
  }
  defer(hold: Hold, now: number, input: HeldTransitionInput['defer']): Promise<Transitioned> {
    return this.move('defer', hold, now, input);
  }
  release(hold: Hold, now: number, input: HeldTransitionInput['release']): Promise<Transitioned> {
    return this.move('release', hold, now, input);
  }
  resettle(hold: Hold, now: number, input: HeldTransitionInput['resettle']): Promise<Transitioned> {
    return this.move('resettle', hold, now, input);
  }
  cancel(hold: Hold, now: number, input: HeldTransitionInput['cancel']): Promise<Transitioned> {
    return this.move('cancel', hold, now, input);
  }

  releaseForRetry(filter: RetryFilter, now: number): Promise<number> {
    return this.run('releaseForRetry', () => this.files.releaseForRetry(filter, now));
  }

  heartbeat(agent: AgentInfo, now: number, leaseMs: number): Promise<number[]> {
    return this.run('heartbeat', () => this.members.heartbeat(agent, now, leaseMs));
  }

  listAgents(): Promise<AgentRecord[]> {
    return this.read('listAgents', () => this.stmts.listAgents.all().map(toAgentRecord));
  }

  announceApi(agentId: string, apiUrl: string | null): Promise<void> {
    return this.run('announceApi', () => {
      this.members.announceApi(agentId, apiUrl);
    });
  }

  leave(agentId: string, now: number): Promise<number> {
    return this.run('leave', () => this.members.leave(agentId, now));
  }

  expireHolds(now: number): Promise<number> {
    return this.run('expireHolds', () => this.members.expireHolds(now));
  }

  setPaused(
    scope: PauseScope,
    paused: boolean,
    now: number,
    event?: NewEvent,
  ): Promise<PauseChange> {
    return this.run('setPaused', () => this.members.setPaused(scope, paused, now, event));
  }

  pauses(): Promise<Pauses> {
    return this.read('pauses', () => this.members.pauses());
  }

  saveCapabilities(record: CapabilityRecord): Promise<void> {
    return this.run('saveCapabilities', () => {
      this.#capabilities.save(record);
    });
  }

  listCapabilities(): Promise<CapabilityRecord[]> {
    return this.read('listCapabilities', () => this.#capabilities.list());
  }

  getFile(id: number): Promise<FileRecord | undefined> {
    return this.read('getFile', () => {
      const row = this.stmts.getFile.get(id);
      return row === undefined ? undefined : toFileRecord(row);
    });
  }

  /** Oldest first: by the time each entered its state, then by id. */
  listFiles(query: {
    states?: readonly FileState[];
    limit: number;
    offset?: number;
  }): Promise<FileRecord[]> {
    return this.read('listFiles', () => {
      const page = { limit: count(query.limit), offset: count(query.offset) };
      const rows =
        query.states === undefined
          ? this.stmts.listFiles.all(page)
          : this.stmts.listFilesIn.all({ ...page, states: JSON.stringify(query.states) });
      return rows.map(toFileRecord);
    });
  }

  countFiles(): Promise<Record<FileState, number>> {
    return this.read('countFiles', () => {
      const counts = zeroCounts();
      for (const { state, n } of this.stmts.countFiles.all())
        if (state in counts) counts[state as FileState] = n;
      return counts;
    });
  }

  pageFiles(query: FileQuery): Promise<Page<FileRecord>> {
    return this.read('pageFiles', () => this.search.pageFiles(query));
  }

  countFilesByJob(): Promise<Record<string, Record<FileState, number>>> {
    return this.read('countFilesByJob', () => {
      const byJob: Record<string, Record<FileState, number>> = {};
      for (const { job, state, n } of this.stmts.countFilesByJob.all()) {
        const counts = (byJob[job] ??= zeroCounts());
        if (state in counts) counts[state as FileState] = n;
      }
      return byJob;
    });
  }

  sumFilesByJob(states: readonly FileState[]): Promise<Record<string, FileTotals>> {
    return this.read('sumFilesByJob', () => this.#stats.sumFilesByJob(states));
  }

  failureGroups(query: FailureQuery = {}): Promise<FailureGroup[]> {
    return this.read('failureGroups', () => this.#stats.failureGroups(query));
  }

  fileStates(job: string, paths: readonly string[]): Promise<Record<string, FileState>> {
    return this.read('fileStates', () => {
      const rows = this.stmts.fileStates.all({ job, paths: JSON.stringify(paths) });
      return Object.fromEntries(rows.map((r) => [r.path, r.state]));
    });
  }
}
