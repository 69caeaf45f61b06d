/**
 * What the agent runs for a configuration: one runtime per job, one destination per distinct
 * destination configuration (jobs writing to the same place share its health and client), and one
 * source per job. Nothing is started here: the agent probes the destinations and starts the
 * sources.
 */
import type { AgentConfig, DestinationConfig, JobConfig } from '../config/agent-config.js';
import type { EnvironmentSettings } from '../config/environment.js';
import { redactUrl } from '../config/redact.js';
import { destinationPath } from '../config/schema.js';
import { configSettings, type SettingNames } from '../object-store/setting-names.js';
import { isAppError } from '../errors/app-error.js';
import type { Clock } from '../platform/clock.js';
import { JobSource } from '../sources/job-source.js';
import type { WatcherFactory } from '../sources/watcher.js';
import type { Throttle } from '../transfer/bandwidth-limiter.js';
import type { FileSystem } from '../transfer/file-system.js';
import {
  DestinationRuntime,
  type ClosableTarget,
  type TransferDeps,
} from './destination-runtime.js';
import type { EventSink } from './event-sink.js';
import { JobRuntime } from './job-runtime.js';

/** What a destination's target is built with besides its configuration. */
export interface TargetContext {
  /** The environment the AWS CLI would read (AWS_CA_BUNDLE, …); default: the process's. */
  readonly env?: EnvironmentSettings;
  /** How the person names its settings, for the fixes of its errors: its configuration path. */
  readonly settings?: SettingNames;
}

/** Builds the store of a destination (agent/compose.ts targetFor). */
export type BuildTarget = (
  destination: JobConfig['destination'],
  context?: TargetContext,
) => ClosableTarget;

export interface JobBuilderDeps extends TransferDeps {
  readonly clock: Clock;
  readonly events: EventSink;
  readonly fs: FileSystem;
  readonly watcherFactory: WatcherFactory;
  readonly buildTarget: BuildTarget;
}

/** A finished file as a source reports it. */
export interface FinishedFile {
  readonly absPath: string;
  readonly relPath: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly inode: number;
  /** Status-change time, ms since the epoch, where known. */
  readonly ctimeMs?: number;
}

export interface JobHooks {
  /** A destination answers again after being unhealthy. */
  readonly onHealthy: () => void;
  /** The bandwidth limits the requests to the destination of that name take from. */
  readonly throttles?: (destination: string) => readonly Throttle[];
  /** A source found a finished file of job `job`; a rejection is reported by the source. */
  readonly onFinished: (job: string, f: FinishedFile) => Promise<void>;
}

export interface BuiltJobs {
  readonly jobs: Map<string, JobRuntime>;
  readonly destinations: Map<string, DestinationRuntime>;
  readonly sources: JobSource[];
}

/**
 * The name of a destination as the API, logs and metrics show it: `s3://BUCKET/PREFIX` and, with
 * an endpoint, ` at ENDPOINT` (a password in its URL hidden).
 */
export function destinationName(d: DestinationConfig): string {
  const at = d.endpoint === undefined ? '' : ` at ${redactUrl(d.endpoint)}`;
  return `s3://${d.bucket}/${d.prefix}${at}`;
}

export function buildJobs(config: AgentConfig, deps: JobBuilderDeps, hooks: JobHooks): BuiltJobs {
  const destinations = new Map<string, DestinationRuntime>();
  const jobs = new Map<string, JobRuntime>();
  for (const [index, job] of config.jobs.entries()) {
    const key = JSON.stringify(job.destination);
    let dest = destinations.get(key);
    if (dest === undefined) {
      const name = destinationName(job.destination);
      // its errors' fixes name where it is written: destinations.NAME or jobs[i].destination
      const settings = configSettings(destinationPath(job, index), job.destination);
      const target = deps.buildTarget(job.destination, { settings });
      dest = new DestinationRuntime(name, job.destination, target, {
        clock: deps.clock,
        events: deps.events,
        transfer: deps,
        probeInterval: config.probeInterval,
        onHealthy: hooks.onHealthy,
        ...(hooks.throttles === undefined ? {} : { throttles: hooks.throttles(name) }),
      });
      destinations.set(key, dest);
    }
    jobs.set(job.name, new JobRuntime(job, dest));
  }
  const sources = config.jobs.map((job) => jobSource(job, deps, hooks, config.probeInterval));
  return { jobs, destinations, sources };
}

function jobSource(
  job: JobConfig,
  deps: JobBuilderDeps,
  hooks: JobHooks,
  recheckInterval: number,
): JobSource {
  return new JobSource({
    job: {
      name: job.name,
      sources: job.sources,
      mode: job.mode,
      rescanInterval: job.rescanInterval,
      // a missing source directory is looked at as often as an unhealthy destination
      recheckInterval,
      settle: job.settle,
      symlinks: job.symlinks,
      ...(job.filters.minAge === undefined ? {} : { minAge: job.filters.minAge }),
    },
    clock: deps.clock,
    watcherFactory: deps.watcherFactory,
    // Gone is an answer; any other failure (permissions, I/O) is reported with its cause.
    stat: (p) =>
      deps.fs.stat(p).catch((err: unknown) => {
        if (isAppError(err, 'ERR_FILE_NOT_FOUND')) return undefined;
        throw err;
      }),
    onFinished: (f) => hooks.onFinished(job.name, f),
    onError: (e) => {
      const [type, level] =
        e.kind === 'link-refused'
          ? (['source.link-refused', 'warn'] as const)
          : (['source.error', 'error'] as const);
      void deps.events
        .emit(type, level, `${e.job}: ${e.path}: ${e.message}`, {
          path: e.path,
          data: { job: e.job },
        })
        .catch(() => undefined);
    },
  });
}
