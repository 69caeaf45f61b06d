/**
 * The suite's own Ceph RGW: bluestore (object data on disk, not in RAM), its own directory and
 * ports, so it never disturbs the test suite's RGW (7480) or the quickstart's (7490). Started from
 * a clean slate and purged at the end.
 */
import { spawn } from 'node:child_process';
import { REPO_ROOT, s3Script } from './paths.js';

export interface RgwInfo {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** With --tls: the same cluster over HTTPS, virtual-hosted. */
  readonly tls?: RgwTls;
}

/** The bench RGW over HTTPS (beast ssl_endpoint, `rgw dns name`, a CA the bench makes). */
export interface RgwTls {
  /** https://DNS-NAME:PORT; buckets are BUCKET.DNS-NAME. */
  readonly endpoint: string;
  readonly dnsName: string;
  readonly port: number;
  /** The CA that signed the RGW's certificate (PEM). */
  readonly caFile: string;
}

/** Short (admin socket paths are limited to 107 bytes) and apart from the other clusters. */
export const BENCH_RGW_ENV = {
  RGW_DIR: '/tmp/s3ferry-bench-rgw',
  RGW_PORT: '7580',
  RGW_MON_PORT: '13330',
  RGW_OSD_PORTS: '17100-17199',
  RGW_OBJECTSTORE: 'bluestore',
  // a sparse file: only what is written takes disk space (big objects are deleted after each run)
  RGW_STORE_GB: '64',
} as const;

/** With --tls: HTTPS beside HTTP on the same cluster (start-rgw.sh makes the CA with openssl). */
export const BENCH_RGW_TLS_ENV = {
  RGW_SSL_PORT: '7543',
  RGW_DNS_NAME: 's3.bench.test',
} as const;

function scriptEnv(tls: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // the caller's TLS settings never leak in: --tls alone decides
  const tlsKeys = new Set(['RGW_SSL_PORT', 'RGW_DNS_NAME', 'RGW_CERT_DIR']);
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('S3_') && !tlsKeys.has(k)) env[k] = v;
  return { ...env, ...BENCH_RGW_ENV, ...(tls ? BENCH_RGW_TLS_ENV : {}) };
}

async function runScript(
  name: string,
  args: readonly string[],
  tls = false,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('bash', [s3Script(name), ...args], {
    cwd: REPO_ROOT,
    env: scriptEnv(tls),
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
  return { code, stdout, stderr };
}

/** The KEY=VALUE lines of a script's output. */
export function scriptVars(stdout: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) vars.set(m[1], m[2]);
  }
  return vars;
}

/** The HTTPS side of start-rgw.sh's output, when it printed one. */
export function tlsInfo(vars: ReadonlyMap<string, string>): RgwTls | undefined {
  const endpoint = vars.get('S3_TLS_ENDPOINT');
  const caFile = vars.get('S3_CA_BUNDLE');
  const dnsName = vars.get('S3_DNS_NAME');
  if (endpoint === undefined || caFile === undefined || dnsName === undefined) return undefined;
  return { endpoint, dnsName, port: Number(new URL(endpoint).port || 443), caFile };
}

/**
 * Purges whatever an earlier run left in the suite's RGW_DIR, then starts a fresh cluster; with
 * `tls`, serving HTTPS with virtual-hosted names too.
 */
export async function startBenchRgw(tls = false): Promise<RgwInfo> {
  await runScript('stop-rgw.sh', ['--purge']);
  const r = await runScript('start-rgw.sh', [], tls);
  const vars = scriptVars(r.stdout);
  const endpoint = vars.get('S3_ENDPOINT');
  const accessKeyId = vars.get('S3_ACCESS_KEY');
  const secretAccessKey = vars.get('S3_SECRET_KEY');
  const https = tlsInfo(vars);
  if (
    r.code !== 0 ||
    endpoint === undefined ||
    accessKeyId === undefined ||
    !secretAccessKey ||
    (tls && https === undefined)
  ) {
    throw new Error(`start-rgw.sh failed (${String(r.code)}):\n${r.stderr.slice(-4000)}`);
  }
  const region = vars.get('S3_REGION') ?? 'us-east-1';
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    region,
    ...(https === undefined ? {} : { tls: https }),
  };
}

/** stop-rgw.sh --purge: stops the suite's cluster (by its PID files) and deletes its directory. */
export async function stopBenchRgw(): Promise<void> {
  const r = await runScript('stop-rgw.sh', ['--purge']);
  if (r.code !== 0)
    process.stderr.write(`bench: stop-rgw.sh exited ${String(r.code)}: ${r.stderr}\n`);
}
