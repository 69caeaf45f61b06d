/**
 * Whether a job takes a finished file, and queueing it: the one place both the sources (after the
 * settle window) and backfill (at once, on request) go through, so both apply the same rules:
 * ignore globs, include/exclude, size and age bounds, and the marker rule.
 */
import { markerFor } from '../domain/file-filter.js';
import type { FileQueue, FileRecord } from '../journal/journal-store.js';
import type { EventSink } from './event-sink.js';
import { planAtEnqueue, type PlanContext } from './file-plan.js';
import type { JobRuntime } from './job-runtime.js';

/** A file as the rules see it. */
export interface Candidate {
  readonly absPath: string;
  /** Relative to its source root, '/'-separated. */
  readonly relPath: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly inode: number;
  /** Status-change time, ms since the epoch, where known: a fixed parked file is queued again. */
  readonly ctimeMs?: number;
}

/** The verdict of {@link admit}; `reason` is a sentence for people. */
export type Admission = { readonly take: true } | { readonly take: false; readonly reason: string };

/**
 * Applies the job's rules to a file at time `now` (ms). `exists` answers whether a path exists
 * (the marker rule). Never throws but what `exists` throws.
 */
export async function admit(
  job: JobRuntime,
  f: Candidate,
  now: number,
  exists: (path: string) => Promise<boolean>,
): Promise<Admission> {
  const name = f.relPath.slice(f.relPath.lastIndexOf('/') + 1);
  const decision = job.filter.decide(
    { relPath: f.relPath, name, size: f.size, mtimeMs: f.mtimeMs },
    now,
  );
  if (!decision.take) return { take: false, reason: decision.detail };
  const suffix = job.config.markerSuffix;
  if (suffix !== undefined && !(await exists(markerFor(f.absPath, suffix))))
    return { take: false, reason: `it waits for its marker ${markerFor(name, suffix)}` };
  return { take: true };
}

/**
 * Queues a file the rules took, with the plan of its version when it can be decided at once
 * (file-plan.ts planAtEnqueue). When it entered the queue now (new, changed, or no longer
 * settling), records `file.queued` and returns `queued: true`; otherwise the journal's entry is
 * returned as it is (already queued, uploading, done, parked…).
 */
export async function enqueueTaken(
  deps: {
    readonly journal: Pick<FileQueue, 'enqueue'>;
    readonly events: EventSink;
  } & PlanContext,
  job: JobRuntime,
  f: Candidate,
  now: number,
  note: { readonly paused: boolean; readonly backfill?: boolean },
): Promise<{ readonly record: FileRecord; readonly queued: boolean }> {
  // Planned now when that needs no read of the file and no request (file-plan.ts): one write less.
  const plan = planAtEnqueue(job, f, now, deps);
  const { file, queued, event } = await deps.journal.enqueue(
    {
      job: job.name,
      path: f.absPath,
      size: f.size,
      mtimeMs: f.mtimeMs,
      inode: f.inode,
      ...(f.ctimeMs === undefined ? {} : { ctimeMs: f.ctimeMs }),
      ...(plan === undefined ? {} : { plan }),
    },
    now,
    {
      at: now,
      type: 'file.queued',
      level: 'info',
      message: `${f.absPath} queued${note.backfill === true ? ' by backfill' : ''}${note.paused ? ' (paused)' : ''}`,
      path: f.absPath,
      data: { job: job.name, size: f.size, ...(note.backfill === true ? { backfill: true } : {}) },
    },
  );
  // Recorded with the move, only when the file was queued now: published, not written again.
  deps.events.announce(event);
  return { record: file, queued };
}
