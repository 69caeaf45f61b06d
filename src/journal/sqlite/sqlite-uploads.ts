/**
 * The uploads half of the SQLite journal: intent, UploadId, parts, completion, end. State moves
 * are guarded in SQL (the WHERE names the states that allow them), so a finished upload is never
 * rewritten and an UploadId, once recorded, is never replaced: cleanup relies on knowing every
 * UploadId this agent started. Repeating a move with the same result is accepted as a no-op, so
 * a retried write is harmless.
 */
import type Database from 'better-sqlite3';
import type { Hold } from '../../domain/file-state.js';
import type {
  PartRecord,
  UploadIntent,
  UploadOutcome,
  UploadRecord,
  VerifiedUpload,
} from '../journal-store.js';
import { toUploadRecord, type UploadRow } from '../journal-rows.js';
import type { SqliteStatements } from './sqlite-statements.js';

/** Raises the store's error for a refused operation (the message says why). */
export type RefuseFn = (operation: string, message: string) => never;

/** Throws ERR_LEASE_LOST (or not-found) unless `hold` is valid; does nothing without a hold. */
export type HoldCheck = (hold: Hold | undefined) => void;

/**
 * Synchronous upload operations; the store wraps them into its async contract. A write given a
 * hold checks it in the same transaction, so no other writer slips in between.
 */
export interface UploadLog {
  begin(intent: UploadIntent, hold?: Hold): UploadRecord;
  recordUploadId(id: number, uploadId: string, hold?: Hold): void;
  recordPart(id: number, part: PartRecord, hold?: Hold): void;
  markCompleted(id: number, etag: string | null, hold?: Hold): void;
  finish(id: number, outcome: UploadOutcome, hold?: Hold): void;
  /** A verified single-part upload, its part and its end, in one transaction. */
  record(upload: VerifiedUpload, hold?: Hold): UploadRecord;
}

function returned(row: UploadRow | undefined): UploadRow {
  if (row === undefined) throw new Error('a statement with RETURNING returned no row');
  return row;
}

/** The named parameters of `insertUpload`. */
function intentParams({ destination: d, source: s, ...intent }: UploadIntent) {
  return {
    endpoint: d.endpoint,
    bucket: d.bucket,
    key: d.key,
    path: s.path,
    size: s.size,
    mtimeMs: s.mtimeMs,
    inode: s.inode,
    mode: intent.mode,
    partSize: intent.partSize,
    partCount: intent.partCount,
    owner: intent.owner,
    startedAt: intent.startedAt,
    fileId: intent.fileId ?? null,
  };
}

/** Builds the upload log on a connection and its prepared statements. */
export function createUploadLog(
  db: Database.Database,
  stmts: SqliteStatements,
  refuse: RefuseFn,
  checkHold: HoldCheck,
): UploadLog {
  /** Why a guarded statement changed nothing: no such upload, or a state that forbids it. */
  const explain = (operation: string, id: number): never => {
    const row = stmts.getUpload.get(id);
    const why =
      row === undefined
        ? `upload ${id} is not in the journal`
        : `upload ${id} is ${row.state}${row.upload_id === null ? '' : ` with UploadId ${row.upload_id}`}, which refuses ${operation}`;
    return refuse(operation, why);
  };
  // Update and explanation in one transaction, so the explanation describes the state refused.
  const guarded = db.transaction(
    (operation: string, id: number, hold: Hold | undefined, apply: () => number) => {
      checkHold(hold);
      if (apply() === 0) explain(operation, id);
    },
  );
  const beginTx = db.transaction((intent: UploadIntent, hold: Hold | undefined) => {
    checkHold(hold);
    return toUploadRecord(returned(stmts.insertUpload.get(intentParams(intent))));
  });
  const recordPartTx = db.transaction((id: number, part: PartRecord, hold: Hold | undefined) => {
    checkHold(hold);
    if (stmts.getUpload.get(id) === undefined) explain('recordPart', id);
    const { partNumber, size, etag, md5 } = part;
    stmts.upsertPart.run({ id, partNumber, size, etag, md5 });
  });

  const recordTx = db.transaction((upload: VerifiedUpload, hold: Hold | undefined) => {
    checkHold(hold);
    const { id } = returned(stmts.insertUpload.get(intentParams(upload.intent)));
    const { partNumber, size, etag, md5 } = upload.part;
    stmts.upsertPart.run({ id, partNumber, size, etag, md5 });
    const end = { id, state: 'verified', finishedAt: upload.finishedAt, etag: upload.etag };
    stmts.finishUpload.run({ ...end, error: null, versionId: upload.versionId ?? null });
    return toUploadRecord(returned(stmts.getUpload.get(id)));
  });

  return {
    begin: (intent, hold) => beginTx.immediate(intent, hold),
    record: (upload, hold) => recordTx.immediate(upload, hold),
    recordUploadId: (id, uploadId, hold) => {
      guarded.immediate(
        'recordUploadId',
        id,
        hold,
        () => stmts.setUploadId.run({ id, uploadId }).changes,
      );
    },
    recordPart: (id, part, hold) => {
      recordPartTx.immediate(id, part, hold);
    },
    markCompleted: (id, etag, hold) => {
      guarded.immediate(
        'markCompleted',
        id,
        hold,
        () => stmts.markCompleted.run({ id, etag }).changes,
      );
    },
    finish: (id, { state, finishedAt, etag, error, versionId }, hold) => {
      const params = {
        id,
        state,
        finishedAt,
        etag: etag ?? null,
        error: error ?? null,
        versionId: versionId ?? null,
      };
      guarded.immediate('finishUpload', id, hold, () => {
        if (stmts.finishUpload.run(params).changes > 0) return 1;
        // Ending it again the same way (a retried write, two cleanups) is a no-op: the first
        // record stands. Ending it another way is refused.
        return stmts.getUpload.get(id)?.state === state ? 1 : 0;
      });
    },
  };
}
