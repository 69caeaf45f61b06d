/**
 * The fleet benchmark's own servers: a Ceph RGW (bluestore: object data on disk) and a PostgreSQL
 * cluster, each with its own directory and ports, apart from the test suite's (7480, 7432), the
 * quickstart's (7490) and `npm run bench`'s (7580), so that none disturbs another. PostgreSQL is
 * made durable as in production (fsync, full_page_writes and synchronous_commit on; the test
 * cluster runs with them off). Both are started from a clean slate and purged at the end.
 * Also: CPU time of the agents, of PostgreSQL and of the RGW daemons, from /proc.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { REPO_ROOT } from './paths.js';
import type { RgwInfo } from './rgw.js';

export const FLEET_RGW_ENV = {
  RGW_DIR: '/tmp/s3ferry-fleetbench-rgw',
  RGW_PORT: '7680',
  RGW_MON_PORT: '13430',
  RGW_OSD_PORTS: '17300-17399',
  RGW_OBJECTSTORE: 'bluestore',
  RGW_STORE_GB: '32', // sparse: only what is written takes space
} as const;

export const FLEET_PG_ENV = { PG_DIR: '/tmp/s3ferry-fleetbench-pg', PG_PORT: '7632' } as const;

/** The servers of a fleet benchmark (no RGW for the queue alone). */
export interface FleetServers {
  readonly rgw?: RgwInfo;
  /** postgres://…/postgres as a role that may create databases. */
  readonly pgUrl: string;
  readonly pgVersion: string;
  readonly cephVersion?: string;
}

/** The caller's environment without what the start scripts read as settings, plus `extra`. */
function scriptEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(S3_|PG_|RGW_)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

async function runScript(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; vars: Map<string, string>; stderr: string }> {
  const child = spawn('bash', [join(REPO_ROOT, 'scripts', script), ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const vars = new Map<string, string>();
  for (const m of stdout.matchAll(/^([A-Z0-9_]+)=(.*)$/gm)) vars.set(m[1] ?? '', m[2] ?? '');
  return { code, vars, stderr };
}

/** Runs `sql` on `url` with a client of its own. */
export async function pgQuery<R>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows as R[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** psql as the cluster's superuser over its private socket (as `postgres` when root). */
function psqlSuper(bin: string, sql: string): void {
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', join(FLEET_PG_ENV.PG_DIR, 'run')];
  args.push('-p', FLEET_PG_ENV.PG_PORT, '-U', 'postgres', '-d', 'postgres', '-c', sql);
  const psql = join(bin, 'psql');
  if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', psql, ...args]);
  else execFileSync(psql, args);
}

/**
 * Purges what an earlier run left, then starts PostgreSQL afresh, and the RGW too unless
 * `withRgw` is false (the queue alone needs no S3).
 */
export async function startFleetServers(withRgw = true): Promise<FleetServers> {
  await stopFleetServers();
  const [rgw, pgs] = await Promise.all([
    withRgw ? runScript('s3/start-rgw.sh', [], scriptEnv(FLEET_RGW_ENV)) : undefined,
    runScript('pg/start-postgres.sh', [], scriptEnv(FLEET_PG_ENV)),
  ]);
  const pgUrl = pgs.vars.get('PG_URL');
  const bin = pgs.vars.get('PG_BIN');
  if (pgs.code !== 0 || pgUrl === undefined || bin === undefined)
    throw new Error(`start-postgres.sh failed (${String(pgs.code)}):\n${pgs.stderr.slice(-4000)}`);
  for (const setting of ['fsync', 'full_page_writes', 'synchronous_commit'])
    psqlSuper(bin, `ALTER SYSTEM SET ${setting} = on`);
  psqlSuper(bin, 'SELECT pg_reload_conf()');
  const [fsync] = await pgQuery<{ fsync: string }>(pgUrl, 'SHOW fsync');
  if (fsync?.fsync !== 'on') throw new Error('PostgreSQL did not take fsync = on');
  const [version] = await pgQuery<{ server_version: string }>(pgUrl, 'SHOW server_version');
  const pgVersion = `PostgreSQL ${version?.server_version ?? '?'}`;
  if (rgw === undefined) return { pgUrl, pgVersion };
  const endpoint = rgw.vars.get('S3_ENDPOINT');
  const accessKeyId = rgw.vars.get('S3_ACCESS_KEY');
  const secretAccessKey = rgw.vars.get('S3_SECRET_KEY');
  if (rgw.code !== 0 || endpoint === undefined || !accessKeyId || !secretAccessKey)
    throw new Error(`start-rgw.sh failed (${String(rgw.code)}):\n${rgw.stderr.slice(-4000)}`);
  return {
    rgw: {
      endpoint,
      accessKeyId,
      secretAccessKey,
      region: rgw.vars.get('S3_REGION') ?? 'us-east-1',
    },
    pgUrl,
    pgVersion,
    cephVersion:
      execFileSync('ceph', ['--version'], { encoding: 'utf8' }).trim().split(' (')[0] ?? '',
  };
}

/** Stops both servers (by their PID files) and deletes their directories. */
export async function stopFleetServers(): Promise<void> {
  await Promise.all([
    runScript('s3/stop-rgw.sh', ['--purge'], scriptEnv(FLEET_RGW_ENV)),
    runScript('pg/stop-postgres.sh', ['--purge'], scriptEnv(FLEET_PG_ENV)),
  ]);
}

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** utime, stime, cutime, cstime and ppid of a process, in seconds; undefined once it is gone. */
async function procTimes(
  pid: number,
): Promise<{ own: number; children: number; ppid: number } | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  // after the command: state ppid … utime(14) stime(15) cutime(16) cstime(17), 1-based overall
  const at = (field: number): number => f[field - 3] ?? 0;
  return {
    own: (at(14) + at(15)) / TICKS,
    children: (at(16) + at(17)) / TICKS,
    ppid: at(4),
  };
}

/** CPU seconds used so far by each of `pids` (itself only). */
export async function cpuOf(pids: readonly number[]): Promise<number> {
  let sum = 0;
  for (const pid of pids) sum += (await procTimes(pid))?.own ?? 0;
  return sum;
}

/**
 * CPU seconds used so far by the PostgreSQL cluster: the postmaster, its live children (one
 * backend per connection, plus the background workers), and the children it already reaped.
 */
export async function postgresCpu(): Promise<number> {
  const pidFile = join(FLEET_PG_ENV.PG_DIR, 'data', 'postmaster.pid');
  const postmaster = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  const main = await procTimes(postmaster);
  let sum = (main?.own ?? 0) + (main?.children ?? 0);
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const t = await procTimes(Number(entry));
    if (t?.ppid === postmaster) sum += t.own;
  }
  return sum;
}

/** CPU seconds used so far by the RGW's daemons: radosgw, the OSD and the monitor. */
export async function rgwCpu(): Promise<number> {
  const pids: number[] = [];
  for (const name of ['client.rgw.a', 'osd.0', 'mon.a']) {
    const text = await readFile(join(FLEET_RGW_ENV.RGW_DIR, 'run', `${name}.pid`), 'utf8');
    pids.push(Number(text.trim()));
  }
  return cpuOf(pids);
}
