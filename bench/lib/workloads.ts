/**
 * The four workloads of issue 7 and their data: random bytes (nothing compresses or dedupes), in
 * a directory of their own, generated once per run of the suite and shared by every tool. With
 * `--tls`, the small-file ones again over HTTPS with virtual-hosted addressing (W2T, W3T: the same
 * files, issue 14 item 9).
 */
import { randomFillSync } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeRandomFile } from '../../test/support/cli.js';

export const WORKLOAD_IDS = ['W1', 'W2', 'W3', 'W4', 'W2T', 'W3T'] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];

/** The workloads of a run without --workloads. */
export const DEFAULT_WORKLOADS: readonly WorkloadId[] = ['W1', 'W2', 'W3', 'W4'];

/** The twin over HTTPS, virtual-hosted, of each small-file workload (`--tls`). */
export const TLS_TWINS: Readonly<Partial<Record<WorkloadId, WorkloadId>>> = {
  W2: 'W2T',
  W3: 'W3T',
};

export const KIB = 1024;
export const MIB = 1024 * KIB;
export const GIB = 1024 * MIB;

/** How much --quick scales counts and the 1 GiB file down. */
export const QUICK_SCALE = 16;

/** `count` files of `size` bytes spread round-robin over `dirs` subdirectories (0: none). */
interface FileGroup {
  readonly dir: string;
  readonly count: number;
  readonly size: number;
  readonly dirs: number;
  /** The file's name when the group is one file. */
  readonly name?: string;
}

export interface Workload {
  readonly id: WorkloadId;
  readonly title: string;
  /** Small objects are judged in objects/s, large ones in MiB/s. */
  readonly unit: 'objects' | 'bytes';
  readonly groups: readonly FileGroup[];
  readonly objects: number;
  readonly bytes: number;
  /** The curl ceiling of a single big file is a multipart upload of these parts. */
  readonly ceilingPartSize?: number;
  /** Sent over HTTPS with virtual-hosted addressing (BUCKET.DNS-NAME of the bench RGW). */
  readonly tls?: true;
  /** The workload whose files this one sends (its data is generated once). */
  readonly dataOf?: WorkloadId;
}

function workload(
  id: WorkloadId,
  title: string,
  unit: Workload['unit'],
  groups: FileGroup[],
  ceilingPartSize?: number,
): Workload {
  return {
    id,
    title,
    unit,
    groups,
    objects: groups.reduce((s, g) => s + g.count, 0),
    bytes: groups.reduce((s, g) => s + g.count * g.size, 0),
    ...(ceilingPartSize === undefined ? {} : { ceilingPartSize }),
  };
}

/** `base` sent over HTTPS, virtual-hosted, as workload `id`. */
function overTls(id: WorkloadId, base: Workload): Workload {
  return {
    ...base,
    id,
    title: `${base.title}, over HTTPS, virtual-hosted`,
    tls: true,
    dataOf: base.id,
  };
}

/** The workloads at full size (scale 1), or scaled down 1/scale (counts and the 1 GiB file). */
export function workloads(scale: number): Record<WorkloadId, Workload> {
  const plain = plainWorkloads(scale);
  return { ...plain, W2T: overTls('W2T', plain.W2), W3T: overTls('W3T', plain.W3) };
}

function plainWorkloads(scale: number): Record<'W1' | 'W2' | 'W3' | 'W4', Workload> {
  const n = (count: number): number => Math.ceil(count / scale);
  const oneGiB = Math.ceil(GIB / scale);
  const fmt = (count: number): string => count.toLocaleString('en-US');
  return {
    W1: workload(
      'W1',
      `one ${oneGiB / MIB} MiB file`,
      'bytes',
      [{ dir: '', count: 1, size: oneGiB, dirs: 0, name: 'one-gib.bin' }],
      8 * MIB,
    ),
    W2: workload('W2', `${fmt(n(2000))} files of 4 KiB`, 'objects', [
      { dir: '', count: n(2000), size: 4 * KIB, dirs: 0 },
    ]),
    W3: workload('W3', `${fmt(n(10_000))} files of 4 KiB in ${n(100)} directories`, 'objects', [
      { dir: '', count: n(10_000), size: 4 * KIB, dirs: n(100) },
    ]),
    W4: workload('W4', `${n(200)} files of 1 MiB and ${n(20)} of 64 MiB`, 'bytes', [
      { dir: 'small', count: n(200), size: MIB, dirs: 0 },
      { dir: 'large', count: n(20), size: 64 * MIB, dirs: 0 },
    ]),
  };
}

/** One file of a workload: its path relative to the workload's directory, and its size. */
export interface WorkloadFile {
  readonly rel: string;
  readonly size: number;
}

/** Every file of `w`, in a stable order. */
export function workloadFiles(w: Workload): WorkloadFile[] {
  const out: WorkloadFile[] = [];
  for (const g of w.groups) {
    for (let i = 0; i < g.count; i++) {
      const sub = g.dirs > 0 ? `d${String(i % g.dirs).padStart(3, '0')}/` : '';
      const prefix = g.dir === '' ? '' : `${g.dir}/`;
      const name = g.name ?? `f${String(i).padStart(5, '0')}.bin`;
      out.push({ rel: `${prefix}${sub}${name}`, size: g.size });
    }
  }
  return out;
}

/** The parts of a big file for the curl ceiling: `<dir>.parts/pNNNN`, each `partSize` bytes or less. */
export function ceilingParts(w: Workload, dataDir: string): { path: string; size: number }[] {
  const file = workloadFiles(w)[0];
  if (w.ceilingPartSize === undefined || file === undefined) return [];
  const parts: { path: string; size: number }[] = [];
  for (let off = 0, n = 1; off < file.size; off += w.ceilingPartSize, n++) {
    const size = Math.min(w.ceilingPartSize, file.size - off);
    parts.push({ path: join(dataDir, `${w.id}.parts`, `p${String(n).padStart(5, '0')}`), size });
  }
  return parts;
}

/** The directory of a workload's data (shared by a TLS twin and its base). */
export function workloadDir(w: Workload, dataDir: string): string {
  return join(dataDir, w.dataOf ?? w.id);
}

/** Writes a workload's files (and the ceiling's parts of a big file) under dataDir. */
export async function generateWorkload(w: Workload, dataDir: string): Promise<void> {
  const root = workloadDir(w, dataDir);
  const dirs = new Set<string>();
  const small = Buffer.allocUnsafe(64 * KIB);
  for (const f of workloadFiles(w)) {
    const path = join(root, f.rel);
    const dir = path.slice(0, path.lastIndexOf('/'));
    if (!dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      dirs.add(dir);
    }
    if (f.size <= small.length) {
      randomFillSync(small, 0, f.size);
      await writeFile(path, small.subarray(0, f.size));
    } else {
      await writeRandomFile(path, f.size);
    }
  }
  await splitForCeiling(w, dataDir);
}

/** Copies the big file of W1 into its parts, so curl can PUT each part from a file of its own. */
async function splitForCeiling(w: Workload, dataDir: string): Promise<void> {
  const parts = ceilingParts(w, dataDir);
  const file = workloadFiles(w)[0];
  if (parts.length === 0 || file === undefined) return;
  await mkdir(join(dataDir, `${w.id}.parts`), { recursive: true });
  const src = await open(join(workloadDir(w, dataDir), file.rel), 'r');
  try {
    const buf = Buffer.allocUnsafe(w.ceilingPartSize ?? 0);
    let offset = 0;
    for (const p of parts) {
      const { bytesRead } = await src.read(buf, 0, p.size, offset);
      if (bytesRead !== p.size) throw new Error(`short read splitting ${file.rel}`);
      await writeFile(p.path, buf.subarray(0, p.size));
      offset += p.size;
    }
  } finally {
    await src.close();
  }
}
