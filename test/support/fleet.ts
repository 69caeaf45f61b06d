/**
 * Fleet tests (several `s3ferry run` processes sharing one PostgreSQL journal): their YAML, many
 * small files, and what the shared journal says about a delivery, read straight from its tables
 * (who began which upload, how many uploads per key, the history rows per file), as an operator
 * would check it with psql.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { objectDigest } from './cli.js';
import { listAllMultipartUploads, listAllObjects } from './s3-server.js';
import { listFiles } from './torture/verify.js';

/** One agent of a fleet: its API port, the shared journal and source, one job. */
export function fleetYaml(o: {
  port: number;
  journal: string;
  inbox: string;
  bucket: string;
  endpoint: string;
  /** Claims hold this long without a heartbeat, e.g. '3s'. */
  lease: string;
  settle?: string;
  /** Extra lines under `destination:` (indented by 6 spaces). */
  destination?: string;
  /** Extra lines of the job, e.g. its after-action (indented by 4 spaces). */
  job?: string;
}): string {
  return `api:
  port: ${o.port}
journal: ${o.journal}
lease: ${o.lease}
log:
  level: info
jobs:
  - name: inbox
    sources: [${JSON.stringify(o.inbox)}]
    settle: ${o.settle ?? '1s'}
${o.job ?? ''}    destination:
      bucket: ${o.bucket}
      endpoint: ${o.endpoint}
${o.destination ?? ''}`;
}

/**
 * Writes `count` small files of distinct random content (100 to 4,000 bytes) under `dir`, spread
 * over sub-directories of 100, named from `first` on; returns their paths relative to `dir`.
 */
export async function writeSmallFiles(
  dir: string,
  first: number,
  count: number,
): Promise<string[]> {
  const out: string[] = [];
  for (let i = first; i < first + count; i++) {
    const rel = `d${String(Math.floor(i / 100)).padStart(2, '0')}/f${String(i).padStart(5, '0')}.bin`;
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), randomBytes(100 + ((i * 37) % 3900)));
    out.push(rel);
  }
  return out;
}

/** Runs `fn` with a client of the journal's database. */
export async function withJournalDb<T>(url: string, fn: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: url });
  db.on('error', () => undefined);
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end().catch(() => undefined);
  }
}

/** How many files of the journal are 'done'. */
export function countDone(url: string): Promise<number> {
  return withJournalDb(url, async (db) => {
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM files WHERE state = 'done'`,
    );
    return Number(rows[0]?.n ?? 0);
  });
}

/** What the shared journal says about the delivery of a set of files. */
export interface FleetJournalReport {
  /** Everything that is not exactly once: empty when all is well. */
  readonly problems: string[];
  /** Uploads per agent (the agent that began each, `uploads.owner`). */
  readonly uploadsByOwner: ReadonlyMap<string, number>;
}

/**
 * Checks the journal after a fleet delivered `paths` (absolute) to `keyOf(path)`: every file known
 * once and 'done'; exactly one history row per file and it is 'done'; exactly one upload per key
 * (no second PUT or multipart upload of the same file), verified; nothing else.
 */
export function fleetJournalReport(
  url: string,
  paths: readonly string[],
  keyOf: (path: string) => string,
): Promise<FleetJournalReport> {
  return withJournalDb(url, async (db) => {
    const problems: string[] = [];
    const wanted = new Set(paths);
    const files = await db.query<{ path: string; state: string }>('SELECT path, state FROM files');
    const seen = new Set<string>();
    for (const f of files.rows) {
      if (!wanted.has(f.path)) problems.push(`files: unexpected ${f.path}`);
      if (seen.has(f.path)) problems.push(`files: ${f.path} twice`);
      seen.add(f.path);
      if (f.state !== 'done') problems.push(`files: ${f.path} is ${f.state}`);
    }
    for (const p of paths) if (!seen.has(p)) problems.push(`files: ${p} missing`);

    const history = await db.query<{ source_path: string; result: string; n: string }>(
      'SELECT source_path, result, count(*) AS n FROM history GROUP BY source_path, result',
    );
    const done = new Map<string, number>();
    for (const h of history.rows) {
      if (h.result !== 'done')
        problems.push(`history: ${h.n} '${h.result}' row(s) of ${h.source_path}`);
      else done.set(h.source_path, Number(h.n));
    }
    for (const p of paths) {
      const n = done.get(p) ?? 0;
      if (n !== 1) problems.push(`history: ${n} 'done' rows of ${p}`);
    }
    for (const p of done.keys()) if (!wanted.has(p)) problems.push(`history: unexpected ${p}`);

    const uploads = await db.query<{ object_key: string; state: string; owner: string }>(
      'SELECT object_key, state, owner FROM uploads ORDER BY id',
    );
    const perKey = new Map<string, number>();
    const uploadsByOwner = new Map<string, number>();
    for (const u of uploads.rows) {
      perKey.set(u.object_key, (perKey.get(u.object_key) ?? 0) + 1);
      uploadsByOwner.set(u.owner, (uploadsByOwner.get(u.owner) ?? 0) + 1);
      if (u.state !== 'verified') problems.push(`uploads: ${u.object_key} is ${u.state}`);
    }
    const keys = new Set(paths.map(keyOf));
    for (const k of keys) {
      const n = perKey.get(k) ?? 0;
      if (n !== 1) problems.push(`uploads: ${n} uploads of ${k}`);
    }
    for (const k of perKey.keys()) if (!keys.has(k)) problems.push(`uploads: unexpected ${k}`);
    return { problems, uploadsByOwner };
  });
}

/**
 * What is wrong with the delivery of every file under `dir` to `bucket` (key = relative path):
 * missing or different objects (sha256 of the bytes), extra objects, multipart uploads left. The
 * same checks as torture/delivery.ts's deliveryProblems, 16 objects at a time (thousands of
 * small files would take minutes one by one). Empty when all is well.
 */
export async function fleetDeliveryProblems(
  client: S3Client,
  bucket: string,
  dir: string,
): Promise<string[]> {
  const problems: string[] = [];
  const files = await listFiles(dir);
  const keys = new Set((await listAllObjects(client, bucket)).map((o) => o.key));
  const pending = [...files];
  const check = async (): Promise<void> => {
    for (let f = pending.pop(); f !== undefined; f = pending.pop()) {
      if (!keys.has(f)) {
        problems.push(`missing ${f}`);
        continue;
      }
      const local = createHash('sha256')
        .update(await readFile(join(dir, f)))
        .digest('hex');
      if ((await objectDigest(client, bucket, f)).sha256 !== local) problems.push(`${f} differs`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, check));
  const wanted = new Set(files);
  for (const k of keys) if (!wanted.has(k)) problems.push(`extra object ${k}`);
  for (const u of await listAllMultipartUploads(client, bucket))
    problems.push(`multipart upload left: ${u.key} ${u.uploadId}`);
  return problems.sort();
}
