/**
 * `npm run bench:fleet`: throughput of 1, 2 and 3 agents sharing one PostgreSQL journal, with a
 * single agent on SQLite for reference, on this machine. Starts its own RGW and PostgreSQL
 * (bench/lib/fleet-servers.ts), generates two fixed workloads, runs every configuration in
 * interleaved rounds (bench/lib/fleet-run.ts), prints the tables, and writes them as the "Fleet"
 * section of docs/benchmarks.md plus the raw figures in bench/results/fleet.json.
 * Not a test: nothing here fails on a figure. Options: --rounds N (default 2), --quick, --keep.
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
import { renderFleetSection, withFleetSection, type FleetResults } from './lib/fleet-report.js';
import {
  fleetWorkloads,
  generateFleetWorkload,
  runFleet,
  type FleetRunResult,
  type FleetStore,
} from './lib/fleet-run.js';
import { startFleetServers, stopFleetServers } from './lib/fleet-servers.js';
import { REPO_ROOT } from './lib/paths.js';
import { createBucket } from './lib/s3-check.js';

const USAGE = `usage: npm run bench:fleet -- [--rounds N] [--quick] [--keep]
  --rounds N  interleaved rounds of every configuration (default 2)
  --quick     smaller workloads (400 small files, 4 large ones), for a smoke run
  --keep      keep the servers and the work directory afterwards
`;

function parse(argv: readonly string[]): { rounds: number; quick: boolean; keep: boolean } {
  const o = { rounds: 2, quick: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '--help' || a === '-h') throw new Error('help');
    else throw new Error(`unknown option ${String(a)}`);
  }
  if (!Number.isInteger(o.rounds) || o.rounds < 1)
    throw new Error('--rounds takes a whole number >= 1');
  return o;
}

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

async function main(opts: { rounds: number; quick: boolean; keep: boolean }): Promise<void> {
  const version = s3ferryVersion();
  const workDir = await mkdtemp(join(os.tmpdir(), 's3ferry-fleetbench-'));
  const machine = await machineInfo(workDir);
  log(
    `machine: ${machine.cpu}, ${machine.cores} cores, load ${machine.loadAvg}; work dir ${workDir}`,
  );
  log('starting the RGW (bluestore) and PostgreSQL (durable) of the benchmark');
  const servers = await startFleetServers();
  const client = makeS3Client(servers.rgw);
  const finish = async (): Promise<void> => {
    client.destroy();
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
    const bucket = `fleetbench-${Date.now().toString(36)}`;
    await createBucket(client, bucket);
    const { env } = await clientEnv(workDir, servers.rgw);
    const dataDir = join(workDir, 'data');
    const workloads = fleetWorkloads(opts.quick);
    for (const w of workloads) {
      log(`generating ${w.id}: ${w.title}`);
      await generateFleetWorkload(w, join(dataDir, w.id));
    }
    const ctx = {
      rgw: servers.rgw,
      client,
      bucket,
      pgUrl: servers.pgUrl,
      env,
      workDir,
      dataDir,
      log,
    };
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
    const results: FleetResults = {
      startedAt: new Date(started).toISOString(),
      durationSec: (Date.now() - started) / 1000,
      rounds: opts.rounds,
      quick: opts.quick,
      machine,
      loadAvgEnd: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '),
      versions: {
        node: `node ${process.version}`,
        s3ferry: version,
        postgres: servers.pgVersion,
        ceph: servers.cephVersion,
      },
      workloads,
      configs: CONFIGS,
      runs,
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

let opts: { rounds: number; quick: boolean; keep: boolean };
try {
  opts = parse(process.argv.slice(2));
} catch (err) {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(msg === 'help' ? USAGE : `bench:fleet: ${msg}\n${USAGE}`);
  process.exit(msg === 'help' ? 0 : 2);
}
await main(opts);
