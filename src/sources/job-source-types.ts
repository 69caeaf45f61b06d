/** The public types of {@link JobSource} (job-source.ts re-exports them). */
import type { JobConfig } from '../config/agent-config.js';
import type { Clock } from '../platform/clock.js';
import type { SourceFileStat } from './file-stamp.js';
import type { SymlinkPolicy } from './link-rule.js';
import type { WatcherFactory } from './watcher.js';

/** The part of a job's configuration a {@link JobSource} reads. */
export type JobSourceJob = Pick<
  JobConfig,
  'name' | 'sources' | 'mode' | 'rescanInterval' | 'settle'
> & {
  /** A file's mtime must be at least this old before it is handed over, ms. */
  readonly minAge?: number | undefined;
  /** What to do with symbolic links (link-rule.ts); default 'inside'. */
  readonly symlinks?: SymlinkPolicy | undefined;
  /**
   * How often a source directory with a problem (missing, a file) is looked at again, ms, so that
   * it is taken as soon as it is there; absent or 0: at the rescans only.
   */
  readonly recheckInterval?: number | undefined;
};

/** A finished file, handed to the caller once it settled. */
export interface FinishedFile {
  readonly job: string;
  /** The source directory (absolute) the file was found under. */
  readonly root: string;
  readonly absPath: string;
  /** Relative to `root`, '/' separators. */
  readonly relPath: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly inode: number;
  /** Status-change time, ms since the epoch, where the stat gave one. */
  readonly ctimeMs?: number;
}

/**
 * A problem with a source: missing or unreadable directory, unreadable file, watcher failure, a
 * symbolic link refused by the job's `symlinks` rule, a name that is not valid UTF-8.
 */
export interface SourceProblem {
  readonly job: string;
  /** The directory or file concerned (absolute). */
  readonly path: string;
  /** Plain language, naming the cause and, where there is one, the fix. */
  readonly message: string;
  /** 'link-refused': a symbolic link the job's `symlinks` rule refused (a warning, not a fault). */
  readonly kind?: 'link-refused';
}

/** Dependencies of a {@link JobSource}. */
export interface JobSourceDeps {
  readonly job: JobSourceJob;
  readonly clock: Clock;
  readonly watcherFactory: WatcherFactory;
  /** Stats a path following links; undefined when nothing is there; throws for other failures. */
  readonly stat: (absPath: string) => Promise<SourceFileStat | undefined>;
  /** Takes a finished file (filters, markers, journal). A rejection is reported via onError. */
  readonly onFinished: (f: FinishedFile) => Promise<void>;
  /** Reports a problem; the source keeps working (missing directories are retried each rescan). */
  readonly onError: (e: SourceProblem) => void;
  /** Files tracked at once before a scan waits for some to settle; default 100,000. */
  readonly maxTracked?: number | undefined;
}
