/** What an {@link Agent} is built from, and what its status says (agent.ts). */
import type { LocalZone } from '../domain/bandwidth-schedule.js';
import type { FileState, JournalStore } from '../journal/journal-store.js';
import type { Clock } from '../platform/clock.js';
import type { FileMoves, FileSystem } from '../transfer/file-system.js';
import type { Md5Hasher } from '../transfer/transfer-types.js';
import type { WatcherFactory } from '../sources/watcher.js';
import type { BandwidthView } from './bandwidth-control.js';
import type { ProbedCapabilities } from './destination-capabilities.js';
import type { DestinationRuntime } from './destination-runtime.js';
import type { BuildTarget } from './job-builder.js';
import type { EventSink } from './event-sink.js';
import type { TransferTracker } from './transfer-tracker.js';

/** What the agent is built from (the composition root, compose.ts, gives it). */
export interface AgentDeps {
  readonly journal: JournalStore;
  readonly events: EventSink;
  readonly clock: Clock;
  /** Sources are read through it, and the after-action moves or deletes them through it. */
  readonly fs: FileSystem & FileMoves;
  readonly watcherFactory: WatcherFactory;
  readonly buildTarget: BuildTarget;
  readonly hostname: string;
  readonly owner: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly random: () => number;
  /** The process's MD5 worker pool, lent to every destination's transfer service. */
  readonly hasher?: Md5Hasher;
  /** Files processed at once over all jobs. */
  readonly workers?: number;
  /** Where running uploads report their progress (the API's live transfers). */
  readonly transfers?: TransferTracker;
  /** s3ferry's version, shown with the agent in the fleet list. */
  readonly version?: string;
  /** The time zone bandwidth timetables are read in; default the process's (platform/local-zone.ts). */
  readonly zone?: LocalZone;
}

/** The agent's state as `s3ferry status` and the API show it. */
export interface AgentStatus {
  readonly paused: boolean;
  readonly jobs: {
    name: string;
    paused: boolean;
    destination: string;
    health: DestinationRuntime['health'];
    /** What its destination's store accepts, as last probed; absent before the first answer. */
    capabilities?: ProbedCapabilities;
  }[];
  readonly files: Record<FileState, number>;
  readonly inFlight: number;
  /** The bandwidth limits in effect. */
  readonly bandwidth: BandwidthView;
}
