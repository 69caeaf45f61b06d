/**
 * The journal: s3ferry's durable memory. Every upload intent, UploadId and accepted part is written
 * here before the next step, so that any interruption can be resumed (DESIGN.md item 6).
 *
 * This interface is made of domain operations only: it exposes no SQL, connection or transaction
 * type, so the embedded SQLite store and the fleet's PostgreSQL store fulfil the same contract.
 * It is async even though better-sqlite3 is synchronous, for that reason.
 */

/** Where an object goes. `endpoint` is '' for AWS's default endpoints. */
export interface Destination {
  readonly endpoint: string;
  readonly bucket: string;
  readonly key: string;
}

/** The identity of a source file at a moment: if any of these change, the file changed. */
export interface SourceIdentity {
  readonly path: string;
  readonly size: number;
  /** Modification time, ms since the epoch (fractional part kept where the fs has it). */
  readonly mtimeMs: number;
  readonly inode: number;
}

export const UPLOAD_MODES = { single: 'single', multipart: 'multipart' } as const;
export type UploadMode = (typeof UPLOAD_MODES)[keyof typeof UPLOAD_MODES];

/**
 * States of one upload attempt of one file to one key.
 * intent -> active (multipart: UploadId known) -> completed (S3 accepted Complete/Put) -> verified;
 * any open state -> aborted | failed.
 */
export const UPLOAD_STATES = {
  intent: 'intent',
  active: 'active',
  completed: 'completed',
  verified: 'verified',
  aborted: 'aborted',
  failed: 'failed',
} as const;
export type UploadState = (typeof UPLOAD_STATES)[keyof typeof UPLOAD_STATES];

/** The states in which an upload may still hold resources in S3 or be resumed. */
export const OPEN_UPLOAD_STATES: readonly UploadState[] = ['intent', 'active', 'completed'];

/** What is recorded before CreateMultipartUpload (or PutObject). */
export interface UploadIntent {
  readonly destination: Destination;
  readonly source: SourceIdentity;
  readonly mode: UploadMode;
  /** Bytes per part (the whole size for single uploads). */
  readonly partSize: number;
  readonly partCount: number;
  /** ms since the epoch. */
  readonly startedAt: number;
  /** Which agent/process owns it (hostname:pid for now). */
  readonly owner: string;
}

/** An upload as the journal knows it. */
export interface UploadRecord extends UploadIntent {
  /** Journal id; also written into the object's metadata as `s3ferry-intent`. */
  readonly id: number;
  readonly uploadId: string | null;
  readonly state: UploadState;
  /** Final ETag as S3 reports it (quotes stripped), once known. */
  readonly etag: string | null;
  readonly finishedAt: number | null;
  /** Error code and message of a failed/aborted upload. */
  readonly error: string | null;
}

/** One part S3 accepted. */
export interface PartRecord {
  /** 1-based. */
  readonly partNumber: number;
  readonly size: number;
  /** As S3 returned it, quotes stripped. */
  readonly etag: string;
  /** Hex MD5 of the part's bytes, computed locally. */
  readonly md5: string;
}

/** How an open upload ended. */
export interface UploadOutcome {
  readonly state: 'verified' | 'aborted' | 'failed';
  readonly finishedAt: number;
  readonly etag?: string;
  readonly error?: string;
}

export const EVENT_LEVELS = { info: 'info', warn: 'warn', error: 'error' } as const;
export type EventLevel = (typeof EVENT_LEVELS)[keyof typeof EVENT_LEVELS];

/** An event to record (time, type, what it is about, a human message). */
export interface NewEvent {
  readonly at: number;
  /** e.g. 'upload.started', 'upload.finished', 'upload.failed', 'upload.retry', 'upload.resumed'. */
  readonly type: string;
  readonly level: EventLevel;
  readonly message: string;
  readonly path?: string;
  readonly key?: string;
  /** JSON-safe extra facts; never secrets. */
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface EventRecord extends NewEvent {
  readonly id: number;
}

/** One row of upload history, written when an upload ends (success or not). */
export interface HistoryEntry {
  readonly sourcePath: string;
  readonly endpoint: string;
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** Bytes per second over the whole upload (size / duration). */
  readonly avgBytesPerSec: number;
  readonly attempts: number;
  readonly etag: string | null;
  /** e.g. 'md5:…' or 'sha256:…' of the content, where known. */
  readonly checksum: string | null;
  readonly result: HistoryResult;
  readonly error: string | null;
  /** The agent job the upload belonged to; absent for one-shot uploads and older rows. */
  readonly job?: string;
}

export interface HistoryRecord extends HistoryEntry {
  readonly id: number;
}

/** How an upload ended, as the history records it. */
export const HISTORY_RESULTS = ['done', 'failed', 'skipped', 'cancelled'] as const;
export type HistoryResult = (typeof HISTORY_RESULTS)[number];

/** What the history can be sorted by: finish time, size, average speed. */
export const HISTORY_SORTS = ['finishedAt', 'size', 'speed'] as const;
export type HistorySort = (typeof HISTORY_SORTS)[number];

/** A page of the history: filters, sort and paging, all applied by the store. */
export interface HistoryQuery {
  readonly limit: number;
  readonly offset?: number;
  /** Only uploads of this job. */
  readonly job?: string;
  readonly result?: HistoryResult;
  /**
   * Only rows whose source path or key contains this text, ignoring ASCII case. Three characters
   * or more are looked up in an index; shorter text is checked row by row.
   */
  readonly q?: string;
  /** Default 'finishedAt'. Ties are broken by id, in the same direction. */
  readonly sort?: HistorySort;
  /** Default 'desc' (newest, largest, fastest first). */
  readonly order?: 'asc' | 'desc';
}

/** Files of the queue, filtered by state and job, oldest first. */
export interface FileQuery {
  readonly states?: readonly FileState[];
  readonly job?: string;
  readonly limit: number;
  readonly offset?: number;
}

/** One page of a list and how many rows the whole filtered list has. */
export interface Page<T> {
  readonly items: T[];
  readonly total: number;
}

/** File states of DESIGN.md. */
export const FILE_STATES = {
  discovered: 'discovered',
  settling: 'settling',
  queued: 'queued',
  uploading: 'uploading',
  verifying: 'verifying',
  done: 'done',
  skipped: 'skipped',
  waiting: 'waiting',
  parked: 'parked',
  cancelled: 'cancelled',
} as const;
export type FileState = (typeof FILE_STATES)[keyof typeof FILE_STATES];

/** A file the agent knows about. */
export interface FileRecord {
  readonly id: number;
  readonly job: string;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly inode: number;
  readonly state: FileState;
  /** Why it waits or is parked (code: message), else null. */
  readonly reason: string | null;
  /** Earliest time it may be claimed again (waiting), ms since the epoch. */
  readonly notBefore: number | null;
  readonly attempts: number;
  readonly updatedAt: number;
  /** The agent holding the file while it is 'uploading' or 'verifying', else null. */
  readonly owner: string | null;
  /**
   * Until when the owner's claim holds (ms since the epoch), renewed by its heartbeat. Once past,
   * another agent may claim the file and resume its upload. Null: the claim never expires (a claim
   * made without a lease) or the file is not held.
   */
  readonly leaseUntil: number | null;
}

/** Who claims a file, and for how long before the claim must be renewed by a heartbeat. */
export interface ClaimOptions {
  readonly owner: string;
  readonly leaseMs: number;
}

/** A running agent, as it describes itself in its heartbeats. */
export interface AgentInfo {
  /** Unique per agent process (e.g. hostname:pid:random); the owner of the files it claims. */
  readonly id: string;
  readonly hostname: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly version: string;
}

/** An agent of the fleet and its last heartbeat. */
export interface AgentRecord extends AgentInfo {
  readonly lastHeartbeat: number;
  /** Files it holds now ('uploading' or 'verifying' with its id as owner). */
  readonly holding: number;
}

/** What a source reports for a finished file. */
export interface FileToQueue {
  readonly job: string;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly inode: number;
}

/** The reason a file shows once {@link JournalStore.expireHolds} made it claimable again. */
export const HOLD_EXPIRED_REASON = 'held by an agent that stopped; taken up again';

/** The journal contract. All methods reject with an AppError (ERR_JOURNAL*) on storage failure. */
export interface JournalStore {
  // ---- uploads (transfer engine) ----
  /** Records an upload intent, before any request to S3. State 'intent'. */
  beginUpload(intent: UploadIntent): Promise<UploadRecord>;
  /** Records the UploadId right after CreateMultipartUpload answers. State -> 'active'. */
  recordUploadId(id: number, uploadId: string): Promise<void>;
  /** Records one part right after S3 accepts it. Recording the same part number again replaces it. */
  recordPart(id: number, part: PartRecord): Promise<void>;
  /** The parts recorded for an upload, by part number ascending. */
  listParts(id: number): Promise<PartRecord[]>;
  /** S3 accepted Complete (or the single Put): state -> 'completed', final ETag kept. */
  markCompleted(id: number, etag: string | null): Promise<void>;
  /** Ends an open upload. */
  finishUpload(id: number, outcome: UploadOutcome): Promise<void>;
  /** One upload by id. */
  getUpload(id: number): Promise<UploadRecord | undefined>;
  /** The newest open upload (intent/active/completed) for this destination, if any. */
  findOpenUpload(destination: Destination): Promise<UploadRecord | undefined>;
  /** The newest upload of this destination in any state (open, verified, aborted, failed), if any. */
  findLatestUpload(destination: Destination): Promise<UploadRecord | undefined>;
  /** All open uploads, optionally for one endpoint+bucket, oldest first. */
  listOpenUploads(filter?: { endpoint: string; bucket: string }): Promise<UploadRecord[]>;
  /** True when some upload (any state) in the journal has this UploadId. */
  knowsUploadId(uploadId: string): Promise<boolean>;

  // ---- events and history ----
  /** Appends an event; keeps only the newest `eventRetention` events. */
  appendEvent(event: NewEvent): Promise<EventRecord>;
  /** Newest first; `beforeId` pages backwards; `type` keeps only events of that type. */
  listEvents(query: { limit: number; beforeId?: number; type?: string }): Promise<EventRecord[]>;
  /** How many events are kept (of one type when `type` is given). */
  countEvents(query?: { type?: string }): Promise<number>;
  addHistory(entry: HistoryEntry): Promise<HistoryRecord>;
  /** Newest first; only the uploads of one source file when `sourcePath` is given. */
  listHistory(query: {
    limit: number;
    offset?: number;
    sourcePath?: string;
  }): Promise<HistoryRecord[]>;

  /** One page of the history, filtered and sorted, with the total of the filtered list. */
  searchHistory(query: HistoryQuery): Promise<Page<HistoryRecord>>;

  /** The newest successful upload whose content checksum (e.g. 'sha256:…') is this one. */
  findDoneByChecksum(checksum: string): Promise<HistoryRecord | undefined>;

  // ---- file queue (agent) ----
  /**
   * Queues a finished file. One entry per (job, path): a file already queued/uploading with the
   * same identity is left as it is; a changed identity (size, mtime, inode) re-queues it.
   */
  enqueueFile(file: FileToQueue, now: number): Promise<FileRecord>;
  /**
   * Takes one claimable file -> 'uploading', held by `claim.owner` until now + `claim.leaseMs`.
   * Claimable: 'uploading' or 'verifying' whose lease expired (its holder stopped renewing: it
   * died), else the oldest ready of 'queued' and 'waiting' with notBefore <= now. A 'verifying'
   * file stays 'verifying': its object was uploaded and verified, only the after-action and 'done'
   * were left (the new holder must not take a source the after-action removed for a vanished
   * one). Only files of `jobs` when given (none when empty). Two concurrent claims never take the
   * same file.
   * Without `claim`, the file is held with no owner and no lease (it never expires).
   */
  claimNextFile(
    now: number,
    jobs?: readonly string[],
    claim?: ClaimOptions,
  ): Promise<FileRecord | undefined>;
  /**
   * Moves a file to a state, with a reason and a notBefore for 'waiting'. Leaving 'uploading' and
   * 'verifying' releases the claim (owner and lease cleared). With `owner`, the move applies only
   * while that agent still holds the file, and resolves false otherwise (its lease expired and
   * another agent took it over); it resolves true when applied. Rejects if the file is unknown.
   */
  setFileState(
    id: number,
    state: FileState,
    now: number,
    extra?: {
      reason?: string | null;
      notBefore?: number | null;
      countAttempt?: boolean;
      owner?: string;
    },
  ): Promise<boolean>;
  getFile(id: number): Promise<FileRecord | undefined>;
  /** Files in the given states, oldest first. */
  listFiles(query: {
    states?: readonly FileState[];
    limit: number;
    offset?: number;
  }): Promise<FileRecord[]>;
  /** Count of files per state. */
  countFiles(): Promise<Record<FileState, number>>;
  /** One page of files in the given states (all when absent) and job, oldest first, with the total. */
  pageFiles(query: FileQuery): Promise<Page<FileRecord>>;
  /** Count of files per state, per job (jobs with no file are absent; every state is present). */
  countFilesByJob(): Promise<Record<string, Record<FileState, number>>>;
  /** The state of each of `paths` the job knows (paths it does not know are absent). */
  fileStates(job: string, paths: readonly string[]): Promise<Record<string, FileState>>;

  // ---- fleet (agents sharing one journal) ----
  /**
   * True when several agents may share this journal at once (PostgreSQL): files held by another
   * live agent must be left alone, and a dead agent's files come back when their lease expires.
   * False for the embedded SQLite journal, which one agent owns.
   */
  readonly shared: boolean;
  /**
   * The agent is alive: records its heartbeat, and extends to now + `leaseMs` the lease of every
   * file it holds. Resolves the ids of those files: a file it believes it holds but that is not
   * among them was taken over by another agent (its lease had expired), so it must stop work on it.
   */
  heartbeat(agent: AgentInfo, now: number, leaseMs: number): Promise<number[]>;
  /** The agents that sent a heartbeat and did not leave, most recent heartbeat first. */
  listAgents(): Promise<AgentRecord[]>;
  /**
   * A clean stop: the files the agent still holds are released (so another agent may take them at
   * once) and the agent leaves the list: 'uploading' ones go back to 'queued'; 'verifying' ones
   * stay 'verifying' with an expired lease, so that the next holder finishes them (their object
   * was verified; the after-action may already have removed the source). Resolves how many.
   */
  leave(agentId: string, now: number): Promise<number>;
  /**
   * Every held file ('uploading', 'verifying') becomes claimable at once, as if its holder's lease
   * had expired at `now`; owner cleared, state kept (see claimNextFile). For a journal one agent
   * owns (SQLite, behind the agent lock): what its previous run held when it stopped. Never call it
   * on a journal other live agents share. Resolves how many files.
   */
  expireHolds(now: number): Promise<number>;

  /** Flushes and closes. Idempotent. */
  close(): Promise<void>;
}
