/**
 * A real `s3ferry run` process for e2e tests: its own config, journal, API port and directories.
 * Its API is called with the token the CLI of the same user would find (test/support/cli.ts's
 * cliToken), and its dashboard opened through a one-time link, as `s3ferry dashboard` prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_PATH, cliEnv, cliToken, TEST_STATE_HOME } from './cli.js';
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
  /** The API token, found as the CLI of the agent's user finds it (undefined: api.auth none). */
  token(): Promise<string | undefined>;
  /** Calls the API with the token (POSTs as JSON); resolves the answer's JSON. */
  api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
  /** A new one-time link into the dashboard (what `s3ferry dashboard` prints), then `hash`. */
  dashboardUrl(hash?: string): Promise<string>;
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
  const config = join(dir, 's3ferry.yaml');
  const childEnv = cliEnv(info, env);
  const child = spawn(process.execPath, [CLI_PATH, 'run', '--config', config], {
    cwd: dir,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return superviseAgent(child, url, { env: childEnv, config });
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

/** How the CLI of the agent's user would find the agent's token: its environment and config. */
export interface AgentAuth {
  readonly env: NodeJS.ProcessEnv;
  readonly config?: string;
}

/**
 * Watches an agent process already spawned with piped output: collects its log and resolves once
 * its API at `url` answers /healthz (rejects if it exits first or stays silent for a minute).
 * `auth`: how to find its token (default: this test process's state directory).
 */
export async function superviseAgent(
  child: ChildProcess,
  url: string,
  auth: AgentAuth = { env: { ...process.env, XDG_STATE_HOME: TEST_STATE_HOME } },
): Promise<AgentProcess> {
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
  let found: Promise<string | undefined> | undefined;
  const token = (): Promise<string | undefined> => (found ??= cliToken(url, auth.env, auth.config));
  const api = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const t = await token();
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(t === undefined ? {} : { authorization: `Bearer ${t}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await res.json()) as T;
  };
  return {
    child,
    url,
    log: () => log,
    token,
    api,
    dashboardUrl: async (hash = '') => {
      const link = await api<{ path?: string }>('POST', '/api/v1/dashboard/link', {});
      if (link.path === undefined) throw new Error(`no dashboard link: ${JSON.stringify(link)}`);
      return `${url}${link.path}${hash}`;
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
