/**
 * The transfer engine's port of the journal: upload intent, UploadId, parts, completion
 * (DESIGN.md item 6). Every fact is written before the next step, so any interruption can be
 * resumed. Domain operations only: no SQL, connection or transaction type.
 *
 * Every write takes an optional trailing {@link Hold}: with it, the write applies only while that
 * owner still holds the file, else it rejects with ERR_LEASE_LOST and changes nothing. So an
 * agent whose lease lapsed (another agent took the file over) cannot complete, record or end the
 * upload the new holder now drives. {@link heldLedger} binds a hold to every write, so the
 * transfer engine itself stays unaware of holds.
 */
import type { Hold } from '../domain/file-state.js';

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
  /** The journal's file (FileRecord.id) this upload sends, when an agent's queue holds it. */
  readonly fileId?: number;
}

/** An upload as the journal knows it. */
export interface UploadRecord extends Omit<UploadIntent, 'fileId'> {
  /** Journal id; also written into the object's metadata as `s3ferry-intent`. */
  readonly id: number;
  /** The journal's file this upload sends; null for one-shot uploads and older rows. */
  readonly fileId: number | null;
  readonly uploadId: string | null;
  readonly state: UploadState;
  /** Final ETag as S3 reports it (quotes stripped), once known. */
  readonly etag: string | null;
  readonly finishedAt: number | null;
  /** Error code and message of a failed/aborted upload. */
  readonly error: string | null;
  /** The version of the object it stored, where the bucket keeps versions; else null. */
  readonly versionId: string | null;
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

/**
 * A single-part upload, recorded once it is verified: nothing is journaled before its PUT (the
 * object's own metadata and ETag recognise it on a retry, transfer/ownership.ts), so the record,
 * its one part and its end are written in one go, by {@link UploadLedger.recordUpload} or with the
 * file's transition (file-queue.ts FinalOptions.upload).
 */
export interface VerifiedUpload {
  readonly intent: UploadIntent;
  readonly part: PartRecord;
  /** The object's ETag, quotes stripped. */
  readonly etag: string;
  /** ms since the epoch. */
  readonly finishedAt: number;
  /** The version of the object it stored, where the bucket keeps versions. */
  readonly versionId?: string;
}

/** `upload`, naming `fileId` as the file it sends unless it names one already. */
export function ofFile(upload: VerifiedUpload, fileId: number): VerifiedUpload {
  return { ...upload, intent: { ...upload.intent, fileId: upload.intent.fileId ?? fileId } };
}

/** How an open upload ended. */
export interface UploadOutcome {
  readonly state: 'verified' | 'aborted' | 'failed';
  readonly finishedAt: number;
  readonly etag?: string;
  readonly error?: string;
  /** The version of the object a verified upload stored, where the bucket keeps versions. */
  readonly versionId?: string;
}

/**
 * The uploads of the journal. All methods reject with an AppError (ERR_JOURNAL*) on storage
 * failure; a write given a `hold` rejects with ERR_LEASE_LOST once that owner no longer holds
 * the file (and with the journal's not-found error for an unknown file).
 */
export interface UploadLedger {
  /** Records an upload intent, before any request to S3. State 'intent'. */
  beginUpload(intent: UploadIntent, hold?: Hold): Promise<UploadRecord>;
  /** Records the UploadId right after CreateMultipartUpload answers. State -> 'active'. */
  recordUploadId(id: number, uploadId: string, hold?: Hold): Promise<void>;
  /** Records one part right after S3 accepts it. Recording the same part number again replaces it. */
  recordPart(id: number, part: PartRecord, hold?: Hold): Promise<void>;
  /** The parts recorded for an upload, by part number ascending. */
  listParts(id: number): Promise<PartRecord[]>;
  /** S3 accepted Complete (or the single Put): state -> 'completed', final ETag kept. */
  markCompleted(id: number, etag: string | null, hold?: Hold): Promise<void>;
  /** Ends an open upload. */
  finishUpload(id: number, outcome: UploadOutcome, hold?: Hold): Promise<void>;
  /** Records a verified single-part upload at once: state 'verified', its part, its ETag. */
  recordUpload(upload: VerifiedUpload, hold?: Hold): Promise<UploadRecord>;
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
}

/** The writes of {@link UploadLedger}: the methods {@link heldLedger} binds the hold to. */
const LEDGER_WRITES = new Set<PropertyKey>([
  'beginUpload',
  'recordUploadId',
  'recordPart',
  'markCompleted',
  'finishUpload',
  'recordUpload',
]);

/** Arity of each write without its trailing hold. */
const WRITE_ARITY: Readonly<Record<string, number>> = {
  beginUpload: 1,
  recordUploadId: 2,
  recordPart: 2,
  markCompleted: 2,
  finishUpload: 2,
  recordUpload: 1,
};

/**
 * `ledger` with `hold` bound to every write (beginUpload and recordUpload also record the hold's
 * file as the upload's `fileId`); every other member passes through unchanged, so a store that is more than a
 * ledger stays all it is. The transfer engine writes through it without knowing of holds, and
 * each of its writes rejects with ERR_LEASE_LOST once the hold lapsed.
 */
export function heldLedger<T extends UploadLedger>(ledger: T, hold: Hold): T {
  return new Proxy(ledger, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (!LEDGER_WRITES.has(prop)) return fn.bind(target);
      const arity = WRITE_ARITY[prop as string] ?? 0;
      return (...args: unknown[]) => {
        const own = args.slice(0, arity);
        if (prop === 'beginUpload') {
          const intent = own[0] as UploadIntent;
          own[0] = { ...intent, fileId: intent.fileId ?? hold.fileId };
        }
        if (prop === 'recordUpload') own[0] = ofFile(own[0] as VerifiedUpload, hold.fileId);
        return fn.apply(target, [...own, hold]);
      };
    },
  });
}
