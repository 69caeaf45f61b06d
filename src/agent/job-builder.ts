/**
 * What the agent runs for a configuration: one runtime per job, one destination per distinct
 * destination configuration (jobs writing to the same place share its health and client), and one
 * source per job. Nothing is started here: the agent probes the destinations and starts the
 * sources.
 */
import type { AgentConfig, JobConfig } from '../config/agent-config.js';
import { redactUrl } from '../config/redact.js';
import { isAppError } from '../errors/app-error.js';
import type { Clock } from '../platform/clock.js';
import { JobSource } from '../sources/job-source.js';
import type { WatcherFactory } from '../sources/watcher.js';
import type { FileSystem } from '../transfer/file-system.js';
import {
  DestinationRuntime,
  type ClosableTarget,
  type TransferDeps,
} from './destination-runtime.js';
import type { EventSink } from './event-sink.js';
import { JobRuntime } from './job-runtime.js';

export interface JobBuilderDeps extends TransferDeps {
  readonly clock: Clock;
  readonly events: EventSink;
  readonly fs: FileSystem;
  readonly watcherFactory: WatcherFactory;
  readonly buildTarget: (destination: JobConfig['destination']) => ClosableTarget;
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
  /** A source found a finished file of job `job`; a rejection is reported by the source. */
  readonly onFinished: (job: string, f: FinishedFile) => Promise<void>;
}

export interface BuiltJobs {
  readonly jobs: Map<string, JobRuntime>;
  readonly destinations: Map<string, DestinationRuntime>;
  readonly sources: JobSource[];
}

export function buildJobs(config: AgentConfig, deps: JobBuilderDeps, hooks: JobHooks): BuiltJobs {
  const destinations = new Map<string, DestinationRuntime>();
  const jobs = new Map<string, JobRuntime>();
  for (const job of config.jobs) {
    const key = JSON.stringify(job.destination);
    let dest = destinations.get(key);
    if (dest === undefined) {
      // Shown by the API, logs and metrics: a password in the endpoint URL is hidden.
      const at =
        job.destination.endpoint === undefined ? '' : ` at ${redactUrl(job.destination.endpoint)}`;
      const name = `s3://${job.destination.bucket}/${job.destination.prefix}${at}`;
      dest = new DestinationRuntime(name, job.destination, deps.buildTarget(job.destination), {
        clock: deps.clock,
        events: deps.events,
        transfer: deps,
        probeInterval: config.probeInterval,
        onHealthy: hooks.onHealthy,
      });
      destinations.set(key, dest);
    }
    jobs.set(job.name, new JobRuntime(job, dest));
  }
  const sources = config.jobs.map((job) => jobSource(job, deps, hooks));
  return { jobs, destinations, sources };
}

function jobSource(job: JobConfig, deps: JobBuilderDeps, hooks: JobHooks): JobSource {
  return new JobSource({
    job: {
      name: job.name,
      sources: job.sources,
      mode: job.mode,
      rescanInterval: job.rescanInterval,
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
