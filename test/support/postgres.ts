/**
 * PostgreSQL on loopback for tests (STYLE.md section 10): the server started by
 * scripts/test/run-tests.mjs (PG_URL, PG_DIR, PG_BIN), or, when a test file runs on its own, by
 * scripts/pg/start-postgres.sh (idempotent, a few seconds the first time). A fresh database per
 * test, and a restart of the server for the tests that must survive one.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { isConnectionFailure } from '../../src/journal/postgres/postgres-connection.js';

/** Same defaults as scripts/test/run-tests.mjs. */
const DEFAULT_PG_DIR = '/tmp/s3ferry-pg-test';
const DEFAULT_PG_PORT = '7432';
const SCRIPT_TIMEOUT_MS = 15 * 60_000; // the first run may apt-get install PostgreSQL
/** How long database creation waits for a server that is restarting (another test restarts it). */
const SERVER_WAIT_MS = 60_000;

/** The server the tests use. */
export interface PostgresServer {
  /** postgres://s3ferry:…@127.0.0.1:PORT/postgres: a role that may CREATE DATABASE. */
  readonly url: string;
  /** The cluster's folder (data in PG_DIR/data). */
  readonly dir: string;
  /** Folder of pg_ctl and friends. */
  readonly bin: string;
}

/** A database of one test. */
export interface TestDatabase {
  readonly name: string;
  /** The same server and role as {@link PostgresServer.url}, this database. */
  readonly url: string;
  /** Drops the database, disconnecting whoever is still connected. Idempotent. */
  drop(): Promise<void>;
}

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url)); // <root>/dist/test/support
  for (;;) {
    if (existsSync(path.join(dir, 'scripts', 'pg', 'start-postgres.sh'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('postgres: no repository root above this file');
    dir = parent;
  }
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), SCRIPT_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let shared: Promise<PostgresServer> | undefined;

/** The tests' server: from PG_URL (run-tests.mjs), else started with start-postgres.sh. */
export function postgresServer(): Promise<PostgresServer> {
  shared ??= (async () => {
    const dir = process.env.PG_DIR ?? DEFAULT_PG_DIR;
    const { PG_URL: url, PG_BIN: bin } = process.env;
    if (url !== undefined && url !== '' && bin !== undefined && bin !== '') {
      const host = new URL(url).hostname;
      if (host !== '127.0.0.1' && host !== 'localhost') {
        throw new Error(`PG_URL names ${host}: the tests only use the local PostgreSQL`);
      }
      return { url, dir, bin };
    }
    // The script reads PG_USER, PG_PASSWORD as the role to create: never hand it the caller's.
    const dropped = new Set(['PG_URL', 'PG_USER', 'PG_PASSWORD', 'PG_BIN']);
    const env: NodeJS.ProcessEnv = {
      ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !dropped.has(key))),
      PG_DIR: dir,
      PG_PORT: process.env.PG_PORT ?? DEFAULT_PG_PORT,
    };
    const script = path.join(repoRoot(), 'scripts', 'pg', 'start-postgres.sh');
    const r = await run('bash', [script], env);
    const vars = new Map(
      [...r.stdout.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
    );
    const started = { url: vars.get('PG_URL'), bin: vars.get('PG_BIN') };
    if (r.code !== 0 || started.url === undefined || started.bin === undefined) {
      throw new Error(
        `PostgreSQL failed to start (start-postgres.sh exited ${String(r.code)}):\n${r.stderr}`,
      );
    }
    return { url: started.url, dir, bin: started.bin };
  })();
  return shared;
}

/** Runs `sql` on the server's `postgres` database, waiting out a restart in progress. */
async function admin(sql: string): Promise<void> {
  const { url } = await postgresServer();
  const deadline = Date.now() + SERVER_WAIT_MS;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query(sql);
      return;
    } catch (err) {
      if (!isConnectionFailure(err) || Date.now() > deadline) throw err;
      await sleep(200);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/**
 * Drops a database of the test role. Its connections are ended first (the role may end its own;
 * `WITH (FORCE)` would also need to end autovacuum's, which only a superuser may); DROP DATABASE
 * stops autovacuum itself, and is tried again while some connection is still going away.
 */
async function dropDatabase(name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await admin(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = '${name}' AND usename = current_user AND pid <> pg_backend_pid()`,
    );
    try {
      await admin(`DROP DATABASE IF EXISTS ${name}`);
      return;
    } catch (err) {
      // 55006 object_in_use: a connection is still there
      if ((err as { code?: unknown }).code !== '55006' || Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

/** True while process `pid` runs. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: unknown }).code === 'EPERM';
  }
}

let swept: Promise<void> | undefined;

/** Drops the databases that test processes which died without cleaning up left behind. */
function sweepLeftovers(url: string): Promise<void> {
  swept ??= (async () => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    let names: string[] = [];
    try {
      await client.connect();
      const { rows } = await client.query<{ datname: string }>(
        "SELECT datname FROM pg_database WHERE datname LIKE 's3ferry\\_test\\_%'",
      );
      names = rows.map((r) => r.datname);
    } finally {
      await client.end().catch(() => undefined);
    }
    for (const name of names) {
      const pid = Number(/^s3ferry_test_(\d+)_/.exec(name)?.[1]);
      if (Number.isSafeInteger(pid) && !alive(pid)) await dropDatabase(name).catch(() => undefined);
    }
  })();
  return swept;
}

/** A new, empty database with a unique name, owned by the test role. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { url } = await postgresServer();
  await sweepLeftovers(url);
  const name = `s3ferry_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: u.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await dropDatabase(name);
    },
  };
}

/**
 * Restarts the server (`pg_ctl restart -m fast`: every connection is closed, the server is down
 * for a moment, then accepts connections again). Resolves once it does. Other test files using the
 * server at the same time see the restart too: their stores must ride it out (they do).
 */
export async function restartPostgres(): Promise<void> {
  const { dir, bin } = await postgresServer();
  const args = [
    path.join(bin, 'pg_ctl'),
    '-D',
    path.join(dir, 'data'),
    '-l',
    path.join(dir, 'log', 'postgres.log'),
    '-m',
    'fast',
    '-w',
    '-t',
    '60',
    'restart',
  ];
  const asRoot = process.getuid?.() === 0;
  const r = asRoot
    ? await run('runuser', ['-u', 'postgres', '--', ...args], process.env)
    : await run(args[0] ?? 'pg_ctl', args.slice(1), process.env);
  if (r.code !== 0) throw new Error(`pg_ctl restart exited ${String(r.code)}:\n${r.stderr}`);
}
