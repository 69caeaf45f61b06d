/**
 * `npm run bench`: the benchmark suite of issue 7. Starts its own Ceph RGW (bluestore), generates
 * the workloads, compares s3ferry with the AWS CLI v2, rclone (defaults and tuned) and a curl
 * ceiling in interleaved rounds, measures the agent's own figures, and writes docs/benchmarks.md
 * (plus the raw results as JSON in bench/results/). Not a test: nothing here fails on a figure.
 * `--help` for the options.
 */
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { makeS3Client } from '../test/support/s3-server.js';
import { measureBurst } from './lib/agent-burst.js';
import { measureLatency } from './lib/agent-latency.js';
import { killLiveAgents } from './lib/agent-runner.js';
import { BURST_FILES, type BurstResult } from './lib/burst-figures.js';
import { compareTools } from './lib/compare.js';
import { measureObjectCost } from './lib/object-cost.js';
import { clientEnv, ensurePeers, machineInfo, versions } from './lib/environment.js';
import { measureJournal } from './lib/journal-million.js';
import { awaitQuietMachine, LoadTooHighError } from './lib/load-gate.js';
import { parseOptions, USAGE, type BenchOptions } from './lib/options.js';
import { CLI_PATH, REPO_ROOT } from './lib/paths.js';
import { baselineVersion, formatted, writeReport } from './lib/report-file.js';
import type { BenchResults, Outcome } from './lib/results.js';
import { createBucket } from './lib/s3-check.js';
import { BENCH_RGW_ENV, startBenchRgw, stopBenchRgw } from './lib/rgw.js';
import { prepareTlsRuns } from './lib/tls-runs.js';
import { serverCpuProbe, type ServerCpuProbe } from './lib/server-cpu.js';
import { crash, profiles, type Ctx } from './lib/upload-extras.js';
import { generateWorkload, workloads as allWorkloads } from './lib/workloads.js';

const started = Date.now();
const log = (line: string): void => {
  const t = ((Date.now() - started) / 1000).toFixed(0).padStart(5);
  process.stdout.write(`[bench ${t}s] ${line}\n`);
};

async function outcome<T>(what: string, f: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    log(`${what} FAILED: ${error}`);
    return { ok: false, error: error.split('\n')[0] ?? error };
  }
}

/** The probe of the bench RGW's daemons; undefined (logged) when they cannot be found. */
async function benchServerCpu(): Promise<ServerCpuProbe | undefined> {
  try {
    const probe = await serverCpuProbe(BENCH_RGW_ENV.RGW_DIR);
    const found = probe.daemons.map((d) => `${d.name} (PID ${d.pid})`).join(', ');
    log(`server CPU of ${found}, ${probe.ticksPerSec} ticks/s`);
    return probe;
  } catch (err) {
    log(`no server CPU figures: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** The agent burst against rclone (agent-burst.ts); the baseline's agent too when it runs. */
function burst(
  c: Ctx,
  x: {
    rcloneRemote: string;
    baselineCli: string | undefined;
    serverCpu: ServerCpuProbe | undefined;
    stamp: string;
  },
): Promise<Outcome<BurstResult>> {
  const { opts } = c;
  return outcome('agent burst', () =>
    measureBurst({
      client: c.client,
      rgw: c.rgw,
      env: c.env,
      rcloneRemote: x.rcloneRemote,
      workDir: c.workDir,
      files: Math.ceil(BURST_FILES / opts.scale),
      rounds: opts.rounds,
      ...(x.baselineCli !== undefined && opts.tools.includes('baseline')
        ? { baselineCli: x.baselineCli }
        : {}),
      ...(x.serverCpu === undefined ? {} : { serverCpu: x.serverCpu }),
      stamp: x.stamp,
      log,
    }),
  );
}

async function main(opts: BenchOptions): Promise<void> {
  // First of all, before this run adds any load of its own (load-gate.ts).
  const loadGate = await awaitQuietMachine({
    maxWaitMin: opts.loadWaitMin,
    ignoreLoad: opts.ignoreLoad,
    log,
  });
  await access(CLI_PATH).catch(() => {
    throw new Error(`${CLI_PATH} is missing: build first (npm run build)`);
  });
  const baselineCli =
    opts.baseline === undefined
      ? undefined
      : join(resolve(opts.baseline), 'dist', 'src', 'cli', 'main.js');
  if (baselineCli !== undefined) {
    const cli = baselineCli;
    await access(cli).catch(() => {
      throw new Error(`${cli} is missing: build the baseline checkout first (npx tsc -b there)`);
    });
  }
  await ensurePeers(log);
  const workDir = await mkdtemp(join(os.tmpdir(), 's3ferry-bench-'));
  const machine = await machineInfo(workDir);
  log(
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB} GiB, load ${machine.loadAvg}; work dir ${workDir}`,
  );
  log(`starting the bench RGW (bluestore${opts.tls ? ', with HTTPS' : ''})`);
  const rgw = await startBenchRgw(opts.tls);
  const serverCpu = await benchServerCpu();
  const client = makeS3Client(rgw);
  let tlsCleanup = (): Promise<void> => Promise.resolve();
  const stopping = async (): Promise<void> => {
    client.destroy();
    await tlsCleanup();
    if (!opts.keep) {
      await stopBenchRgw();
      await rm(workDir, { recursive: true, force: true });
    }
  };
  process.once('SIGINT', () => {
    log('interrupted: stopping the agent and the RGW');
    killLiveAgents();
    void stopping().finally(() => process.exit(130));
  });
  try {
    const { env, rcloneRemote } = await clientEnv(workDir, rgw);
    const all = allWorkloads(opts.scale);
    const selected = opts.workloads.map((id) => all[id]);
    const needed = new Set(selected.map((w) => all[w.dataOf ?? w.id])); // a TLS twin's data is its base's
    if (opts.extras.includes('crash')) needed.add(all.W1);
    const dataDir = join(workDir, 'data');
    for (const w of needed) {
      log(`generating ${w.id}: ${w.title}`);
      await generateWorkload(w, dataDir);
    }
    const stamp = Date.now().toString(36);
    const bucketOf = (id: string): string => `bench-${id.toLowerCase()}-${stamp}`;
    for (const w of selected) await createBucket(client, bucketOf(w.id));
    const tlsRuns = await prepareTlsRuns(rgw, selected, bucketOf, log);
    tlsCleanup = () => tlsRuns.cleanup();
    const agentBucket = bucketOf('agent');
    await createBucket(client, agentBucket);
    const c: Ctx = { opts, rgw, client, env, workDir, dataDir, agentBucket, log, outcome };
    const runs = await compareTools(selected, {
      client,
      rgw,
      env,
      rcloneRemote,
      dataDir,
      workDir,
      bucketOf,
      rounds: opts.rounds,
      tools: opts.tools,
      tlsTools: tlsRuns.tools,
      s3ferryArgs: opts.s3ferryArgs,
      ...(serverCpu === undefined ? {} : { serverCpu }),
      ...(baselineCli === undefined ? {} : { baselineCli }),
      log,
    });
    const scale = opts.scale;
    const results: BenchResults = {
      startedAt: new Date(started).toISOString(),
      durationSec: 0,
      quick: opts.quick,
      scale,
      ...(opts.s3ferryArgs.length === 0 ? {} : { s3ferryArgs: opts.s3ferryArgs }),
      ...(opts.baseline === undefined ? {} : { baseline: await baselineVersion(opts.baseline) }),
      rounds: opts.rounds,
      machine,
      loadGate,
      loadAvgEnd: '',
      versions: await versions(),
      workloads: selected,
      runs,
      ...(serverCpu === undefined
        ? {}
        : { serverCpuDaemons: serverCpu.daemons.map((d) => d.name) }),
      ...(opts.extras.includes('burst')
        ? { burst: await burst(c, { rcloneRemote, baselineCli, serverCpu, stamp }) }
        : {}),
      ...(opts.extras.includes('profile') ? { profiles: await profiles(c, selected) } : {}),
      ...(opts.extras.includes('costs') && selected.some((w) => w.id === 'W2')
        ? {
            objectCost: await outcome('object costs', async () => {
              log("measuring the parts of a small object's CPU (bench/object-cost.ts)");
              return measureObjectCost(rgw, agentBucket, env);
            }),
          }
        : {}),
      ...(opts.extras.includes('latency')
        ? {
            latency: await outcome('latency', () =>
              measureLatency({
                dir: join(workDir, 'latency'),
                rgw,
                bucket: agentBucket,
                env,
                files: Math.max(20, Math.ceil(100 / scale)),
                log,
              }),
            ),
          }
        : {}),
      ...(opts.extras.includes('crash') ? { crash: await crash(c, all.W1, runs) } : {}),
      ...(opts.extras.includes('journal')
        ? {
            journalFiles: Math.ceil(1_000_000 / scale),
            journal: await outcome('journal', () =>
              measureJournal({
                dir: join(workDir, 'journal'),
                rgw,
                bucket: agentBucket,
                env,
                files: Math.ceil(1_000_000 / scale),
                timeoutMs: opts.journalTimeoutMin * 60_000,
                log,
              }),
            ),
          }
        : {}),
    };
    const final: BenchResults = {
      ...results,
      durationSec: (Date.now() - started) / 1000,
      loadAvgEnd: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '),
    };
    const out = resolve(REPO_ROOT, opts.out);
    await mkdir(dirname(out), { recursive: true });
    await writeReport(out, final);
    const json = join(
      REPO_ROOT,
      'bench',
      'results',
      scale > 1 || opts.out !== 'docs/benchmarks.md' ? 'quick.json' : 'benchmarks.json',
    );
    await mkdir(dirname(json), { recursive: true });
    await writeFile(json, await formatted(json, JSON.stringify(final, null, 2)));
    log(`wrote ${out} and ${json}`);
  } finally {
    await stopping();
  }
}

let opts: BenchOptions;
try {
  opts = parseOptions(process.argv.slice(2));
} catch (err) {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(msg === 'help' ? USAGE : `bench: ${msg}\n${USAGE}`);
  process.exit(msg === 'help' ? 0 : 2);
}
if (opts.render === undefined) {
  await main(opts).catch((err: unknown) => {
    if (!(err instanceof LoadTooHighError)) throw err;
    process.stderr.write(`bench: ${err.message}\n`);
    process.exit(3);
  });
} else {
  const results = JSON.parse(await readFile(opts.render, 'utf8')) as BenchResults;
  const out = resolve(REPO_ROOT, opts.out);
  await writeReport(out, results);
  log(`wrote ${out} from ${opts.render}`);
}
