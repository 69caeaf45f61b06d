/**
 * The problems of a job's source directories as they stand now (missing, not a directory,
 * unreadable), for status, the API and the dashboard, and the re-check that takes a directory up
 * as soon as it appears: every `recheckMs` (the agent's probe interval) instead of at the next
 * rescan, an hour away by default. The re-check only stats the roots that have a problem; a root
 * that is back is handed to `onBack` (the JobSource rescans, which watches and scans it).
 */
import type { Clock } from '../platform/clock.js';
import type { SourceFileStat } from './file-stamp.js';
import {
  checkSourceRoot,
  type RecheckTimes,
  type RootProblemKind,
  type SourceRoot,
} from './source-roots.js';

export type { RootProblemKind };

/** A source directory that cannot be served now, since when, and why. */
export interface RootProblem {
  /** The directory (absolute, as resolved from the configuration). */
  readonly root: string;
  readonly kind: RootProblemKind;
  /** Plain language: the cause, and when it is looked at again. */
  readonly message: string;
  /** ms since the epoch: when the problem was first seen (kept while it lasts). */
  readonly since: number;
}

/** What {@link RootProblems} needs. */
export interface RootProblemsDeps {
  readonly clock: Clock;
  /** When a root with a problem is looked at again: `recheckInterval`, else the rescans. */
  readonly times: RecheckTimes;
  readonly stat: (absPath: string) => Promise<SourceFileStat | undefined>;
  /** Ends the re-check (the JobSource closes). */
  readonly signal: AbortSignal;
  /** A root with a problem is a directory now: rescan (which clears the problem). */
  readonly onBack: () => Promise<void>;
  /** Keeps the re-check's promise for close() to wait on. */
  readonly track: (work: Promise<unknown>) => void;
  /** Reports a problem found by a check (the JobSource's onError). */
  readonly report: (path: string, message: string) => void;
}

/** The current problems of a job's roots, and their re-check. */
export class RootProblems {
  readonly #problems = new Map<string, RootProblem>();
  #rechecking = false;

  constructor(private readonly deps: RootProblemsDeps) {}

  /** The problems now, in the order they were first seen. */
  list(): RootProblem[] {
    return [...this.#problems.values()];
  }

  /**
   * Checks that `r` is a directory now (source-roots.ts): resolves its inode, or undefined once
   * its problem is recorded and reported (the re-check starts). Never rejects.
   */
  async check(r: SourceRoot): Promise<number | undefined> {
    const checked = await checkSourceRoot(r, this.deps.stat, this.deps.times);
    if ('inode' in checked) {
      this.#problems.delete(r.root);
      return checked.inode;
    }
    this.#set(r.root, checked.kind, checked.problem);
    this.deps.report(r.root, checked.problem);
    return undefined;
  }

  /** `root` has this problem (its first sighting is kept); starts the re-check if needed. */
  #set(root: string, kind: RootProblemKind, message: string): void {
    const seen = this.#problems.get(root);
    this.#problems.set(root, { root, kind, message, since: seen?.since ?? this.deps.clock.now() });
    const every = this.deps.times.recheckInterval ?? 0;
    if (this.#rechecking || !(every > 0) || this.deps.signal.aborted) return;
    this.#rechecking = true;
    this.deps.track(
      this.#recheck(every).finally(() => {
        this.#rechecking = false;
      }),
    );
  }

  async #recheck(every: number): Promise<void> {
    while (this.#problems.size > 0) {
      try {
        await this.deps.clock.sleep(every, this.deps.signal);
      } catch {
        return; // closed
      }
      if (await this.#anyBack()) await this.deps.onBack();
    }
  }

  async #anyBack(): Promise<boolean> {
    for (const root of this.#problems.keys()) {
      const st = await this.deps.stat(root).catch(() => undefined);
      if (st !== undefined && !st.isFile) return true;
    }
    return false;
  }
}
