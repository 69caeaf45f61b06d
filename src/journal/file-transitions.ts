/**
 * What both stores share about the named file transitions: the SQL fragments each one's guarded
 * UPDATE is built from (taken from the table of domain/file-state.ts, so the guard and the domain
 * can never disagree), the values each binds, and the error that explains a refusal. No driver is
 * imported here: each store assembles the fragments with its own placeholders.
 */
import {
  FILE_TRANSITIONS,
  HELD_STATES,
  isHeld,
  type FileReason,
  type FileTransition,
  type FileState,
  type Hold,
  type HeldTransitionName,
} from '../domain/file-state.js';
import { AppError } from '../errors/app-error.js';
import type { HeldTransitionInput } from './file-queue.js';
import { HOLD_EXPIRED_REASON } from './fleet.js';
import type { FileRow } from './journal-rows.js';
import { journalError, type JournalErrorContext } from './journal-errors.js';

/** `'a', 'b'`: states as an SQL list (they are fixed identifiers of the domain, never input). */
export function sqlStates(states: readonly FileState[]): string {
  return states.map((s) => `'${s}'`).join(', ');
}

/** `state IN ('uploading', 'verifying')`. */
export const HELD_SQL = `state IN (${sqlStates(HELD_STATES)})`;

/**
 * The reason columns a claim sets (SET clause, without the trailing comma): a file taken over from a
 * holder whose lease expired says so (fleet.ts HOLD_EXPIRED_REASON: the processor then knows an
 * earlier holder may have sent this version already); any other claim clears the reason. `state`
 * is read before the update (`prefix`: the table's alias, e.g. 'f.', or '').
 */
export function claimReasonSet(prefix: string): string {
  const held = `${prefix}state IN (${sqlStates(HELD_STATES)})`;
  const text = (v: string) => `'${v.replaceAll("'", "''")}'`;
  const r = HOLD_EXPIRED_REASON;
  return `reason_code = CASE WHEN ${held} THEN ${text(r.code)} END,
      reason_message = CASE WHEN ${held} THEN ${text(r.message)} END, reason_hint = NULL`;
}

/** Placeholders of the values a held transition binds, in the store's own syntax. */
export interface TransitionParams {
  readonly id: string;
  readonly owner: string;
  readonly now: string;
  readonly readyAt: string;
  readonly notBefore: string;
  readonly code: string;
  readonly message: string;
  readonly hint: string;
}

/**
 * The guarded UPDATE of one held transition (without RETURNING): applies only while `owner` holds
 * file `id` in one of the transition's from-states. States the transition keeps stay; a move to a
 * held state (markVerifying) keeps the hold, any other ends it, except that a kept 'verifying'
 * (release) becomes claimable at once (lease = now).
 */
export function heldTransitionUpdate(name: HeldTransitionName, p: TransitionParams): string {
  const t: FileTransition = FILE_TRANSITIONS[name];
  const keeps = t.keeps ?? [];
  const state =
    keeps.length === 0
      ? `'${t.to}'`
      : `CASE WHEN state IN (${sqlStates(keeps)}) THEN state ELSE '${t.to}' END`;
  const keepsHold = isHeld(t.to);
  const owner = keepsHold ? 'owner' : 'NULL';
  const lease = keepsHold
    ? 'lease_until'
    : keeps.length === 0
      ? 'NULL'
      : `CASE WHEN state IN (${sqlStates(keeps)}) THEN ${p.now} END`;
  const attempts = t.countsAttempt === true ? 'attempts + 1' : 'attempts';
  return `UPDATE files SET state = ${state}, reason_code = ${p.code}, reason_message = ${p.message},
      reason_hint = ${p.hint}, not_before = ${p.notBefore}, attempts = ${attempts},
      updated_at = ${p.now}, ready_at = ${p.readyAt}, owner = ${owner}, lease_until = ${lease}
    WHERE id = ${p.id} AND owner = ${p.owner} AND state IN (${sqlStates(t.from)})`;
}

/** The values a held transition binds (see {@link TransitionParams}). */
export interface TransitionValues {
  readonly readyAt: number;
  readonly notBefore: number | null;
  readonly code: string | null;
  readonly message: string | null;
  readonly hint: string | null;
}

/** The values of one transition's input: its reason, and for defer its notBefore (queue order). */
export function transitionValues(
  name: HeldTransitionName,
  now: number,
  input: Partial<HeldTransitionInput['defer']> | undefined,
): TransitionValues {
  const reason: FileReason | undefined = input?.reason;
  const notBefore = name === 'defer' ? (input?.notBefore ?? now) : null;
  return {
    readyAt: notBefore ?? now,
    notBefore,
    code: reason?.code ?? null,
    message: reason?.message ?? null,
    hint: reason?.hint ?? null,
  };
}

/** A file that is not in the journal: the store's not-found error. */
export function unknownFile(ctx: JournalErrorContext, fileId: number): AppError {
  return journalError(
    'ERR_JOURNAL',
    ctx,
    `file ${fileId} is not in the journal`,
    'this is a bug in s3ferry: please report it with the log',
  );
}

/** The owner of `hold` no longer holds its file: ERR_LEASE_LOST, naming the file. */
export function leaseLostError(hold: Hold, row: Pick<FileRow, 'path' | 'owner'>): AppError {
  const now = row.owner === null ? 'it was given back' : `agent ${row.owner} holds it now`;
  return new AppError(
    'ERR_LEASE_LOST',
    `${row.path}: another agent took this file over (the hold of ${hold.owner} lapsed; ${now})`,
    {
      hint: 'nothing to do: the agent that holds the file now finishes it from the shared journal',
      details: { fileId: hold.fileId, owner: hold.owner, holder: row.owner },
    },
  );
}

/** True while `hold`'s owner holds the file `row` describes. */
export function holds(hold: Hold, row: Pick<FileRow, 'owner' | 'state'>): boolean {
  return row.owner === hold.owner && isHeld(row.state);
}

/**
 * Why a guarded write on `hold`'s file changed nothing: no such file (not found), the hold lapsed
 * (ERR_LEASE_LOST), or the file's state does not allow `name` (ERR_ILLEGAL_TRANSITION, a bug).
 */
export function refusal(
  ctx: JournalErrorContext,
  name: string,
  hold: Hold,
  row: FileRow | undefined,
): AppError {
  if (row === undefined) return unknownFile(ctx, hold.fileId);
  if (!holds(hold, row)) return leaseLostError(hold, row);
  return new AppError(
    'ERR_ILLEGAL_TRANSITION',
    `${row.path}: the file is ${row.state}, which does not allow ${name}`,
    {
      hint: 'this is a bug in s3ferry: please report it with the log',
      details: { fileId: hold.fileId, transition: name, state: row.state },
    },
  );
}

/**
 * Checks that `hold` is valid on `row` (for the upload ledger's writes); throws the refusal
 * otherwise.
 */
export function assertHolds(ctx: JournalErrorContext, hold: Hold, row: FileRow | undefined): void {
  if (row === undefined) throw unknownFile(ctx, hold.fileId);
  if (!holds(hold, row)) throw leaseLostError(hold, row);
}
