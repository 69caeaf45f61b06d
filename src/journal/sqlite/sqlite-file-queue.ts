/**
 * The file queue half of the SQLite journal: enqueue with dedup by (job, path), claim, state moves.
 * Queue order is `ready_at`, the time a file became claimable: when it was queued, or the
 * notBefore of a waiting file. So a file whose retry came due waits behind nothing queued later.
 */
import type Database from 'better-sqlite3';
import { HOLD_EXPIRED_REASON } from '../journal-store.js';
import type {
  AgentInfo,
  ClaimOptions,
  FileRecord,
  FileState,
  FileToQueue,
} from '../journal-store.js';
import { toFileRecord, type FileRow } from '../journal-rows.js';
import type { SqliteStatements } from './sqlite-statements.js';

/** Extra facts of a state move (see JournalStore.setFileState). */
export interface FileStateExtra {
  readonly reason?: string | null;
  readonly notBefore?: number | null;
  readonly countAttempt?: boolean;
  /** Apply only while this agent holds the file. */
  readonly owner?: string;
}

/** Synchronous file-queue operations; the store wraps them into its async contract. */
export interface FileQueue {
  /** See JournalStore.enqueueFile. One IMMEDIATE transaction. */
  enqueue(file: FileToQueue, now: number): FileRecord;
  /** See JournalStore.claimNextFile. A read, then one guarded UPDATE. */
  claimNext(now: number, jobs?: readonly string[], claim?: ClaimOptions): FileRecord | undefined;
  /**
   * See JournalStore.setFileState. 'applied'; 'not-held' when `owner` no longer holds the file;
   * 'unknown' when no file has this id.
   */
  setState(
    id: number,
    state: FileState,
    now: number,
    extra: FileStateExtra,
  ): 'applied' | 'not-held' | 'unknown';
  /** See JournalStore.heartbeat. One IMMEDIATE transaction. */
  heartbeat(agent: AgentInfo, now: number, leaseMs: number): number[];
  /** See JournalStore.leave. One IMMEDIATE transaction. */
  leave(agentId: string, now: number): number;
  /** See JournalStore.expireHolds. */
  expireHolds(now: number): number;
}

/**
 * States in which an agent holds the file. A changed identity does not re-queue it: that would let
 * a second worker claim it while the first still uploads. The holder's upload notices the change
 * itself (it re-checks the source) and requeues the file.
 */
const HELD: ReadonlySet<FileState> = new Set<FileState>(['uploading', 'verifying']);

/** States a source may still be deciding about: enqueueing the same file again moves it on. */
const NOT_YET_QUEUED: ReadonlySet<FileState> = new Set<FileState>(['discovered', 'settling']);

function sameIdentity(row: FileRow, file: FileToQueue): boolean {
  return row.size === file.size && row.mtime_ms === file.mtimeMs && row.inode === file.inode;
}

function returned(row: FileRow | undefined): FileRow {
  if (row === undefined) throw new Error('a statement with RETURNING returned no row');
  return row;
}

/** Builds the file queue on a connection and its prepared statements. */
export function createFileQueue(db: Database.Database, stmts: SqliteStatements): FileQueue {
  const enqueueTx = db.transaction((file: FileToQueue, now: number): FileRecord => {
    const { job, path, size, mtimeMs, inode } = file;
    const row = stmts.findFile.get({ job, path });
    if (row === undefined) {
      return toFileRecord(returned(stmts.insertFile.get({ job, path, size, mtimeMs, inode, now })));
    }
    const changed = !sameIdentity(row, file);
    if (HELD.has(row.state)) return toFileRecord(row);
    if (!changed && !NOT_YET_QUEUED.has(row.state)) return toFileRecord(row);
    // A changed file is a new version: its earlier attempts and reasons no longer apply.
    const attempts = changed ? 0 : row.attempts;
    const params = { id: row.id, size, mtimeMs, inode, attempts, now };
    return toFileRecord(returned(stmts.requeueFile.get(params)));
  });

  /** The oldest ready file among `jobs` (all jobs when undefined): one index probe per job. */
  const nextReady = (now: number, jobs?: readonly string[]): number | undefined => {
    if (jobs === undefined) return stmts.nextClaimable.get({ now })?.id;
    let best: { id: number; ready_at: number } | undefined;
    for (const job of new Set(jobs)) {
      const c = stmts.nextClaimableOfJob.get({ now, job });
      if (c === undefined) continue;
      if (
        best === undefined ||
        c.ready_at < best.ready_at ||
        (c.ready_at === best.ready_at && c.id < best.id)
      )
        best = c;
    }
    return best?.id;
  };

  /** A held file whose lease expired, of one of `jobs`: a dead holder's work comes first. */
  const nextExpired = (now: number, jobs?: readonly string[]): number | undefined => {
    const wanted = jobs === undefined ? undefined : new Set(jobs);
    for (const c of stmts.nextExpired.iterate({ now })) {
      if (wanted === undefined || wanted.has(c.job)) return c.id;
    }
    return undefined;
  };

  /**
   * Finds a candidate, then takes it with an UPDATE that re-checks it is still claimable: no write
   * (and no write lock) when there is nothing to claim, and never the same file twice, even with
   * another process on the journal (the loser of a race finds the next candidate).
   */
  const claim = (
    now: number,
    jobs?: readonly string[],
    options?: ClaimOptions,
  ): FileRecord | undefined => {
    if (jobs?.length === 0) return undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = nextExpired(now, jobs) ?? nextReady(now, jobs);
      if (id === undefined) return undefined;
      const row = stmts.claimFile.get({
        id,
        now,
        owner: options?.owner ?? null,
        leaseUntil: options === undefined ? null : now + options.leaseMs,
      });
      if (row !== undefined) return toFileRecord(row);
    }
    return undefined;
  };

  const heartbeatTx = db.transaction((agent: AgentInfo, now: number, leaseMs: number) => {
    const { id, hostname, pid, startedAt, version } = agent;
    stmts.upsertAgent.run({ id, hostname, pid, startedAt, version, now });
    return stmts.renewLeases.all({ id, leaseUntil: now + leaseMs }).map((r) => r.id);
  });

  const leaveTx = db.transaction((agentId: string, now: number): number => {
    const reason = `released by agent ${agentId} as it stopped`;
    const released = stmts.releaseFiles.run({ id: agentId, reason, now }).changes;
    stmts.deleteAgent.run(agentId);
    return released;
  });

  return {
    enqueue: (file, now) => enqueueTx.immediate(file, now),
    claimNext: claim,
    setState: (id, state, now, extra) => {
      const notBefore = extra.notBefore ?? null;
      const readyAt = state === 'waiting' ? (notBefore ?? now) : now;
      const addAttempts = extra.countAttempt === true ? 1 : 0;
      const params = {
        id,
        state,
        reason: extra.reason ?? null,
        notBefore,
        addAttempts,
        now,
        readyAt,
      };
      const owner = extra.owner ?? null;
      if (stmts.setFileState.run({ ...params, owner }).changes > 0) return 'applied';
      return stmts.getFile.get(id) === undefined ? 'unknown' : 'not-held';
    },
    heartbeat: (agent, now, leaseMs) => heartbeatTx.immediate(agent, now, leaseMs),
    leave: (agentId, now) => leaveTx.immediate(agentId, now),
    expireHolds: (now) => stmts.expireHolds.run({ now, reason: HOLD_EXPIRED_REASON }).changes,
  };
}
