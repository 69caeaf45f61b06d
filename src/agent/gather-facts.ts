/**
 * The facts decide.ts decides from, gathered for a claimed file in the order they depend on each
 * other: the source's stat (the only stat of the file in the pipeline: the transfer service starts
 * from it), where it is under its job's sources, its plan (file-plan.ts: stored, or decided and
 * kept now), the journal's verified upload of this version at the plan's key, and with dedupe an
 * earlier upload of the same content still in the bucket. A vanished, changed or relocated file is
 * not planned; a file with a verified upload is not looked up for dedupe.
 */
import { isAppError } from '../errors/app-error.js';
import type { FileRecord, JournalStore, UploadRecord } from '../journal/journal-store.js';
import { sameFile, type FileStat } from '../transfer/file-system.js';
import type { Facts } from './decide.js';
import { findDuplicate } from './dedupe.js';
import { planClaimed, type PlanDeps } from './file-plan.js';
import type { HoldGuard } from './hold-guard.js';
import type { JobRuntime } from './job-runtime.js';

/** The facts, with what the later steps need of them. */
export interface Gathered extends Facts {
  /** The source's stat (undefined once it vanished). */
  readonly st: FileStat | undefined;
  /** Its path under its source ('' when it is under none). */
  readonly relPath: string;
}

/** What gathering reads (and the plan it may keep). */
export interface GatherDeps extends PlanDeps {
  readonly journal: JournalStore;
  readonly fs: { stat(path: string): Promise<FileStat> };
}

/** Gathers the facts of `file` (see the module comment). Rejects as its steps do. */
export async function gatherFacts(
  deps: GatherDeps,
  file: FileRecord,
  job: JobRuntime,
  guard: HoldGuard,
): Promise<Gathered> {
  const st = await deps.fs.stat(file.path).catch((err: unknown) => {
    if (isAppError(err, 'ERR_FILE_NOT_FOUND')) return undefined;
    throw err;
  });
  const source = st === undefined ? 'vanished' : sameFile(st, file) ? 'unchanged' : 'changed';
  const where = job.locate(file.path);
  const facts = {
    state: file.state,
    source,
    underSource: where !== undefined,
    st,
    relPath: where?.relPath ?? '',
    dedupeAction: job.config.dedupe.action,
    verified: undefined,
    duplicate: undefined,
  } as const;
  if (st === undefined || source !== 'unchanged' || where === undefined)
    return { ...facts, planned: undefined };
  const planned = await planClaimed(file, job, st, where.relPath, deps, guard);
  if (planned.kind !== 'plan') return { ...facts, planned };
  const verified = await verifiedUpload(deps.journal, job, planned.plan.key, file.path, st);
  const checksum = planned.plan.checksum;
  const duplicate =
    verified === undefined && job.config.dedupe.enabled && checksum !== null
      ? await findDuplicate(deps.journal, job.destination.target, checksum, st.size, guard.signal)
      : undefined;
  return { ...facts, planned, verified, duplicate };
}

/** The journal's newest upload at `key`, when it is a verified upload of this very version. */
async function verifiedUpload(
  journal: Pick<JournalStore, 'findLatestUpload'>,
  job: JobRuntime,
  key: string,
  path: string,
  st: FileStat,
): Promise<UploadRecord | undefined> {
  const { endpoint, bucket } = job.destination.target;
  const latest = await journal.findLatestUpload({ endpoint, bucket, key });
  const same = latest?.source.path === path && sameFile(latest.source, st);
  return latest?.state === 'verified' && same ? latest : undefined;
}
