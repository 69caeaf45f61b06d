/**
 * The PostgreSQL {@link JournalStore}: the core (postgres-journal-core.ts: options, retries over
 * server restarts, errors, the upload ledger and the event log) plus the file queue, the fleet and
 * the reads.
 */
import type { FilePlan, FileState, Hold, HeldTransitionName } from '../../domain/file-state.js';
import type {
  AgentInfo,
  AgentRecord,
  ClaimOptions,
  Destination,
  Enqueued,
  EventFilter,
  EventQuery,
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
  EventRecord,
  NewEvent,
  Page,
  PauseChange,
  PauseScope,
  Pauses,
  RetryFilter,
  UploadOptions,
  Transitioned,
  UploadRecord,
} from '../journal-store.js';
import type { CapabilityRecord } from '../capability-log.js';
import { filtersEvents } from '../journal-queries.js';
import { createPostgresCapabilities, type PostgresCapabilities } from './postgres-capabilities.js';
import { POSTGRES_MIGRATIONS } from '../migrations/postgres-migrations.js';
import { createPostgresPool } from './postgres-connection.js';
import {
  DEFAULT_EVENT_RETENTION,
  DEFAULT_RETRY_MS,
  PostgresJournalCore,
  count,
  wholeAtLeast,
  type PostgresJournalStoreDeps,
  type Settings,
} from './postgres-journal-core.js';
import { migratePostgres } from './postgres-migrator.js';
import { assertPostgresUrl, describePostgresUrl } from './postgres-url.js';
import { systemClock } from '../../platform/clock.js';

export {
  DEFAULT_EVENT_RETENTION,
  DEFAULT_RETRY_MS,
  reconnectDelayMs,
  type PostgresJournalStoreDeps,
} from './postgres-journal-core.js';

type AnyInput = Partial<HeldTransitionInput['defer'] & FinalOptions> | undefined;

/** The PostgreSQL {@link JournalStore}. Use {@link PostgresJournalStore.open} to get one. */
export class PostgresJournalStore extends PostgresJournalCore implements JournalStore {
  readonly #capabilities: PostgresCapabilities = createPostgresCapabilities(this.pool.db);

  /**
   * Connects, checks that the database is an s3ferry journal (or empty) and migrates it. Rejects
   * with an AppError: ERR_CONFIG_INVALID (bad options or URL), ERR_JOURNAL_UNAVAILABLE (no server
   * within `retryMs`), ERR_JOURNAL (login refused, no such database), ERR_JOURNAL_CORRUPT
   * (another program's tables). No message ever holds the password.
   */
  static async open(deps: PostgresJournalStoreDeps): Promise<PostgresJournalStore> {
    const location = describePostgresUrl(deps.url);
    assertPostgresUrl(deps.url);
    const retention = wholeAtLeast(
      deps.eventRetention ?? DEFAULT_EVENT_RETENTION,
      1,
      'event retention',
    );
    const settings: Settings = {
      location,
      retryMs: wholeAtLeast(deps.retryMs ?? DEFAULT_RETRY_MS, 0, 'journal retry time (ms)'),
      clock: deps.clock ?? systemClock,
    };
    const pool = createPostgresPool({
      url: deps.url,
      maxConnections: wholeAtLeast(deps.maxConnections ?? 10, 1, 'journal connections'),
      connectTimeoutMs: wholeAtLeast(deps.connectTimeoutMs ?? 10_000, 1, 'journal connect timeout'),
    });
    const store = new PostgresJournalStore(pool, settings, retention);
    try {
      await store.run('open', () =>
        migratePostgres(pool, POSTGRES_MIGRATIONS, store.context('open')),
      );
      return store;
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  findOpenUpload(destination: Destination): Promise<UploadRecord | undefined> {
    return this.run('findOpenUpload', () => this.uploads.findOpen(destination));
  }

  findLatestUpload(destination: Destination): Promise<UploadRecord | undefined> {
    return this.run('findLatestUpload', () => this.uploads.findLatest(destination));
  }

  listOpenUploads(filter?: { endpoint: string; bucket: string }): Promise<UploadRecord[]> {
    return this.run('listOpenUploads', () => this.uploads.listOpen(filter));
  }

  knowsUploadId(uploadId: string): Promise<boolean> {
    return this.run('knowsUploadId', () => this.uploads.knowsUploadId(uploadId));
  }

  listEvents(query: EventQuery): Promise<EventRecord[]> {
    if (filtersEvents(query)) return this.run('listEvents', () => this.search.listEvents(query));
    return this.run('listEvents', () =>
      this.events.listEvents(count(query.limit), query.beforeId, query.type),
    );
  }

  countEvents(query: EventFilter = {}): Promise<number> {
    if (filtersEvents(query))
      return this.run('countEvents', () => this.search.countEvents({ ...query, limit: 0 }));
    return this.run('countEvents', () => this.events.countEvents(query.type));
  }

  /** Newest first by finishedAt, then by id. */
  listHistory(query: {
    limit: number;
    offset?: number;
    sourcePath?: string;
  }): Promise<HistoryRecord[]> {
    return this.run('listHistory', () =>
      this.events.listHistory(count(query.limit), count(query.offset), query.sourcePath),
    );
  }

  /** See {@link HistoryQuery}; SQL and indexes: postgres-search.ts. */
  searchHistory(query: HistoryQuery): Promise<Page<HistoryRecord>> {
    return this.run('searchHistory', () => this.search.searchHistory(query));
  }

  findDoneByChecksum(checksum: string): Promise<HistoryRecord | undefined> {
    return this.run('findDoneByChecksum', () => this.events.findDoneByChecksum(checksum));
  }

  enqueue(file: FileToQueue, now: number, event?: NewEvent): Promise<Enqueued> {
    return this.run('enqueue', () => this.files.enqueue(file, now, event));
  }

  claim(
    now: number,
    claim: ClaimOptions,
    jobs?: readonly string[],
  ): Promise<FileRecord | undefined> {
    // A claim retried after a lost connection takes effect when it lands: its lease counts from
    // then, or it could land already expired and be claimed by another agent at once.
    return this.run('claim', (late) => this.files.claim(now + late, claim, jobs));
  }

  savePlan(hold: Hold, plan: FilePlan): Promise<FilePlan> {
    return this.run('savePlan', () => this.files.savePlan(hold, plan));
  }

  private move(name: HeldTransitionName, hold: Hold, now: number, input: AnyInput) {
    return this.run(name, (_late, retried) =>
      this.files.transition(name, hold, now, input, retried),
    );
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
    // Likewise, a heartbeat that waited out a restart extends the leases from when it lands.
    return this.run('heartbeat', (late) => this.members.heartbeat(agent, now + late, leaseMs));
  }

  listAgents(): Promise<AgentRecord[]> {
    return this.run('listAgents', () => this.members.listAgents());
  }

  announceApi(agentId: string, apiUrl: string | null): Promise<void> {
    return this.run('announceApi', () => this.members.announceApi(agentId, apiUrl));
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
    return this.run('pauses', () => this.members.pauses());
  }

  saveCapabilities(record: CapabilityRecord): Promise<void> {
    return this.run('saveCapabilities', () => this.#capabilities.save(record));
  }

  listCapabilities(): Promise<CapabilityRecord[]> {
    return this.run('listCapabilities', () => this.#capabilities.list());
  }

  getFile(id: number): Promise<FileRecord | undefined> {
    return this.run('getFile', () => this.reads.get(id));
  }

  /** Oldest first: by the time each entered its state, then by id. */
  listFiles(query: {
    states?: readonly FileState[];
    limit: number;
    offset?: number;
  }): Promise<FileRecord[]> {
    const page = { limit: count(query.limit), offset: count(query.offset) };
    return this.run('listFiles', () =>
      this.reads.list(query.states === undefined ? page : { ...page, states: query.states }),
    );
  }

  countFiles(): Promise<Record<FileState, number>> {
    return this.run('countFiles', () => this.reads.countByState());
  }

  pageFiles(query: FileQuery): Promise<Page<FileRecord>> {
    return this.run('pageFiles', () => this.search.pageFiles(query));
  }

  countFilesByJob(): Promise<Record<string, Record<FileState, number>>> {
    return this.run('countFilesByJob', () => this.reads.countByJob());
  }

  sumFilesByJob(states: readonly FileState[]): Promise<Record<string, FileTotals>> {
    return this.run('sumFilesByJob', () => this.reads.sumByJob(states));
  }

  failureGroups(query: FailureQuery = {}): Promise<FailureGroup[]> {
    return this.run('failureGroups', () => this.reads.failureGroups(query));
  }

  fileStates(job: string, paths: readonly string[]): Promise<Record<string, FileState>> {
    return this.run('fileStates', () => this.reads.states(job, paths));
  }
}
