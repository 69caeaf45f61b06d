/**
 * The crash torture's workload: a seeded plan of files of four kinds, written into the inbox while
 * the agent is being killed and restarted.
 * - small: 0 B to 256 KiB, written at once (single PUT);
 * - large: 5 to 17 MiB, written at once (multipart, 1 to 4 parts of 5 MiB);
 * - slow: up to 7 MiB, appended in 64 KiB steps every 50-250 ms (a recording being written: the
 *   agent must wait until it is finished);
 * - renamed: written as NAME.part (ignored), then renamed into place.
 * Some files go in subdirectories. Content is random; sizes, names and timing come from the seed.
 */
import { randomFillSync } from 'node:crypto';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../fault-proxy.js';

const KIB = 1024;
const MIB = 1024 * KIB;

export const FILE_KINDS = ['small', 'large', 'slow', 'renamed'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

export interface FileSpec {
  /** Path relative to the inbox, '/'-separated: also the object key. */
  readonly relPath: string;
  readonly kind: FileKind;
  readonly size: number;
  /** When to start writing it, ms after the workload starts. */
  readonly startAtMs: number;
}

export interface WorkloadPlan {
  readonly files: readonly FileSpec[];
  readonly totalBytes: number;
}

/**
 * Plans `count` files whose writing starts over `spreadMs`. About half are small, the rest split
 * between large, slow and renamed; the first file is always empty (0 bytes).
 */
export function planWorkload(count: number, spreadMs: number, seed: number): WorkloadPlan {
  const rnd = seededRandom(seed);
  const between = (lo: number, hi: number): number => Math.floor(lo + rnd() * (hi - lo + 1));
  const files: FileSpec[] = [];
  for (let i = 0; i < count; i += 1) {
    const r = rnd();
    const kind: FileKind = r < 0.5 ? 'small' : r < 0.7 ? 'large' : r < 0.85 ? 'slow' : 'renamed';
    const size =
      i === 0
        ? 0
        : kind === 'small'
          ? between(0, 256 * KIB)
          : kind === 'large'
            ? between(5 * MIB, 17 * MIB)
            : kind === 'slow'
              ? between(64 * KIB, 7 * MIB)
              : between(16 * KIB, 8 * MIB);
    const dir = rnd() < 0.3 ? `d${between(1, 3)}/` : '';
    files.push({
      relPath: `${dir}${kind}-${String(i).padStart(4, '0')}.bin`,
      kind,
      size,
      startAtMs: i === 0 ? 0 : Math.floor(rnd() * spreadMs),
    });
  }
  files.sort((a, b) => a.startAtMs - b.startAtMs);
  return { files, totalBytes: files.reduce((sum, f) => sum + f.size, 0) };
}

function randomChunk(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  randomFillSync(b);
  return b;
}

async function writeAtOnce(path: string, size: number): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (let written = 0; written < size;) {
      const n = Math.min(MIB, size - written);
      await handle.write(randomChunk(n));
      written += n;
    }
  } finally {
    await handle.close();
  }
}

async function writeSlowly(path: string, size: number, rnd: () => number): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (let written = 0; written < size;) {
      const n = Math.min(64 * KIB, size - written);
      await handle.write(randomChunk(n));
      written += n;
      // well within the agent's settle window: the file never looks finished before it is
      await sleep(50 + Math.floor(rnd() * 200));
    }
  } finally {
    await handle.close();
  }
}

async function writeOne(inbox: string, f: FileSpec, rnd: () => number): Promise<void> {
  const path = join(inbox, f.relPath);
  await mkdir(dirname(path), { recursive: true });
  switch (f.kind) {
    case 'small':
      await writeFile(path, randomChunk(f.size));
      return;
    case 'large':
      await writeAtOnce(path, f.size);
      return;
    case 'slow':
      await writeSlowly(path, f.size, rnd);
      return;
    case 'renamed':
      await writeAtOnce(`${path}.part`, f.size);
      await rename(`${path}.part`, path);
      return;
  }
}

/** Writes the plan into `inbox`, each file at its time; resolves when every file is in place. */
export async function writeWorkload(
  inbox: string,
  plan: WorkloadPlan,
  seed: number,
  signal?: AbortSignal,
): Promise<void> {
  const rnd = seededRandom(seed ^ 0x5eed);
  const t0 = Date.now();
  const writing: Promise<void>[] = [];
  for (const f of plan.files) {
    const wait = f.startAtMs - (Date.now() - t0);
    if (wait > 0) await sleep(wait, undefined, { signal });
    writing.push(writeOne(inbox, f, rnd));
  }
  await Promise.all(writing);
}
