/**
 * `node dist/bench/object-cost.js --endpoint URL --bucket B [--objects N] [--rounds N]
 * [--virtual-hosted] [--ca-bundle PEM] [--resolve HOST=ADDR] [--sdk]`: the client CPU of each part
 * of a small file's upload, measured apart, in ms per object:
 *
 * - files: stat, open, read, fstat, close of a 4 KiB file (platform/node-file-system.ts);
 * - put: one PutObject of 4 KiB with Content-MD5 through the direct path (object-store/s3/s3-direct.ts),
 *   the MD5 computed beforehand;
 * - head: one HeadObject of such an object, the verification DESIGN.md item 9 asks for;
 * - journal: the SQLite journal's calls of one single-PUT upload (bench/lib/journal-sequence.ts),
 *   which DESIGN.md items 6 and 10 ask for (intent, part, completion, events, history).
 *
 * - with --sdk, put and head again through the SDK's commands (the path the direct one replaces).
 *
 * --virtual-hosted addresses the bucket as a host name (BUCKET.HOST of the endpoint), --ca-bundle
 * verifies an https endpoint with that CA, --resolve reaches HOST and the names below it at ADDR
 * (as S3FERRY_RESOLVE does). 16 in flight, as `s3ferry upload` runs; each figure is the median of
 * the rounds, CPU is
 * process.cpuUsage (user + system of every thread). A first, shorter pass of each part warms up
 * and is not counted. Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Prints one
 * JSON line; the bench (`--extras costs`) runs it against its RGW and sets the figures beside
 * s3ferry's whole CPU per object. Not a test: figures.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nodeFileSystem } from '../src/platform/node-file-system.js';
import { readFileSync } from 'node:fs';
import { buildS3Connection } from '../src/object-store/s3/s3-client.js';
import { S3ObjectTarget } from '../src/object-store/s3/s3-object-target.js';
import { journalRound } from './lib/journal-sequence.js';
import type { ObjectCost } from './lib/object-cost.js';

const { values: args } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    bucket: { type: 'string' },
    region: { type: 'string', default: 'us-east-1' },
    objects: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    'virtual-hosted': { type: 'boolean', default: false },
    'ca-bundle': { type: 'string' },
    resolve: { type: 'string' },
    sdk: { type: 'boolean', default: false },
  },
});
const OBJECTS = Number(args.objects);
const ROUNDS = Number(args.rounds);
const IN_FLIGHT = 16;
const SIZE = 4096;
const WARM_UP = 200;

/** Runs `one(i)` for i in [0, n), `IN_FLIGHT` at a time; CPU ms per call. */
async function cpuPerCall(n: number, one: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n; i = next++) await one(i);
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / n;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

async function filesCost(dir: string): Promise<number> {
  const body = randomBytes(SIZE);
  for (let i = 0; i < OBJECTS; i++) await writeFile(join(dir, `f-${i}.bin`), body);
  const buf = Buffer.alloc(SIZE);
  return cpuPerCall(OBJECTS, async (i) => {
    const path = join(dir, `f-${i}.bin`);
    await nodeFileSystem.stat(path);
    const file = await nodeFileSystem.open(path);
    try {
      await file.read(buf, 0, SIZE);
      await file.stat();
    } finally {
      await file.close();
    }
  });
}

/** put and head through `target` (with the direct path, or the SDK's commands only). */
async function requestCosts(
  target: S3ObjectTarget,
  prefix: string,
): Promise<{ put: number; head: number }> {
  const body = randomBytes(SIZE);
  const contentMd5 = createHash('md5').update(body).digest('base64');
  const key = (i: number): string => `${prefix}/f-${i}.bin`;
  const put = (i: number): Promise<unknown> =>
    target.putObject({
      key: key(i),
      body,
      contentMd5,
      contentType: 'application/octet-stream',
    });
  await cpuPerCall(WARM_UP, put);
  const putMs = await cpuPerCall(OBJECTS, put);
  const head = async (i: number): Promise<void> => {
    const h = await target.headObject(key(i));
    if (h?.size !== SIZE) throw new Error(`${key(i)}: ${h?.size} bytes, expected ${SIZE}`);
  };
  await cpuPerCall(WARM_UP, head);
  return { put: putMs, head: await cpuPerCall(OBJECTS, head) };
}

async function main(): Promise<ObjectCost> {
  const { endpoint, bucket } = args;
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (endpoint === undefined || bucket === undefined)
    throw new Error('usage: object-cost --endpoint URL --bucket BUCKET [--objects N] [--rounds N]');
  if (accessKeyId === undefined || secretAccessKey === undefined)
    throw new Error('set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  const [host, address] = args.resolve?.split('=') ?? [];
  const { client, direct } = buildS3Connection({
    endpoint,
    region: args.region,
    forcePathStyle: !args['virtual-hosted'],
    accessKeyId,
    secretAccessKey,
    maxSockets: 2 * IN_FLIGHT,
    ...(args['ca-bundle'] === undefined ? {} : { ca: readFileSync(args['ca-bundle'], 'utf8') }),
    ...(host === undefined || address === undefined ? {} : { resolve: [{ host, address }] }),
  });
  if (direct === undefined) throw new Error(`no direct path for ${endpoint}`);
  const target = (withDirect: boolean): S3ObjectTarget =>
    new S3ObjectTarget({ client, bucket, endpoint, ...(withDirect ? { direct } : {}) });
  const dir = await mkdtemp(join(tmpdir(), 's3ferry-object-cost-'));
  const rounds: {
    files: number;
    put: number;
    head: number;
    journal: number;
    sdk?: { put: number; head: number };
  }[] = [];
  try {
    await journalRound({ files: WARM_UP, workers: IN_FLIGHT, synchronous: 'normal', agent: false });
    for (let r = 0; r < ROUNDS; r++) {
      const files = await filesCost(dir);
      const { put, head } = await requestCosts(target(true), `object-cost-${Date.now()}-${r}`);
      const sdk = args.sdk ? await requestCosts(target(false), `object-cost-sdk-${r}`) : undefined;
      const journal = (
        await journalRound({
          files: OBJECTS,
          workers: IN_FLIGHT,
          synchronous: 'normal',
          agent: false,
        })
      ).cpuMsPerFile;
      rounds.push({ files, put, head, journal, ...(sdk === undefined ? {} : { sdk }) });
    }
  } finally {
    client.destroy();
    await rm(dir, { recursive: true, force: true });
  }
  return {
    objects: OBJECTS,
    rounds: ROUNDS,
    filesMs: median(rounds.map((x) => x.files)),
    putMs: median(rounds.map((x) => x.put)),
    headMs: median(rounds.map((x) => x.head)),
    journalMs: median(rounds.map((x) => x.journal)),
    ...(args.sdk
      ? {
          sdkPutMs: median(rounds.map((x) => x.sdk?.put ?? Number.NaN)),
          sdkHeadMs: median(rounds.map((x) => x.sdk?.head ?? Number.NaN)),
        }
      : {}),
  };
}

process.stdout.write(`${JSON.stringify(await main())}\n`);
