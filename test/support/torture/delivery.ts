/**
 * A small mixed workload and the check that it was delivered, shared by the fault, outage and
 * bad-input scenarios: every file has its object with the same sha256, there is no other object
 * under the prefix, and no multipart upload was left behind.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileSha256, objectDigest, writeRandomFile } from '../cli.js';
import { listAllMultipartUploads, listAllObjects } from '../s3-server.js';
import { listFiles } from './verify.js';

const MIB = 1024 * 1024;

/** Sizes of the sample workload: empty, small, just under and over the 5 MiB part size. */
export const SAMPLE_SIZES: Readonly<Record<string, number>> = {
  'empty.txt': 0,
  'a.txt': 1000,
  'docs/b.json': 100_000,
  'docs/c.bin': 5 * MIB - 1,
  'big/d.bin': 11 * MIB + 17,
  'big/e.bin': 16 * MIB,
};

/** Writes the sample workload (or the given sizes) under `dir`; returns the relative paths. */
export async function writeSampleFiles(
  dir: string,
  sizes: Readonly<Record<string, number>> = SAMPLE_SIZES,
): Promise<string[]> {
  for (const [rel, size] of Object.entries(sizes)) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    if (size < MIB) await writeFile(path, randomBytes(size));
    else await writeRandomFile(path, size);
  }
  return Object.keys(sizes).sort();
}

/**
 * What is wrong with the delivery of every file under `dir` to `bucket` under `prefix` (keys =
 * prefix + relative path): missing or different objects, extra objects under the prefix,
 * multipart uploads left. Empty when all is well.
 */
export async function deliveryProblems(
  client: S3Client,
  bucket: string,
  prefix: string,
  dir: string,
): Promise<string[]> {
  const problems: string[] = [];
  const files = await listFiles(dir);
  const objects = (await listAllObjects(client, bucket)).filter((o) => o.key.startsWith(prefix));
  const keys = new Set(objects.map((o) => o.key));
  for (const f of files) {
    const key = `${prefix}${f}`;
    if (!keys.has(key)) {
      problems.push(`missing ${key}`);
      continue;
    }
    const [local, remote] = await Promise.all([
      fileSha256(join(dir, f)),
      objectDigest(client, bucket, key),
    ]);
    if (local !== remote.sha256) problems.push(`${key} differs from ${f}`);
  }
  const wanted = new Set(files.map((f) => `${prefix}${f}`));
  for (const o of objects) if (!wanted.has(o.key)) problems.push(`extra object ${o.key}`);
  const left = (await listAllMultipartUploads(client, bucket)).filter((u) =>
    u.key.startsWith(prefix),
  );
  for (const u of left) problems.push(`multipart upload left: ${u.key} ${u.uploadId}`);
  return problems;
}
