/**
 * The file queue half of the SQLite journal: enqueue with dedup by (job, path), claim, the named
 * hold-guarded transitions (file-transitions.ts builds their guarded UPDATEs from the domain
 * table), the plan of a file version, retry. Queue order is `ready_at`, the time a file became
 * claimable: when it was queued, or the notBefore of a waiting file. So a file whose retry came
 * due waits behind nothing queued later.
 *
 * Each operation runs in one transaction (a savepoint inside the group commit's transaction), so a
 * transition, its event and its history row are kept or lost together.
 */
import type Database from 'better-sqlite3';
import {
  HELD_STATES,
  isHeld,
  type FilePlan,
  type Hold,
  type HeldTransitionName,
} from '../../domain/file-state.js';
import type {
  ClaimOptions,
  Enqueued,
  FileRecord,
  FileToQueue,
  FinalOptions,
  HeldTransitionInput,
  RetryFilter,
  Transitioned,
} from '../file-queue.js';
import type { NewEvent } from '../event-log.js';
import { ofFile, type VerifiedUpload } from '../upload-ledger.js';
import {
  heldTransitionUpdate,
  holds,
  refusal,
  sqlStates,
  transitionValues,
} from '../file-transitions.js';
import type { JournalErrorContext } from '../journal-errors.js';
import { toFileRecord, type FileRow } from '../journal-rows.js';
import type { SqliteEventLog } from './sqlite-event-log.js';
import type { SqliteStatements } from './sqlite-statements.js';

/** Synchronous file-queue operations; the store wraps them into its async contract. */
export interface SqliteFileQueue {
  enqueue(file: FileToQueue, now: number, event?: NewEvent): Enqueued;
  claim(now: number, options: ClaimOptions, jobs?: readonly string[]): FileRecord | undefined;
  savePlan(hold: Hold, plan: FilePlan, now: number): FilePlan;
  transition(
    name: HeldTransitionName,
    hold: Hold,
    now: number,
    input: Partial<HeldTransitionInput['defer'] & FinalOptions> | undefined,
  ): Transitioned;
  releaseForRetry(filter: RetryFilter, now: number): number;
}

const PARAMS = {
  id: '@id',
  owner: '@owner',
  now: '@now',
  readyAt: '@readyAt',
  notBefore: '@notBefore',
  code: '@code',
  message: '@message',
  hint: '@hint',
};

const SAVE_PLAN = `UPDATE files SET plan_key = @key, plan_mode = @mode, plan_part_size = @partSize,
    plan_checksum = @checksum, plan_decided_at = @decidedAt
  WHERE id = @id AND owner = @owner AND state IN (${sqlStates(HELD_STATES)}) AND plan_key IS NULL
  RETURNING *`;

// One guarded statement: a file claimed meanwhile is 'uploading' and not touched.
const RELEASE_FOR_RETRY = `UPDATE files SET state = 'queued', reason_code = NULL,
    reason_message = NULL, reason_hint = NULL, not_before = NULL, updated_at = @now, ready_at = @now
  WHERE state IN ('parked', 'waiting')
    AND (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))
    AND (@job IS NULL OR job = @job)
    AND (@code IS NULL OR coalesce(reason_code, '') = @code)`;

/** The plan columns' parameters of insertFile and requeueFile (all null without a plan). */
export function planParams(plan: FilePlan | undefined): Record<string, string | number | null> {
  return {
    planKey: plan?.key ?? null,
    planMode: plan?.mode ?? null,
    planPartSize: plan?.partSize ?? null,
    planChecksum: plan?.checksum ?? null,
    planDecidedAt: plan?.decidedAt ?? null,
  };
}

function sameIdentity(row: FileRow, file: FileToQueue): boolean {
  return row.size === file.size && row.mtime_ms === file.mtimeMs && row.inode === file.inode;
}

/** A parked file whose ctime moved since it was queued: someone fixed it (chmod, chown). */
function fixedWhileParked(row: FileRow, file: FileToQueue): boolean {
  return (
    row.state === 'parked' &&
    file.ctimeMs !== undefined &&
    row.ctime_ms !== null &&
    row.ctime_ms !== file.ctimeMs
  );
}

function returned(row: FileRow | undefined): FileRow {
  if (row === undefined) throw new Error('a statement with RETURNING returned no row');
  return row;
}

/** Builds the file queue on a connection, its prepared statements and its event log. */
export function createFileQueue(
  db: Database.Database,
  stmts: SqliteStatements,
  events: SqliteEventLog,
  ctx: (operation: string) => JournalErrorContext,
  recordUpload: (upload: VerifiedUpload) => unknown,
): SqliteFileQueue {
  const updates = new Map<
    HeldTransitionName,
    Database.Statement<Record<string, unknown>, FileRow>
  >();
  const update = (name: HeldTransitionName) => {
    let stmt = updates.get(name);
    if (stmt === undefined) {
      stmt = db.prepare<Record<string, unknown>, FileRow>(
        `${heldTransitionUpdate(name, PARAMS)} RETURNING *`,
      );
      updates.set(name, stmt);
    }
    return stmt;
  };
  const savePlanStmt = db.prepare<Record<string, unknown>, FileRow>(SAVE_PLAN);
  const retryStmt = db.prepare<Record<string, unknown>>(RELEASE_FOR_RETRY);
  const pausesStmt = db.prepare<[], { job: string }>('SELECT job FROM pauses');

  /** Where the row goes: 'queued' (and how), or undefined when it stays as it is. */
  const requeue = (row: FileRow, file: FileToQueue, now: number): FileRow | undefined => {
    if (isHeld(row.state)) return undefined;
    const changed = !sameIdentity(row, file);
    if (!changed && row.state !== 'settling' && !fixedWhileParked(row, file)) return undefined;
    const { size, mtimeMs, inode } = file;
    // A changed file is a new version: its earlier attempts, reasons and plan no longer apply.
    return returned(
      stmts.requeueFile.get({
        id: row.id,
        size,
        mtimeMs,
        inode,
        ctimeMs: file.ctimeMs ?? null,
        attempts: changed ? 0 : row.attempts,
        newVersion: changed ? 1 : 0,
        now,
        ...planParams(file.plan),
      }),
    );
  };

  const enqueueTx = db.transaction((file: FileToQueue, now: number, event?: NewEvent) => {
    const { job, path, size, mtimeMs, inode } = file;
    const ctimeMs = file.ctimeMs ?? null;
    const row = stmts.findFile.get({ job, path });
    const queued =
      row === undefined
        ? returned(
            stmts.insertFile.get({
              ...{ job, path, size, mtimeMs, inode, ctimeMs, now },
              ...planParams(file.plan),
            }),
          )
        : requeue(row, file, now);
    if (queued === undefined) {
      const known = returned(row);
      const learnt = ctimeMs === null ? undefined : stmts.learnCtime.get({ id: known.id, ctimeMs });
      return { file: toFileRecord(learnt ?? known), queued: false, event: undefined };
    }
    const recorded = event === undefined ? undefined : events.append(event);
    return { file: toFileRecord(queued), queued: true, event: recorded };
  });

  /** The oldest ready file among `jobs` (all jobs when undefined): one index probe per job. */
  const nextReady = (now: number, jobs?: readonly string[]): number | undefined => {
    if (jobs === undefined) return stmts.nextClaimable.get({ now })?.id;
    let best: { id: number; ready_at: number } | undefined;
    for (const job of jobs) {
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
  const nextExpired = (
    now: number,
    jobs: readonly string[] | undefined,
    paused: ReadonlySet<string>,
  ): number | undefined => {
    const wanted = jobs === undefined ? undefined : new Set(jobs);
    for (const c of stmts.nextExpired.iterate({ now })) {
      if (paused.has(c.job)) continue;
      if (wanted === undefined || wanted.has(c.job)) return c.id;
    }
    return undefined;
  };

  /**
   * Finds a candidate outside the paused jobs, then takes it with an UPDATE that re-checks it is
   * still claimable and not paused: no write (and no write lock) when there is nothing to claim,
   * and never the same file twice, even with another process on the journal (the loser of a race
   * finds the next candidate).
   */
  const claim = (
    now: number,
    options: ClaimOptions,
    jobs?: readonly string[],
  ): FileRecord | undefined => {
    const paused = new Set(pausesStmt.all().map((p) => p.job));
    if (paused.has('')) return undefined;
    const open = jobs === undefined ? undefined : [...new Set(jobs)].filter((j) => !paused.has(j));
    if (open?.length === 0) return undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = nextExpired(now, open, paused) ?? nextReady(now, open);
      if (id === undefined) return undefined;
      const row = stmts.claimFile.get({
        id,
        now,
        owner: options.owner,
        leaseUntil: now + options.leaseMs,
      });
      if (row !== undefined) return toFileRecord(row);
    }
    return undefined;
  };

  const savePlanTx = db.transaction((hold: Hold, plan: FilePlan): FilePlan => {
    const params = { id: hold.fileId, owner: hold.owner, ...plan };
    const saved = savePlanStmt.get(params);
    if (saved !== undefined) return plan;
    const row = stmts.getFile.get(hold.fileId);
    const record = row === undefined ? undefined : toFileRecord(row);
    // Held, and a plan is stored already: the first one wins.
    if (record !== undefined && record.plan !== null && row !== undefined && holds(hold, row))
      return record.plan;
    throw refusal(ctx('savePlan'), 'savePlan', hold, row);
  });

  const transitionTx = db.transaction(
    (
      name: HeldTransitionName,
      hold: Hold,
      now: number,
      input: Partial<HeldTransitionInput['defer'] & FinalOptions> | undefined,
    ): Transitioned => {
      const values = transitionValues(name, now, input);
      const row = update(name).get({ id: hold.fileId, owner: hold.owner, now, ...values });
      if (row === undefined) throw refusal(ctx(name), name, hold, stmts.getFile.get(hold.fileId));
      if (input?.upload !== undefined) recordUpload(ofFile(input.upload, hold.fileId));
      const event = input?.event === undefined ? undefined : events.append(input.event);
      const history = input?.history === undefined ? undefined : events.addHistory(input.history);
      return { file: toFileRecord(row), event, history };
    },
  );

  return {
    enqueue: (file, now, event) => enqueueTx.immediate(file, now, event),
    claim,
    savePlan: (hold, plan) => savePlanTx.immediate(hold, plan),
    transition: (name, hold, now, input) => transitionTx.immediate(name, hold, now, input),
    releaseForRetry: ({ fileIds, job, code }, now) =>
      retryStmt.run({
        now,
        ids: fileIds === undefined ? null : JSON.stringify(fileIds),
        job: job ?? null,
        code: code ?? null,
      }).changes,
  };
}
