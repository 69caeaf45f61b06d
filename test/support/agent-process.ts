/** A real `s3ferry run` process for e2e tests: its own config, journal, API port and directories. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_PATH, cliEnv } from './cli.js';
import type { S3ServerInfo } from './s3-server.js';

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => {
    srv.close(() => {
      r();
    });
  });
  return port;
}

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the agent logged so far (JSON lines). */
  log(): string;
  api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
  /** SIGTERM and wait. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

/** Writes `yaml` to dir/s3ferry.yaml and starts the agent there; resolves once its API answers. */
export async function startAgentProcess(
  dir: string,
  yaml: string,
  info: S3ServerInfo,
  env: Record<string, string> = {},
): Promise<AgentProcess> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 's3ferry.yaml'), yaml);
  const portMatch = /port:\s*(\d+)/.exec(yaml);
  const url = `http://127.0.0.1:${portMatch?.[1] ?? '7317'}`;
  const child = spawn(process.execPath, [CLI_PATH, 'run', '--config', join(dir, 's3ferry.yaml')], {
    cwd: dir,
    env: cliEnv(info, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return superviseAgent(child, url);
}

/** Polls `check` until it returns a truthy value (or throws with `what` after `timeoutMs`). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await sleep(200);
  }
}

/** A minimal config for one job watching `inbox` into `bucket` on the test server. */
export function agentYaml(o: {
  port: number;
  inbox: string;
  bucket: string;
  endpoint: string;
  extraJob?: string;
  extra?: string;
  settle?: string;
}): string {
  return `api:
  port: ${o.port}
log:
  level: debug
jobs:
  - name: inbox
    sources: [${JSON.stringify(o.inbox)}]
    settle: ${o.settle ?? '1s'}
    destination:
      bucket: ${o.bucket}
      endpoint: ${o.endpoint}
${o.extraJob ?? ''}
${o.extra ?? ''}`;
}

/**
 * Watches an agent process already spawned with piped output: collects its log and resolves once
 * its API at `url` answers /healthz (rejects if it exits first or stays silent for a minute).
 */
export async function superviseAgent(child: ChildProcess, url: string): Promise<AgentProcess> {
  const { stdout, stderr } = child;
  if (stdout === null || stderr === null) throw new Error('spawn the agent with piped output');
  let log = '';
  stdout.setEncoding('utf8').on('data', (d: string) => (log += d));
  stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
  const exited = once(child, 'exit');
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the agent exited with ${child.exitCode}:\n${log}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the agent's API never answered:\n${log}`);
    await sleep(100);
  }
  return {
    child,
    url,
    log: () => log,
    api: async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await res.json()) as T;
    },
    stop: async () => {
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
