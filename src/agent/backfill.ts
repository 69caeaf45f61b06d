/**
 * Backfill: queue files that already exist, now, without the settle wait (DESIGN.md item 11), by
 * path (a file or a whole directory, relative to the job's sources or absolute) or by a glob over
 * the paths relative to each source. The job's rules still apply (admission.ts), and nothing
 * outside the job's sources is ever taken: `..` segments and paths outside every source are
 * refused, and symbolic links follow the job's `symlinks` rule, the one its sources use
 * (sources/link-rule.ts): by default a link whose real path leaves the sources is refused, each
 * with its reason.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { compileGlob } from '../domain/glob.js';
import { isAppError } from '../errors/app-error.js';
import type { FileReason, JournalStore } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import {
  checkLinks,
  isWithin as isWithinDir,
  realRootsOf,
  type LinkContext,
  type LinkVerdict,
} from '../sources/link-rule.js';
import { scanSource } from '../sources/source-scanner.js';
import { toSourceRoots, type SourceRoot } from '../sources/source-roots.js';
import type { FileSystem } from '../transfer/file-system.js';
import { admit, enqueueTaken } from './admission.js';
import type { BusyFiles } from './busy-files.js';
import type { EventSink } from './event-sink.js';
import type { JobRuntime } from './job-runtime.js';

/** Files one request may queue at most; the rest are named in `skipped`. */
export const MAX_BACKFILL_FILES = 10_000;

/** What to queue: paths (files or directories; relative to the sources, or absolute), a glob. */
export interface BackfillRequest {
  readonly paths?: readonly string[];
  /** Matched against each file's path relative to its source (`**` spans directories). */
  readonly glob?: string;
}

/** What was queued, and what was not and why. */
export interface BackfillResult {
  readonly queued: { readonly path: string; readonly fileId: number }[];
  readonly skipped: { readonly path: string; readonly reason: string }[];
}

/** What backfill needs. */
export interface BackfillDeps {
  readonly journal: JournalStore;
  readonly events: EventSink;
  readonly clock: Clock;
  readonly fs: FileSystem;
  /** What the key template's host fields take (the plan decided as a file is queued). */
  readonly hostname: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The job or everything is paused (said in the events; files are queued all the same). */
  readonly paused: boolean;
  /** Files a worker is on now: such a file is queued again when its worker is done. */
  readonly busy?: BusyFiles;
}

const OUTSIDE = "outside the job's sources";

/** True when `p` is `dir` or below it. */
export const isWithin = isWithinDir;

/** True when any segment of `p` is '..'. */
export function hasParentSegment(p: string): boolean {
  return p.split(/[\\/]+/).includes('..');
}

/** Why backfill does not take a path the link rule refused. */
function refusal(verdict: Exclude<LinkVerdict, { take: true }>): string {
  if (verdict.why === 'outside') return verdict.message;
  if (verdict.why === 'skipped') return 'a symbolic link, not followed (symlinks: skip)';
  return 'not found';
}

class Collector {
  readonly files = new Map<string, SourceRoot>();
  readonly skipped: { path: string; reason: string }[] = [];
  truncated = false;

  constructor(
    readonly real: ReadonlyMap<string, string | undefined>,
    readonly policy: LinkContext['policy'],
  ) {}

  /** The link rule's context for files under `root`; undefined when the source is missing. */
  context(root: SourceRoot): LinkContext | undefined {
    const realRoot = this.real.get(root.root);
    if (realRoot === undefined) return undefined;
    const realRoots = [...this.real.values()].filter((r) => r !== undefined);
    return { policy: this.policy, root: root.root, realRoot, realRoots };
  }

  /** Records a refusal. */
  skip(p: string, reason: string): void {
    this.skipped.push({ path: p, reason });
  }

  /** Adds a file after checking it against the job's rule for symbolic links. */
  async add(abs: string, root: SourceRoot): Promise<void> {
    if (this.files.has(abs)) return;
    if (this.files.size >= MAX_BACKFILL_FILES) {
      this.truncated = true;
      return;
    }
    const verdict = await this.check(abs, root);
    if (verdict.take) this.files.set(abs, root);
    else this.skip(abs, refusal(verdict));
  }

  /** The link rule's verdict on `abs` under `root`. */
  async check(abs: string, root: SourceRoot): Promise<LinkVerdict> {
    const ctx = this.context(root);
    return ctx === undefined ? { take: false, why: 'gone' } : checkLinks(abs, ctx);
  }
}

/** The deepest source holding `abs` (or being it), by path. */
function rootOf(roots: readonly SourceRoot[], abs: string): SourceRoot | undefined {
  let best: SourceRoot | undefined;
  for (const r of roots)
    if (isWithin(r.root, abs) && (best === undefined || r.root.length > best.root.length)) best = r;
  return best;
}

async function collectPath(roots: SourceRoot[], c: Collector, p: string): Promise<void> {
  if (hasParentSegment(p)) {
    c.skip(p, `'..' is not allowed: ${OUTSIDE}`);
    return;
  }
  if (path.isAbsolute(p) && rootOf(roots, path.normalize(p)) === undefined) {
    c.skip(p, OUTSIDE);
    return;
  }
  const options = path.isAbsolute(p) ? [path.normalize(p)] : roots.map((r) => path.join(r.root, p));
  for (const abs of options) {
    const root = rootOf(roots, abs);
    const st = await stat(abs).catch(() => undefined);
    if (root === undefined || st === undefined) continue;
    const verdict = await c.check(abs, root);
    if (!verdict.take) {
      c.skip(p, refusal(verdict));
      return;
    }
    const top = abs === root.root || path.dirname(abs) === root.root;
    if (!root.recursive && !top) {
      c.skip(p, `below ${root.root}, a non-recursive source`);
      return;
    }
    if (!st.isDirectory()) {
      await c.add(abs, root);
      return;
    }
    if (!root.recursive && abs !== root.root) {
      c.skip(p, `below ${root.root}, a non-recursive source`);
      return;
    }
    await scanSource(abs, root.recursive, (file) => c.add(file, root));
    return;
  }
  c.skip(p, 'not found');
}

async function collectGlob(roots: SourceRoot[], c: Collector, glob: string): Promise<void> {
  const re = compileGlob(glob, { dot: true });
  for (const r of roots) {
    await scanSource(r.root, r.recursive, async (abs, rel) => {
      if (re.test(rel)) await c.add(abs, r);
    });
  }
}

/** Queues what `req` names for `job`; see the module comment. */
export async function backfillFiles(
  job: JobRuntime,
  req: BackfillRequest,
  deps: BackfillDeps,
): Promise<BackfillResult> {
  const roots = toSourceRoots(job.config.sources);
  const real = await realRootsOf(roots.map((r) => r.root));
  const c = new Collector(real, job.config.symlinks);
  for (const p of req.paths ?? []) await collectPath(roots, c, p);
  if (req.glob !== undefined) await collectGlob(roots, c, req.glob);
  if (c.truncated)
    c.skip(
      req.glob ?? '(paths)',
      `more than ${MAX_BACKFILL_FILES} files: the first ${MAX_BACKFILL_FILES} were taken; backfill the rest in another request`,
    );
  const queued: BackfillResult['queued'] = [];
  for (const [abs, root] of c.files) {
    const outcome = await queueOne(job, abs, root, deps);
    if ('fileId' in outcome) queued.push({ path: abs, fileId: outcome.fileId });
    else c.skip(abs, outcome.reason);
  }
  return { queued, skipped: c.skipped };
}

async function queueOne(
  job: JobRuntime,
  abs: string,
  root: SourceRoot,
  deps: BackfillDeps,
): Promise<{ fileId: number } | { reason: string }> {
  const st = await deps.fs.stat(abs).catch((err: unknown) => {
    if (isAppError(err)) return err;
    throw err;
  });
  if (!('isFile' in st)) return { reason: st.message };
  if (!st.isFile) return { reason: 'not a regular file' };
  const relPath = path.relative(root.root, abs).split(path.sep).join('/');
  const f = {
    absPath: abs,
    relPath,
    size: st.size,
    mtimeMs: st.mtimeMs,
    inode: st.inode,
    ...(st.ctimeMs === undefined ? {} : { ctimeMs: st.ctimeMs }),
  };
  const now = deps.clock.now();
  const exists = (p: string) =>
    deps.fs.stat(p).then(
      () => true,
      () => false,
    );
  const verdict = await admit(job, f, now, exists);
  if (!verdict.take) return { reason: verdict.reason };
  if (deps.busy?.hold(job.name, f) === true)
    return { reason: 'being uploaded now; it is queued again once that upload ends' };
  const { record, queued } = await enqueueTaken(deps, job, f, now, {
    paused: deps.paused,
    backfill: true,
  });
  if (queued) return { fileId: record.id };
  return { reason: alreadyKnown(record.state, record.reason) };
}

function alreadyKnown(state: string, reason: FileReason | null): string {
  const code = reason?.code.startsWith('ERR_') === true ? `${reason.code}: ` : '';
  const why = reason === null ? '' : `: ${code}${reason.message}`;
  switch (state) {
    case 'done':
      return 'already uploaded (unchanged since)';
    case 'queued':
      return 'already queued';
    case 'uploading':
    case 'verifying':
      return 'being uploaded now';
    case 'parked':
      return `parked${why}; release it with retry`;
    case 'waiting':
      return `waiting for another try${why}`;
    default:
      return `already ${state}${why} (unchanged since)`;
  }
}
