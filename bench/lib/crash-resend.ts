/**
 * Bytes re-sent after a crash: `s3ferry upload` of W1 is SIGKILLed at a random point, the parts
 * the store holds are listed (ListParts), and the same command is run again. Whatever the rerun
 * sends beyond the bytes the store lacked was sent twice: resent = bytesSent(rerun) - (size -
 * stored). Parts in flight at the kill are lost by nature and show up here.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_PATH } from './paths.js';
import type { RgwInfo } from './rgw.js';
import { deletePrefix, listPrefix, storedPartBytes } from './s3-check.js';

export interface CrashTrial {
  readonly killAfterSec: number;
  /** Of the clean upload's duration. */
  readonly killFraction: number;
  readonly storedParts: number;
  readonly storedBytes: number;
  readonly partsSent: number;
  readonly partsReused: number;
  readonly bytesSent: number;
  readonly resentBytes: number;
  readonly verified: boolean;
}

interface UploadOutcome {
  readonly code: number | null;
  readonly events: Record<string, unknown>[];
}

async function upload(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  outFile: string,
  killAfterMs?: number,
): Promise<UploadOutcome> {
  const out = await open(outFile, 'w');
  const child = spawn(process.execPath, [CLI_PATH, 'upload', ...args], {
    env,
    stdio: ['ignore', out.fd, out.fd],
  });
  await out.close();
  const timer =
    killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  const events = (await readFile(outFile, 'utf8'))
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, events };
}

export async function crashTrial(o: {
  client: S3Client;
  rgw: RgwInfo;
  bucket: string;
  env: NodeJS.ProcessEnv;
  file: string;
  size: number;
  dir: string;
  /** Seconds a clean upload of the file takes (where the random kill point is drawn). */
  cleanSec: number;
}): Promise<CrashTrial> {
  await mkdir(o.dir, { recursive: true });
  const prefix = `crash-${randomBytes(3).toString('hex')}/`;
  const args = [
    o.file,
    '--to',
    `s3://${o.bucket}/${prefix}`,
    '--endpoint-url',
    o.rgw.endpoint,
    '--journal',
    join(o.dir, 'journal.db'),
    '--json',
  ];
  const killFraction = 0.15 + Math.random() * 0.7;
  const killAfterMs = Math.round(o.cleanSec * 1000 * killFraction);
  const first = await upload(args, o.env, join(o.dir, 'killed.log'), killAfterMs);
  if (first.code === 0) throw new Error('the upload finished before it could be killed');
  await sleep(500); // requests the store still had in hand settle
  const stored = await storedPartBytes(o.client, o.bucket, prefix);
  const second = await upload(args, o.env, join(o.dir, 'rerun.log'));
  const finished = second.events.find((e) => e.type === 'upload.finished') ?? {};
  const summary = second.events.find((e) => e.type === 'summary') ?? {};
  const listed = await listPrefix(o.client, o.bucket, prefix);
  const bytesSent = Number(summary.bytesSent ?? Number.NaN);
  const trial = {
    killAfterSec: killAfterMs / 1000,
    killFraction,
    storedParts: stored.parts,
    storedBytes: stored.bytes,
    partsSent: Number(finished.partsSent ?? Number.NaN),
    partsReused: Number(finished.partsReused ?? Number.NaN),
    bytesSent,
    resentBytes: bytesSent - (o.size - stored.bytes),
    verified: second.code === 0 && listed.objects === 1 && listed.bytes === o.size,
  };
  await deletePrefix(o.client, o.bucket, prefix);
  return trial;
}
