/**
 * A real `s3ferry run` for the agent figures, its JSON log going to a file (a million files would
 * not fit in a string), with helpers for its API and its peak RSS.
 *
 * The API: every agent gets a token of its own (S3FERRY_API_TOKEN, which overrides `api.token`)
 * and every request carries it, so the runner works whether the agent's API requires a token or
 * not (the API is to require one by default, DESIGN.md item 15), and with a baseline build that
 * knows no token at all (it then installs no check, and the header is ignored).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_PATH } from './paths.js';

export interface BenchAgent {
  readonly child: ChildProcess;
  readonly url: string;
  readonly logFile: string;
  /** Milliseconds (Date.now()) when the process was spawned. */
  readonly spawnedAt: number;
  api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
  /** The text of its /metrics (Prometheus). */
  metricsText(): Promise<string>;
  /** VmHWM (peak resident set) of the agent process, MiB. */
  peakRssMiB(): Promise<number>;
  /** SIGTERM, then SIGKILL after 30 s; resolves once it has exited. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** SIGKILLs every agent this process started and that still runs (on Ctrl-C). */
export function killLiveAgents(): void {
  for (const child of live) child.kill('SIGKILL');
}

export async function procStatusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m?.[1] === undefined ? Number.NaN : Number(m[1]) / 1024;
}

/** The last line of the agent's log, for error messages. */
async function lastLogLine(logFile: string): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.trim().split('\n').pop() ?? '';
}

/**
 * Writes `yaml` to dir/s3ferry.yaml and starts the agent of `cli` (this checkout's build by
 * default; a baseline build's for a before/after); resolves once /healthz answers (within
 * `apiTimeoutMs`: an agent may serve its API only after the start-up scan of a huge tree).
 */
export async function startBenchAgent(
  dir: string,
  yaml: string,
  port: number,
  env: NodeJS.ProcessEnv,
  apiTimeoutMs = 60_000,
  cli = CLI_PATH,
): Promise<BenchAgent> {
  await mkdir(dir, { recursive: true });
  const config = join(dir, 's3ferry.yaml');
  await writeFile(config, yaml);
  const logFile = join(dir, 'agent.log');
  const log = await open(logFile, 'w');
  const spawnedAt = Date.now();
  const token = randomBytes(16).toString('hex');
  const auth = { authorization: `Bearer ${token}` };
  const child = spawn(process.execPath, [cli, 'run', '--config', config], {
    cwd: dir,
    env: { ...env, S3FERRY_API_TOKEN: token },
    stdio: ['ignore', log.fd, log.fd],
  });
  await log.close();
  live.add(child);
  const exited = once(child, 'exit');
  void exited.then(() => live.delete(child));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + apiTimeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the agent exited with ${child.exitCode}: ${await lastLogLine(logFile)}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `the agent's API did not answer within ${apiTimeoutMs / 1000} s; last log line: ${await lastLogLine(logFile)}`,
      );
    }
    await sleep(100);
  }
  return {
    child,
    url,
    logFile,
    spawnedAt,
    api: async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...auth, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    metricsText: async () => {
      const res = await fetch(`${url}/metrics`, { headers: auth });
      if (!res.ok) throw new Error(`GET /metrics: HTTP ${res.status} ${await res.text()}`);
      return res.text();
    },
    peakRssMiB: () => procStatusMiB(child.pid ?? 0, 'VmHWM'),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
