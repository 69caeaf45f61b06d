/** Running the real `s3ferry` CLI (built, in dist/) as a child process, and checking objects. */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientToken } from '../../src/cli/api-token.js';
import { readConfigEnvironment, readEnvironment } from '../../src/config/environment.js';
import { loadConfig } from '../../src/config/load.js';
import type { S3ServerInfo } from './s3-server.js';

/** dist/src/cli/main.js, seen from dist/test/support/. */
export const CLI_PATH = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/**
 * XDG_STATE_HOME of every agent and CLI this test process starts (cliEnv): its own, so that the
 * API token the agents make (and the CLI reads) in the user's state directory stays out of the
 * developer's home, shared by the agents and CLIs of one test file as by those of one user.
 * Removed when the process exits.
 */
export const TEST_STATE_HOME = join(tmpdir(), `s3ferry-test-state-${process.pid}`);
process.once('exit', () => {
  rmSync(TEST_STATE_HOME, { recursive: true, force: true });
});

/**
 * The API token the CLI sends to the agent at `url` when it runs with `env` (and `configFile`):
 * how the test helpers get it, the way an operator's CLI does (cli/api-token.ts).
 */
export async function cliToken(
  url: string,
  env: NodeJS.ProcessEnv,
  configFile?: string,
): Promise<string | undefined> {
  const configEnv = readConfigEnvironment(env);
  const config = await loadConfig({ file: configFile, env: configEnv }).catch(() => undefined);
  return clientToken({ configEnv, config, env: readEnvironment(env), url }).token;
}

/**
 * Environment for the CLI: the server's keys and nothing from the developer's own AWS setup; the
 * test process's own state directory ({@link TEST_STATE_HOME}).
 */
export function cliEnv(
  info: S3ServerInfo,
  overrides: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('AWS_') && !k.startsWith('S3FERRY_') && !/proxy/i.test(k)) env[k] = v;
  }
  return {
    ...env,
    AWS_ACCESS_KEY_ID: info.accessKeyId,
    AWS_SECRET_ACCESS_KEY: info.secretAccessKey,
    AWS_REGION: info.region,
    AWS_CONFIG_FILE: '/nonexistent/s3ferry-test-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/s3ferry-test-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    XDG_STATE_HOME: TEST_STATE_HOME,
    ...overrides,
  };
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout's JSON lines, parsed (with --json). */
  readonly events: Record<string, unknown>[];
}

/** A started CLI process whose output is collected. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly result: Promise<CliResult>;
}

export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const result = (async (): Promise<CliResult> => {
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    const events = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { code, signal, stdout, stderr, events };
  })();
  return { child, result };
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return spawnCli(args, env).result;
}

export async function sha256OfStream(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function fileSha256(path: string): Promise<string> {
  return sha256OfStream(createReadStream(path));
}

/** sha256 and size of an object, streamed. */
export async function objectDigest(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<{ sha256: string; size: number }> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = out.Body as NodeJS.ReadableStream;
  return { sha256: await sha256OfStream(body), size: out.ContentLength ?? -1 };
}

/** Writes `size` random bytes without holding them in memory. */
export async function writeRandomFile(path: string, size: number): Promise<void> {
  const out = createWriteStream(path);
  const chunk = Buffer.allocUnsafe(1024 * 1024);
  for (let written = 0; written < size;) {
    const n = Math.min(chunk.length, size - written);
    randomFillSync(chunk, 0, n);
    // write() may keep a reference to the chunk: hand it a copy
    if (!out.write(Buffer.from(chunk.subarray(0, n)))) await once(out, 'drain');
    written += n;
  }
  out.end();
  await once(out, 'close');
}
