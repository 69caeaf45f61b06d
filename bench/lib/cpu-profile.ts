/**
 * Where s3ferry's client CPU goes: `node --cpu-prof` on one `s3ferry upload` of a workload, the
 * profile's self time summed per function and per area (hashing, SDK signing, HTTP, SQLite, ...).
 * Only the main thread is sampled: libuv's file reads are not in it, GC is.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI_PATH } from './paths.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  /** Sampled time, idle included. */
  readonly totalMs: number;
  /** Sampled time the main thread was busy (shares are of this). */
  readonly busyMs: number;
  /** The functions with the most self time. */
  readonly top: readonly {
    name: string;
    where: string;
    ms: number;
    share: number;
    /** Where the time came from: the nearest caller outside Node's internals, top 3. */
    callers: readonly { caller: string; ms: number }[];
  }[];
  readonly areas: readonly { area: string; ms: number; share: number }[];
}

/** A module's area, by its URL (and the function for Node's own crypto and streams). */
export function areaOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === '(idle)') return 'idle (waiting for I/O)';
  if (fn === '(program)') return 'V8 (program)';
  if (/internal\/modules|internal\/bootstrap/.test(url)) return 'module loading (start-up)';
  if (
    /internal\/crypto\/hash|createHash/.test(url) ||
    (/^(update|digest)$/.test(fn) && url.includes('crypto'))
  )
    return 'hashing (node:crypto)';
  if (/@smithy\/signature-v4|@aws-sdk\/signature|sha256/.test(url)) return 'SigV4 signing (SDK)';
  if (/@smithy\/node-http-handler|node:_http|node:net|internal\/http|_http_/.test(url))
    return 'HTTP client';
  if (/@aws-sdk|@smithy/.test(url)) return 'AWS SDK (other)';
  if (/better-sqlite3|\/journal\//.test(url)) return 'journal (SQLite)';
  if (/node:internal\/fs|node:fs/.test(url)) return 'fs (main thread)';
  if (/node:internal\/streams|node:stream/.test(url)) return 'streams';
  if (/\/dist\/src\//.test(url)) return 's3ferry (own code)';
  if (url.startsWith('node:')) return 'node (other)';
  if (url === '' && /^(writev|writeBuffer|write\w*String)$/.test(fn))
    return 'socket writes (native)';
  if (url === '' && /^(openFileHandle|read|stat|lstat|close|open|readdir|fstat)$/.test(fn))
    return 'fs (main thread)';
  if (url === '') return 'native / V8 builtins';
  return 'other';
}

function frameName(f: ProfileNode['callFrame']): { name: string; where: string } {
  const name = f.functionName === '' ? '(anonymous)' : f.functionName;
  const file = f.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/');
  return { name, where: file === '' ? '' : `${file}:${f.lineNumber + 1}` };
}

/** The nearest ancestor of `id` whose code is not Node's own (node:*) or native. */
function callerOf(
  id: number,
  byId: ReadonlyMap<number, ProfileNode>,
  parent: ReadonlyMap<number, number>,
): string {
  for (let cur = parent.get(id); cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur)?.callFrame;
    if (f !== undefined && f.url !== '' && !f.url.startsWith('node:')) {
      const { name, where } = frameName(f);
      return `${name} (${where})`;
    }
  }
  return '(none)';
}

/** Sums self time per function and per area; the top `n` functions with their main callers. */
export function summarizeProfile(p: CpuProfile, n = 12): ProfileSummary {
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of p.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const fns = new Map<
    string,
    { name: string; where: string; us: number; callers: Map<string, number> }
  >();
  const areas = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id)?.callFrame;
    if (f === undefined) continue;
    total += us;
    const { name, where } = frameName(f);
    const key = `${name}@${where}`;
    const cur = fns.get(key) ?? { name, where, us: 0, callers: new Map<string, number>() };
    cur.us += us;
    const caller = callerOf(id, byId, parent);
    cur.callers.set(caller, (cur.callers.get(caller) ?? 0) + us);
    fns.set(key, cur);
    const area = areaOf(f.url, f.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const idle = areas.get('idle (waiting for I/O)') ?? 0;
  const busy = total - idle;
  const share = (us: number): number => (busy > 0 ? us / busy : 0);
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    top: [...fns.values()]
      .filter((f) => f.name !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, n)
      .map((f) => ({
        name: f.name,
        where: f.where,
        ms: f.us / 1000,
        share: share(f.us),
        callers: [...f.callers]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([caller, cus]) => ({ caller, ms: cus / 1000 })),
      })),
    areas: [...areas]
      .filter(([area]) => area !== 'idle (waiting for I/O)')
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, ms: us / 1000, share: share(us) })),
  };
}

/** Runs `s3ferry upload ARGS` under --cpu-prof (in `dir`) and summarises the profile. */
export async function profileUpload(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  dir: string,
): Promise<ProfileSummary> {
  await mkdir(dir, { recursive: true });
  const child = spawn(
    process.execPath,
    ['--cpu-prof', '--cpu-prof-dir', dir, CLI_PATH, 'upload', ...args],
    { env, stdio: 'ignore' },
  );
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`profiled upload exited ${String(code)}`);
  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile in ${dir}`);
  return summarizeProfile(JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile);
}
