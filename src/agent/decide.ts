/**
 * What to do with a claimed file: a pure function of what the processor found (file-processor.ts
 * gathers the facts; docs/pipeline.md lists the branches). The order is the rule:
 *
 * 1. the source is gone: in 'verifying' its holder had uploaded and verified the object and its
 *    after-action moved or deleted the source before it could record 'done': record it done now;
 *    otherwise the file vanished before its upload: cancel;
 * 2. the source changed since it was queued (size, mtime, inode): it settles again;
 * 3. it is no longer under a source of its job (the configuration changed): park;
 * 4. the overwrite policy found its key taken by another writer's object: skip (exists);
 * 5. the journal holds a verified upload of this very version at the plan's key (a crash, a stop
 *    or a takeover came after the upload): finish without sending it again;
 * 6. dedupe found the same content in the bucket: skip (the bytes are safe in the store; the
 *    after-action still runs), or copy it server-side to the plan's key (skip when it is there);
 * 7. else: upload.
 * Throws ERR_INTERNAL (a bug) for an unchanged file under its source that was not planned.
 */
import type { FileState } from '../domain/file-state.js';
import { AppError } from '../errors/app-error.js';
import type { HistoryRecord, UploadRecord } from '../journal/journal-store.js';
import type { Planned } from './file-plan.js';

/** The source now, against the file's identity when it was queued. */
export type SourceNow = 'vanished' | 'changed' | 'unchanged';

/** What the processor found about a claimed file. */
export interface Facts {
  readonly state: FileState;
  readonly source: SourceNow;
  /** The file is under one of its job's sources. */
  readonly underSource: boolean;
  /** The plan (undefined when the file is not unchanged under a source: it is not planned). */
  readonly planned: Planned | undefined;
  /** The journal's verified upload of this version at the plan's key, if any. */
  readonly verified: UploadRecord | undefined;
  /** An earlier upload of the same content still in the bucket (dedupe), if any. */
  readonly duplicate: HistoryRecord | undefined;
  /** What the job's dedupe does with a duplicate. */
  readonly dedupeAction: 'skip' | 'copy';
}

/** The branch {@link decide} takes. */
export type Decision =
  | { readonly kind: 'vanished' }
  | { readonly kind: 'taken-over-verified' }
  | { readonly kind: 'changed' }
  | { readonly kind: 'not-under-source' }
  | { readonly kind: 'exists'; readonly key: string; readonly reason: string }
  | { readonly kind: 'already-uploaded'; readonly upload: UploadRecord }
  | { readonly kind: 'duplicate-skip'; readonly duplicate: HistoryRecord }
  | { readonly kind: 'duplicate-copy'; readonly duplicate: HistoryRecord }
  | { readonly kind: 'upload' };

/** The rule of the module comment. */
export function decide(f: Facts): Decision {
  if (f.source === 'vanished')
    return f.state === 'verifying' ? { kind: 'taken-over-verified' } : { kind: 'vanished' };
  if (f.source === 'changed') return { kind: 'changed' };
  if (!f.underSource) return { kind: 'not-under-source' };
  const planned = f.planned;
  if (planned === undefined)
    throw new AppError('ERR_INTERNAL', 'an unchanged file under its source was not planned', {
      hint: 'this is a bug in s3ferry: please report it with the log',
    });
  if (planned.kind === 'exists')
    return { kind: 'exists', key: planned.key, reason: planned.reason };
  if (f.verified !== undefined) return { kind: 'already-uploaded', upload: f.verified };
  const dup = f.duplicate;
  if (dup !== undefined) {
    const skip = f.dedupeAction === 'skip' || dup.key === planned.plan.key;
    return skip
      ? { kind: 'duplicate-skip', duplicate: dup }
      : { kind: 'duplicate-copy', duplicate: dup };
  }
  return { kind: 'upload' };
}
