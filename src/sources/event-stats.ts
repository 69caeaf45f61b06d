/**
 * The stat that follows a watcher event, coalesced per path: while one stat of a path runs, more
 * events for it only ask for one more stat when it is done. What the stat finds goes to
 * `observe` (undefined: gone or not a regular file); a name no stat can reach because it is not
 * valid UTF-8 is reported at once, not at the next rescan.
 */
import type { SourceFileStat } from './file-stamp.js';
import { isUndecodableEntry, NOT_UTF8 } from './undecodable-name.js';

export interface EventStatsDeps {
  readonly stat: (absPath: string) => Promise<SourceFileStat | undefined>;
  readonly observe: (absPath: string, st: SourceFileStat | undefined) => void;
  readonly reportOnce: (absPath: string, message: string) => void;
  readonly isClosing: () => boolean;
  readonly track: (work: Promise<void>) => void;
}

export class EventStats {
  /** Paths being stat'ed after an event; true when another event came in meanwhile. */
  private readonly statting = new Map<string, boolean>();

  constructor(private readonly deps: EventStatsDeps) {}

  /** An event named `absPath` (inside the job's sources). */
  onEvent(absPath: string): void {
    if (this.statting.has(absPath)) {
      this.statting.set(absPath, true); // coalesce: stat once more when the current one is done
      return;
    }
    this.statting.set(absPath, false);
    this.deps.track(this.statAfterEvents(absPath));
  }

  private async statAfterEvents(absPath: string): Promise<void> {
    try {
      do {
        this.statting.set(absPath, false);
        const st = await this.deps.stat(absPath);
        if (this.deps.isClosing()) return;
        this.deps.observe(absPath, st?.isFile === true ? st : undefined);
        if (st === undefined && (await isUndecodableEntry(absPath)))
          this.deps.reportOnce(absPath, NOT_UTF8);
      } while (this.statting.get(absPath) === true);
    } finally {
      this.statting.delete(absPath);
    }
  }
}
