/**
 * The plan of a file version (DESIGN.md item 4): the key rendered from the job's template under the
 * overwrite policy's choice, the mode and part size from the destination's transfer service, and
 * the content checksum when the job needs one. Decided once and kept in the journal before the
 * first request that writes to the store; a plan already stored is reused as it is, whatever the
 * template or the configuration says now, so retries, restarts and takeovers send the version to
 * the same key the same way, even with `{now}` or `{uuid}` in the template.
 *
 * When the plan needs neither a digest (a read of the whole file) nor a look at the store (a
 * HeadObject), it is decided as the file is queued and written with the enqueue itself, from the
 * stat the source already has: then `{now}` and `{uuid}` take the queueing time and a uuid drawn
 * then. Otherwise it is decided once the file is claimed and kept with FileQueue.savePlan.
 */
import type { JobConfig } from '../config/agent-config.js';
import type { FilePlan } from '../domain/file-state.js';
import { templateNeeds } from '../domain/key-template.js';
import type { FileQueue, FileRecord, UploadLedger } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { FileStat } from '../transfer/file-system.js';
import { writtenFromSource } from '../transfer/ownership.js';
import type { HoldGuard } from './hold-guard.js';
import type { JobRuntime } from './job-runtime.js';
import { fileDigests, objectKey } from './object-key.js';
import { chooseKey } from './overwrite-policy.js';

/** A file being queued, as the source saw it (admission.ts Candidate). */
export interface QueuedFile {
  readonly absPath: string;
  /** Relative to its source root, '/'-separated. */
  readonly relPath: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly inode: number;
  readonly ctimeMs?: number;
}

/** What a key template's host fields take. */
export interface PlanContext {
  readonly hostname: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The plan of a claimed file, or the overwrite policy's verdict that its key is taken. */
export type Planned =
  | {
      readonly kind: 'plan';
      readonly plan: FilePlan;
      /** Hex sha256 of the content when known (the object's `s3ferry-sha256` metadata). */
      readonly sha256: string | undefined;
    }
  | { readonly kind: 'exists'; readonly key: string; readonly reason: string };

/**
 * True when the job's plan needs neither a digest nor a HeadObject: no `{sha256}`/`{md5}` in the
 * key, no dedupe, and an overwrite policy the PUT itself keeps (`never`: conditional PUT;
 * `always`).
 */
export function plannableAtEnqueue(job: Pick<JobConfig, 'key' | 'dedupe' | 'overwrite'>): boolean {
  const needs = templateNeeds(job.key);
  return (
    !needs.sha256 &&
    !needs.md5 &&
    !job.dedupe.enabled &&
    (job.overwrite === 'never' || job.overwrite === 'always')
  );
}

/**
 * The plan of a file being queued at `now`, when it can be decided at once (see the module
 * comment); undefined otherwise, and when the key or the size is refused (the claim plans it again
 * and parks the file with the cause).
 */
export function planAtEnqueue(
  job: JobRuntime,
  f: QueuedFile,
  now: number,
  ctx: PlanContext,
): FilePlan | undefined {
  if (!plannableAtEnqueue(job.config)) return undefined;
  const st: FileStat = {
    size: f.size,
    mtimeMs: f.mtimeMs,
    inode: f.inode,
    isFile: true,
    ...(f.ctimeMs === undefined ? {} : { ctimeMs: f.ctimeMs }),
  };
  try {
    const key = objectKey(f.absPath, job, f.relPath, st, {}, { ...ctx, nowMs: now });
    const { mode, partSize } = job.destination.transfer.plan(f.size);
    return { key, mode, partSize, checksum: null, decidedAt: now };
  } catch {
    return undefined;
  }
}

/** What planning a claimed file reads and writes. */
export interface PlanDeps extends PlanContext {
  readonly journal: Pick<FileQueue, 'savePlan'> & Pick<UploadLedger, 'getUpload'>;
  readonly clock: Clock;
}

/**
 * The plan of a claimed, unchanged file `st` at `relPath` under its source: the stored one, or one
 * decided now (digests as the job needs them, the key, the overwrite policy's look at the store)
 * and kept with savePlan under the file's hold (the first plan of a version wins). Throws
 * ERR_KEY_INVALID and ERR_FILE_TOO_LARGE (the file is parked), or what the store answers.
 */
export async function planClaimed(
  file: FileRecord,
  job: JobRuntime,
  st: FileStat,
  relPath: string,
  deps: PlanDeps,
  guard: HoldGuard,
): Promise<Planned> {
  const { signal } = guard;
  if (file.plan !== null) {
    return { kind: 'plan', plan: file.plan, sha256: await storedSha256(file, job, signal) };
  }
  const { digests, checksum } = await fileDigests(file.path, job.config, signal);
  const now = deps.clock.now();
  const key = objectKey(file.path, job, relPath, st, digests, { ...deps, nowMs: now });
  const choice = await chooseKey(
    job.destination.target,
    key,
    job.config.overwrite,
    st.size,
    digests.sha256,
    signal,
    (head) => writtenFromSource(head, deps.journal, file.path, st),
    true,
  );
  if (choice.kind === 'skip') return { kind: 'exists', key, reason: choice.reason };
  const { mode, partSize } = job.destination.transfer.plan(st.size);
  const decided = { key: choice.key, mode, partSize, checksum: checksum ?? null, decidedAt: now };
  const plan = await deps.journal.savePlan(guard.hold, decided, now);
  return { kind: 'plan', plan, sha256: digests.sha256 };
}

/**
 * The sha256 a stored plan's object carries in its metadata: the plan's checksum when it is one,
 * else hashed again when the overwrite policy `if-changed` compares it (same version, same bytes).
 */
async function storedSha256(
  file: FileRecord,
  job: JobRuntime,
  signal: AbortSignal,
): Promise<string | undefined> {
  const checksum = file.plan?.checksum ?? null;
  if (checksum?.startsWith('sha256:') === true) return checksum.slice('sha256:'.length);
  if (job.config.overwrite !== 'if-changed') return undefined;
  const shaOnly = { ...job.config, key: '', dedupe: { ...job.config.dedupe, enabled: false } };
  return (await fileDigests(file.path, shaOnly, signal)).digests.sha256;
}
