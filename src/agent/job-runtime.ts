/**
 * A configured job while the agent runs: its config, destination and filter. Its pause switch is
 * the journal's (Fleet.pauses), so that it survives restarts and holds for every agent.
 */
import { relative, sep } from 'node:path';
import type { JobConfig } from '../config/agent-config.js';
import { compileFilter, type FileFilter } from '../domain/file-filter.js';
import type { ObjectLockRule } from '../domain/retention.js';
import { lockRule, type DestinationRuntime } from './destination-runtime.js';

export class JobRuntime {
  readonly filter: FileFilter;
  /** Retention and legal hold of its objects: its own, else its destination's. */
  readonly objectLock: ObjectLockRule | undefined;

  constructor(
    readonly config: JobConfig,
    readonly destination: DestinationRuntime,
  ) {
    this.filter = compileFilter(config);
    this.objectLock = lockRule(config, config.destination);
    if (this.objectLock !== undefined) destination.requireObjectLock(this.objectLock);
  }

  get name(): string {
    return this.config.name;
  }

  /** The source root holding `absPath` (the longest that matches) and the path relative to it. */
  locate(absPath: string): { root: string; relPath: string } | undefined {
    let best: string | undefined;
    for (const s of this.config.sources) {
      const rel = relative(s.path, absPath);
      if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) continue;
      if (best === undefined || s.path.length > best.length) best = s.path;
    }
    return best === undefined
      ? undefined
      : { root: best, relPath: relative(best, absPath).split(sep).join('/') };
  }
}
