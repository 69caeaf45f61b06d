/**
 * Real S3 servers on loopback for tests (STYLE.md section 10): the shared Ceph RGW started by
 * scripts/test/run-tests.mjs (or by the first test file that needs it), Swift's s3api when enabled,
 * and dedicated RGW clusters for tests that kill the gateway. Plus a raw S3 client and bucket helpers
 * for assertions; the code under test builds its own client.
 */
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export interface S3ServerInfo {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /**
   * How the code under test connects, where not path-style to `endpoint` (the TLS RGW); the
   * helpers here (buckets, listings) keep to `endpoint`.
   */
  client?: TlsAccess;
}

/** The TLS RGW as the code under test reaches it: virtual-hosted names over HTTPS, its own CA. */
export interface TlsAccess {
  /** https://s3.test:PORT; buckets are BUCKET.s3.test (virtual-hosted). */
  readonly endpoint: string;
  readonly forcePathStyle: false;
  /** The CA's PEM file, and its text. */
  readonly caFile: string;
  readonly ca: string;
  /** s3.test and the names below it at 127.0.0.1, in the process only (transport.ts resolverFor). */
  readonly resolve: readonly { host: string; address: string }[];
  /** The same for a child process: S3FERRY_RESOLVE's value. */
  readonly resolveEnv: string;
}

/** A cluster of its own, for tests that kill the gateway. */
export type DedicatedRgw = S3ServerInfo & {
  /** SIGKILL radosgw only (mon and OSD keep the data); resolves once the port refuses connections. */
  killGateway(): Promise<void>;
  /** Reruns start-rgw.sh with the same settings: restarts radosgw only, objects are kept. */
  startGateway(): Promise<void>;
  /** stop-rgw.sh --purge: stops every daemon of this cluster and deletes its directory. */
  stop(): Promise<void>;
};

/** Same defaults as scripts/test/run-tests.mjs. */
const SHARED_RGW_DIR = '/tmp/s3ferry-rgw-test';
const SHARED_RGW_PORT = '7480';
/** The TLS RGW's (see tlsRgwServer); run-tests.mjs purges it under CI. */
const TLS_RGW_DIR = '/tmp/s3ferry-rgw-tls-test';
const TLS_DNS_NAME = 's3.test';
let tlsRgw: Promise<S3ServerInfo & { client: TlsAccess }> | undefined;
const SCRIPT_TIMEOUT_MS = 15 * 60_000; // the first run may apt-get install Ceph

/** The repository root: the nearest folder above this file with s3ferry's package.json. */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url)); // <root>/dist/test/support
  for (;;) {
    if (
      existsSync(path.join(dir, 'package.json')) &&
      existsSync(path.join(dir, 'scripts', 's3', 'start-rgw.sh'))
    ) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`s3-server: no repository root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

const REPO_ROOT = findRepoRoot();
const scriptPath = (name: string): string => path.join(REPO_ROOT, 'scripts', 's3', name);

/**
 * The environment for the start/stop scripts. S3_* variables of the caller are dropped: the scripts
 * read S3_ACCESS_KEY/S3_SECRET_KEY as the keys to create, and a mismatch with the running cluster
 * makes start-rgw.sh think it is broken and rebuild it.
 */
function scriptEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const dropped = new Set([
    'S3_ENDPOINT',
    'S3_ACCESS_KEY',
    'S3_SECRET_KEY',
    'S3_REGION',
    'S3_BUCKET',
  ]);
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !dropped.has(key))),
    ...extra,
  };
}

interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runScript(
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [scriptPath(name), ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Runs a start script and parses its KEY=VALUE output; throws with the log tail when it fails. */
async function startServer(
  what: string,
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<S3ServerInfo> {
  return (await startServerVars(what, script, env)).info;
}

async function startServerVars(
  what: string,
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<{ info: S3ServerInfo; vars: Map<string, string> }> {
  const r = await runScript(script, [], env);
  const vars = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) vars.set(m[1], m[2]);
  }
  const endpoint = vars.get('S3_ENDPOINT');
  const accessKeyId = vars.get('S3_ACCESS_KEY');
  const secretAccessKey = vars.get('S3_SECRET_KEY');
  if (
    r.code !== 0 ||
    endpoint === undefined ||
    accessKeyId === undefined ||
    secretAccessKey === undefined
  ) {
    throw new Error(
      `${what} failed to start (scripts/s3/${script} exited ${String(r.code)}):\n${tail(r.stderr, 60)}`,
    );
  }
  const region = vars.get('S3_REGION') ?? 'us-east-1';
  return { info: { endpoint, accessKeyId, secretAccessKey, region }, vars };
}

function isLoopback(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  } catch {
    return false;
  }
}

let sharedRgw: Promise<S3ServerInfo> | undefined;

/**
 * The shared RGW: from S3_ENDPOINT/S3_ACCESS_KEY/S3_SECRET_KEY/S3_REGION as exported by
 * run-tests.mjs; when they are absent (a file run directly with `node --test`), starts it with
 * scripts/s3/start-rgw.sh (idempotent, about 2 s the first time). Only ever a loopback endpoint.
 */
export async function rgwServer(): Promise<S3ServerInfo> {
  sharedRgw ??= (async () => {
    const {
      S3_ENDPOINT: endpoint,
      S3_ACCESS_KEY: accessKeyId,
      S3_SECRET_KEY: secretAccessKey,
    } = process.env;
    if (endpoint !== undefined && endpoint !== '') {
      if (!isLoopback(endpoint)) {
        throw new Error(
          `S3_ENDPOINT=${endpoint} is not a loopback endpoint: the tests only use the local RGW; unset S3_ENDPOINT`,
        );
      }
      if (accessKeyId !== undefined && secretAccessKey !== undefined) {
        return {
          endpoint,
          accessKeyId,
          secretAccessKey,
          region: process.env.S3_REGION ?? 'us-east-1',
        };
      }
    }
    return startServer(
      'Ceph RGW',
      'start-rgw.sh',
      scriptEnv({
        RGW_DIR: process.env.RGW_DIR ?? SHARED_RGW_DIR,
        RGW_PORT: process.env.RGW_PORT ?? SHARED_RGW_PORT,
      }),
    );
  })();
  return sharedRgw;
}

/**
 * The TLS RGW (its own cluster; the shared one is never touched): plain HTTP on 7482 for the
 * helpers, HTTPS on 7443 with `rgw dns name = s3.test` (virtual-hosted buckets) and a certificate
 * from a CA that scripts/s3/make-test-certs.sh made with openssl. Started by the first test file
 * that asks (idempotent, flock-serialised: about 2 s), left running like the shared one; `npm test`
 * under CI purges it at the end. TLS_RGW_DIR moves it (the ports stay).
 */
export function tlsRgwServer(): Promise<S3ServerInfo & { client: TlsAccess }> {
  tlsRgw ??= (async () => {
    const env = scriptEnv({
      RGW_DIR: process.env.TLS_RGW_DIR ?? TLS_RGW_DIR,
      RGW_PORT: '7482',
      RGW_SSL_PORT: '7443',
      RGW_DNS_NAME: TLS_DNS_NAME,
      RGW_MON_PORT: '13320',
      RGW_OSD_PORTS: '17000-17099',
    });
    const { info, vars } = await startServerVars('Ceph RGW over TLS', 'start-rgw.sh', env);
    const endpoint = vars.get('S3_TLS_ENDPOINT');
    const caFile = vars.get('S3_CA_BUNDLE');
    if (endpoint === undefined || caFile === undefined)
      throw new Error('start-rgw.sh printed no S3_TLS_ENDPOINT / S3_CA_BUNDLE');
    const client: TlsAccess = {
      endpoint,
      forcePathStyle: false,
      caFile,
      ca: await readFile(caFile, 'utf8'),
      resolve: [{ host: TLS_DNS_NAME, address: '127.0.0.1' }],
      resolveEnv: `${TLS_DNS_NAME}=127.0.0.1`,
    };
    return { ...info, client };
  })();
  return tlsRgw;
}

/** The files of {@link makeTestCa}. */
export interface TestCa {
  /** The CA's certificate (what a client trusts). */
  readonly caFile: string;
  /** A server certificate it signed, for localhost, 127.0.0.1 and each name with its subdomains. */
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * A certificate authority of its own and a server certificate it signed, in `dir`, made with
 * openssl by scripts/s3/make-test-certs.sh (which installs openssl as root when missing). Its CA
 * signed nothing the TLS RGW presents: the wrong CA of the certificate tests.
 */
export async function makeTestCa(dir: string, names: readonly string[] = []): Promise<TestCa> {
  const r = await runScript('make-test-certs.sh', [dir, ...names], process.env);
  if (r.code !== 0) throw new Error(`make-test-certs.sh exited ${String(r.code)}: ${r.stderr}`);
  return {
    caFile: path.join(dir, 'ca.crt'),
    certFile: path.join(dir, 'server.crt'),
    keyFile: path.join(dir, 'server.key'),
  };
}

/** Swift's s3api from SWIFT_S3_* (set by run-tests.mjs when CI or S3FERRY_TEST_SWIFT=1), else undefined. */
export function swiftServer(): S3ServerInfo | undefined {
  const {
    SWIFT_S3_ENDPOINT: endpoint,
    SWIFT_S3_ACCESS_KEY: accessKeyId,
    SWIFT_S3_SECRET_KEY: secretAccessKey,
  } = process.env;
  if (!endpoint || accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    region: process.env.SWIFT_S3_REGION ?? 'us-east-1',
  };
}

/** A raw client for test assertions only (the code under test builds its own). */
export function makeS3Client(info: S3ServerInfo): S3Client {
  return new S3Client({
    endpoint: info.endpoint,
    region: info.region,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000 }),
  });
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/** True for errors that mean "no server there" (refused, reset, timed out), not an S3 error response. */
export function isConnectionError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
    if (e.name === 'TimeoutError') return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isConnectionError(inner)))
      return true;
  }
  return false;
}

function s3ErrorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
}

export async function listAllObjects(
  client: S3Client,
  bucket: string,
): Promise<Array<{ key: string; size: number; etag: string }>> {
  const out: Array<{ key: string; size: number; etag: string }> = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    for (const o of page.Contents ?? [])
      out.push({ key: o.Key ?? '', size: o.Size ?? 0, etag: o.ETag ?? '' });
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return out;
}

export async function listAllMultipartUploads(
  client: S3Client,
  bucket: string,
): Promise<Array<{ key: string; uploadId: string }>> {
  const out: Array<{ key: string; uploadId: string }> = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
        ...(uploadIdMarker === undefined ? {} : { UploadIdMarker: uploadIdMarker }),
      }),
    );
    for (const u of page.Uploads ?? []) out.push({ key: u.Key ?? '', uploadId: u.UploadId ?? '' });
    if (page.IsTruncated !== true || (page.NextKeyMarker ?? '') === '') return out;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

let bucketCounter = 0;

/** Lowercase, DNS-valid (letters, digits, '-'), at most 63 characters, unique per call. */
function uniqueBucketName(label: string): string {
  bucketCounter += 1;
  const suffix = `-${process.pid}-${bucketCounter}-${randomBytes(4).toString('hex')}`;
  let base = label
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+/, '');
  base = base.slice(0, 63 - suffix.length).replace(/-+$/, '');
  return `${base === '' ? 's3f' : base}${suffix}`;
}

/**
 * Deletes everything in a bucket, then the bucket. Silent when the server or the bucket is gone;
 * resolves false when the server could not be reached (the bucket may still exist).
 */
async function emptyAndDeleteBucket(info: S3ServerInfo, bucket: string): Promise<boolean> {
  // short timeouts: a dead server must not stall a test's teardown
  const client = new S3Client({
    endpoint: info.endpoint,
    region: info.region,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 3_000,
      requestTimeout: 60_000,
      throwOnRequestTimeout: true,
    }),
  });
  try {
    for (const u of await listAllMultipartUploads(client, bucket)) {
      try {
        await client.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.key, UploadId: u.uploadId }),
        );
      } catch (err) {
        if (httpStatus(err) !== 404) throw err; // already gone
      }
    }
    // one DeleteObject per key: Swift's s3api insists on Content-MD5 for DeleteObjects, which
    // this SDK no longer sends (it sends a CRC32 checksum instead)
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
      const keys = (page.Contents ?? []).map((o) => o.Key ?? '');
      if (keys.length === 0) break;
      for (let i = 0; i < keys.length; i += 16) {
        await Promise.all(
          keys
            .slice(i, i + 16)
            .map((Key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key }))),
        );
      }
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    return true;
  } catch (err) {
    if (s3ErrorName(err) === 'NoSuchBucket') return true;
    if (isConnectionError(err)) return false;
    throw new Error(`cleanup of test bucket ${bucket} at ${info.endpoint} failed: ${String(err)}`, {
      cause: err,
    });
  } finally {
    client.destroy();
  }
}

/**
 * Creates a bucket with a unique name (label + pid + counter + random). cleanup() aborts all
 * multipart uploads, deletes all objects and the bucket; once it has succeeded further calls do
 * nothing. It never throws when the server is gone (it then does nothing; a later call retries).
 */
export async function createTestBucket(
  info: S3ServerInfo,
  label: string,
): Promise<{ name: string; cleanup(): Promise<void> }> {
  const name = uniqueBucketName(label);
  const client = makeS3Client(info);
  try {
    await client.send(
      new CreateBucketCommand({
        Bucket: name,
        ...(info.region === 'us-east-1'
          ? {}
          : {
              CreateBucketConfiguration: {
                LocationConstraint: info.region as BucketLocationConstraint,
              },
            }),
      }),
    );
  } finally {
    client.destroy();
  }
  let done: Promise<boolean> | undefined;
  return {
    name,
    async cleanup() {
      done ??= emptyAndDeleteBucket(info, name);
      const complete = await done.catch((err: unknown) => {
        done = undefined;
        throw err;
      });
      if (!complete) done = undefined; // server unreachable: a later call tries again
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Dedicated RGW clusters
//
// Ports: blocks of 32 in 20000-31999 (below Linux's ephemeral range 32768-60999, and clear of the
// shared cluster's 7480/13300-13301/16800-16899 and Swift's 8080/16200-16211). A block is claimed by
// listening on its guard port for as long as the cluster lives: the kernel arbitrates between test
// processes started in parallel, and a crashed process frees its claim automatically. Every other
// port of the block must be free too (a leftover cluster of a crashed process still holds its own).
//   base      RGW_PORT (S3)
//   base+1/2  RGW_MON_PORT (msgr2) / msgr1
//   base+3    guard
//   base+8..  RGW_OSD_PORTS (24 ports; one OSD binds about 8)
// ---------------------------------------------------------------------------------------------
const BLOCK_SIZE = 32;
const BLOCK_FIRST = 20_000;
const BLOCK_COUNT = Math.floor((32_000 - BLOCK_FIRST) / BLOCK_SIZE);

function listenOn(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => {
      resolve(undefined);
    });
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      resolve(server);
    });
  });
}

async function portFree(port: number): Promise<boolean> {
  const server = await listenOn(port);
  if (server === undefined) return false;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return true;
}

async function claimPortBlock(): Promise<{ base: number; guard: net.Server }> {
  const start = Math.floor(Math.random() * BLOCK_COUNT);
  for (let i = 0; i < BLOCK_COUNT; i++) {
    const base = BLOCK_FIRST + ((start + i) % BLOCK_COUNT) * BLOCK_SIZE;
    const guard = await listenOn(base + 3);
    if (guard === undefined) continue;
    let free = true;
    for (let p = base; p < base + BLOCK_SIZE && free; p++) {
      if (p !== base + 3) free = await portFree(p);
    }
    if (free) {
      guard.unref(); // never keeps a test process alive
      return { base, guard };
    }
    await new Promise<void>((resolve) => {
      guard.close(() => {
        resolve();
      });
    });
  }
  throw new Error(
    `startDedicatedRgw: no free block of ${BLOCK_SIZE} ports in ${BLOCK_FIRST}-31999`,
  );
}

/** Resolves once nothing accepts connections on 127.0.0.1:port. */
async function waitUntilRefused(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
    if (!accepted) return;
    if (Date.now() > deadline)
      throw new Error(`port ${port} still accepts connections after ${timeoutMs} ms`);
    await sleep(50);
  }
}

const activeDedicated = new Map<string, () => void>();
let exitHookInstalled = false;

/**
 * Starts a second, independent RGW cluster (memstore) in /tmp/s3f-<name> with ports of its own,
 * for tests that kill the gateway. `name` must be unique among the test files that run in parallel.
 * Call stop() when done; a cluster left running is stopped when the test process exits normally.
 */
export async function startDedicatedRgw(name: string): Promise<DedicatedRgw> {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 40);
  if (slug === '') throw new Error('startDedicatedRgw: empty name');
  if (activeDedicated.has(slug))
    throw new Error(`startDedicatedRgw: a cluster named ${slug} is already running`);
  // short and fixed: admin socket paths are limited to 107 bytes
  const dir = `/tmp/s3f-${slug}`;
  const { base, guard } = await claimPortBlock();
  const env = scriptEnv({
    RGW_DIR: dir,
    RGW_PORT: String(base),
    RGW_MON_PORT: String(base + 1),
    RGW_OSD_PORTS: `${base + 8}-${base + BLOCK_SIZE - 1}`,
    RGW_OBJECTSTORE: 'memstore',
    // without radosgw's metadata cache, bucket create/delete do not stall ~30 s after killGateway()
    RGW_CACHE: '0',
  });
  const releaseGuard = (): void => {
    guard.close();
  };
  const stopSync = (): void => {
    spawnSync('bash', [scriptPath('stop-rgw.sh'), '--purge'], {
      env,
      stdio: 'ignore',
      timeout: 60_000,
    });
  };
  activeDedicated.set(slug, stopSync);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const stopCluster of activeDedicated.values()) stopCluster();
    });
  }

  let info: S3ServerInfo;
  try {
    // a fresh cluster every time, whatever an earlier (crashed) run left in this directory
    await runScript('stop-rgw.sh', ['--purge'], env);
    info = await startServer(`dedicated Ceph RGW ${slug}`, 'start-rgw.sh', env);
  } catch (err) {
    activeDedicated.delete(slug);
    await runScript('stop-rgw.sh', ['--purge'], env).catch(() => undefined);
    releaseGuard();
    throw err;
  }

  let stopped: Promise<void> | undefined;
  return {
    ...info,
    async killGateway() {
      const pidText = await readFile(path.join(dir, 'run', 'client.rgw.a.pid'), 'utf8');
      const pid = Number.parseInt(pidText.trim(), 10);
      if (!Number.isInteger(pid) || pid <= 1)
        throw new Error(`killGateway: bad PID file content '${pidText}'`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
      await waitUntilRefused(base, 30_000);
    },
    async startGateway() {
      await startServer(`dedicated Ceph RGW ${slug} (gateway restart)`, 'start-rgw.sh', env);
    },
    stop() {
      stopped ??= (async () => {
        try {
          const r = await runScript('stop-rgw.sh', ['--purge'], env);
          if (r.code !== 0)
            throw new Error(`stop-rgw.sh exited ${String(r.code)}: ${tail(r.stderr, 20)}`);
        } finally {
          activeDedicated.delete(slug);
          releaseGuard();
        }
      })();
      return stopped;
    },
  };
}
