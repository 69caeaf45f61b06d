/**
 * `npm run bench:fleet`: throughput of 1, 2 and 3 agents sharing one PostgreSQL journal, with a
 * single agent on SQLite for reference, on this machine; and the PostgreSQL queue alone (no S3):
 * claims, transitions and heartbeats per second with 1, 2, 4 and 8 agents (bench/lib/
 * fleet-queue.ts), from which the section projects how many agents one PostgreSQL serves. Starts
 * its own RGW and PostgreSQL (bench/lib/fleet-servers.ts), generates two fixed workloads, runs
 * every configuration in interleaved rounds (bench/lib/fleet-run.ts), prints the tables, and
 * writes them as the "Fleet" section of docs/benchmarks.md plus the raw figures in
 * bench/results/fleet.json. The load gate of `npm run bench` applies (bench/lib/load-gate.ts).
 * Not a test: nothing here fails on a figure. Options: bench/lib/fleet-options.ts (--help).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { makeS3Client } from '../test/support/s3-server.js';
import { killLiveAgents } from './lib/agent-runner.js';
import { clientEnv, machineInfo } from './lib/environment.js';
import { FLEET_USAGE, parseFleetOptions, type FleetOptions } from './lib/fleet-options.js';
import {
  HELD,
  QUEUE_AGENTS,
  queueSizes,
  runQueue,
  type QueuePhase,
  type QueueResult,
  type QueueRun,
} from './lib/fleet-queue.js';
import { renderFleetSection, withFleetSection, type FleetResults } from './lib/fleet-report.js';
import {
  fleetWorkloads,
  generateFleetWorkload,
  runFleet,
  type FleetRunResult,
  type FleetStore,
  type FleetWorkload,
} from './lib/fleet-run.js';
import { startFleetServers, stopFleetServers, type FleetServers } from './lib/fleet-servers.js';
import { awaitQuietMachine, LoadTooHighError } from './lib/load-gate.js';
import { REPO_ROOT } from './lib/paths.js';
import { createBucket } from './lib/s3-check.js';

const started = Date.now();
const log = (line: string): void => {
  process.stdout.write(
    `[bench:fleet ${((Date.now() - started) / 1000).toFixed(0).padStart(5)}s] ${line}\n`,
  );
};

async function formatted(path: string, text: string): Promise<string> {
  const options = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(text, { ...options, filepath: path });
}

const CONFIGS: readonly { store: FleetStore; agents: number }[] = [
  { store: 'postgres', agents: 1 },
  { store: 'postgres', agents: 2 },
  { store: 'postgres', agents: 3 },
  { store: 'sqlite', agents: 1 },
];

/** s3ferry's version and commit when the run starts (`+dirty` with uncommitted source changes). */
function s3ferryVersion(): string {
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8' }).trim();
  const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'src') !== '';
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  return `${pkg.version} (commit ${git('rev-parse', '--short=12', 'HEAD')}${dirty ? '+dirty' : ''})`;
}

/** The agents on S3 and PostgreSQL (fleet-run.ts), every configuration in interleaved rounds. */
async function agentRuns(
  servers: FleetServers,
  opts: FleetOptions,
  workDir: string,
): Promise<{ workloads: FleetWorkload[]; runs: FleetRunResult[] }> {
  const rgw = servers.rgw;
  if (rgw === undefined) throw new Error('the agents need the RGW');
  const client = makeS3Client(rgw);
  try {
    const bucket = `fleetbench-${Date.now().toString(36)}`;
    await createBucket(client, bucket);
    const { env } = await clientEnv(workDir, rgw);
    const dataDir = join(workDir, 'data');
    const workloads = fleetWorkloads(opts.quick);
    for (const w of workloads) {
      log(`generating ${w.id}: ${w.title}`);
      await generateFleetWorkload(w, join(dataDir, w.id));
    }
    const ctx = { rgw, client, bucket, pgUrl: servers.pgUrl, env, workDir, dataDir, log };
    const runs: FleetRunResult[] = [];
    for (let round = 1; round <= opts.rounds; round++) {
      for (const workload of workloads) {
        for (const c of CONFIGS) {
          const spec = { ...c, workload, round };
          try {
            runs.push(await runFleet(ctx, spec));
          } catch (err) {
            log(`${workload.id} ${c.store} x${c.agents} round ${round} FAILED: ${String(err)}`);
            const failed = { agents: 0, postgres: 0, rgw: 0 };
            runs.push({
              ...c,
              workload: workload.id,
              round,
              seconds: NaN,
              cpu: failed,
              perAgent: [],
              verified: false,
            });
          }
        }
      }
    }
    return { workloads, runs };
  } finally {
    client.destroy();
  }
}

/** The PostgreSQL queue alone (fleet-queue.ts), 1, 2, 4 and 8 agents in interleaved rounds. */
async function queueRuns(pgUrl: string, opts: FleetOptions): Promise<QueueResult> {
  const sizes = queueSizes(opts.quick);
  const runs: QueueRun[] = [];
  const rate = (p: QueuePhase | undefined): string =>
    p === undefined ? '?' : (p.ops / p.seconds).toFixed(0);
  for (let round = 1; round <= opts.rounds; round++) {
    for (const agents of QUEUE_AGENTS) {
      const run = await runQueue(pgUrl, { agents, round, ...sizes }).catch(
        (err: unknown): QueueRun => ({
          agents,
          round,
          error: err instanceof Error ? err.message : String(err),
        }),
      );
      runs.push(run);
      log(
        run.error !== undefined
          ? `queue x${agents} round ${round} FAILED: ${run.error}`
          : `queue x${agents} round ${round}: ${rate(run.enqueue)} enqueues/s, ${rate(run.cycle)} claims/s, ${rate(run.heartbeat)} heartbeats/s`,
      );
    }
  }
  return { ...sizes, held: HELD, runs };
}

async function main(opts: FleetOptions): Promise<void> {
  // First of all, before this run adds any load of its own (load-gate.ts).
  const loadGate = await awaitQuietMachine({
    maxWaitMin: opts.loadWaitMin,
    ignoreLoad: opts.ignoreLoad,
    log,
  });
  const version = s3ferryVersion();
  const workDir = await mkdtemp(join(os.tmpdir(), 's3ferry-fleetbench-'));
  const machine = await machineInfo(workDir);
  log(
    `machine: ${machine.cpu}, ${machine.cores} cores, load ${machine.loadAvg}; work dir ${workDir}`,
  );
  const withAgents = opts.parts.includes('agents');
  log(`starting ${withAgents ? 'the RGW (bluestore) and ' : ''}PostgreSQL (durable)`);
  const servers = await startFleetServers(withAgents);
  const finish = async (): Promise<void> => {
    if (opts.keep) return;
    await stopFleetServers();
    await rm(workDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    log('interrupted: stopping the agents and the servers');
    killLiveAgents();
    void finish().finally(() => process.exit(130));
  });
  try {
    const agents = withAgents
      ? await agentRuns(servers, opts, workDir)
      : { workloads: [], runs: [] };
    const queue = opts.parts.includes('queue') ? await queueRuns(servers.pgUrl, opts) : undefined;
    const results: FleetResults = {
      startedAt: new Date(started).toISOString(),
      durationSec: (Date.now() - started) / 1000,
      rounds: opts.rounds,
      quick: opts.quick,
      machine,
      loadGate,
      loadAvgEnd: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '),
      versions: {
        node: `node ${process.version}`,
        s3ferry: version,
        postgres: servers.pgVersion,
        ceph: servers.cephVersion ?? 'not started',
      },
      workloads: agents.workloads,
      configs: withAgents ? CONFIGS : [],
      runs: agents.runs,
      ...(queue === undefined ? {} : { queue }),
    };
    const section = renderFleetSection(results);
    process.stdout.write(`\n${section}\n`);
    const doc = join(REPO_ROOT, 'docs', 'benchmarks.md');
    const current = await readFile(doc, 'utf8').catch(() => '# Benchmarks\n');
    await writeFile(doc, await formatted(doc, withFleetSection(current, section)));
    const json = join(
      REPO_ROOT,
      'bench',
      'results',
      opts.quick ? 'fleet-quick.json' : 'fleet.json',
    );
    await mkdir(join(REPO_ROOT, 'bench', 'results'), { recursive: true });
    await writeFile(json, await formatted(json, JSON.stringify(results, null, 2)));
    log(`wrote the Fleet section of ${doc} and ${json}`);
  } finally {
    await finish();
  }
}

let opts: FleetOptions;
try {
  opts = parseFleetOptions(process.argv.slice(2));
} catch (err) {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(msg === 'help' ? FLEET_USAGE : `bench:fleet: ${msg}\n${FLEET_USAGE}`);
  process.exit(msg === 'help' ? 0 : 2);
}
await main(opts).catch((err: unknown) => {
  if (!(err instanceof LoadTooHighError)) throw err;
  process.stderr.write(`bench:fleet: ${err.message}\n`);
  process.exit(3);
});
