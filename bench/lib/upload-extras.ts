/**
 * The figures of `npm run bench` around `s3ferry upload` (bench/run.ts runs them after the tool
 * comparison): where its CPU goes (`--extras profile`) and the bytes re-sent after a crash
 * (`--extras crash`).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import type { RunRecord } from './compare.js';
import { profileUpload } from './cpu-profile.js';
import { crashTrial } from './crash-resend.js';
import type { BenchOptions } from './options.js';
import type { BenchResults, Outcome } from './results.js';
import type { RgwInfo } from './rgw.js';
import { median } from './stats.js';
import { workloadDir, workloadFiles, type Workload } from './workloads.js';

/** What the extras share with the run. */
export interface Ctx {
  readonly opts: BenchOptions;
  readonly rgw: RgwInfo;
  readonly client: S3Client;
  readonly env: NodeJS.ProcessEnv;
  readonly workDir: string;
  readonly dataDir: string;
  readonly agentBucket: string;
  readonly log: (line: string) => void;
  /** Runs a part; a failure is logged and recorded with its reason. */
  readonly outcome: <T>(what: string, f: () => Promise<T>) => Promise<Outcome<T>>;
}

/** `node --cpu-prof` of one `s3ferry upload` of W1 and of W2 (those selected). */
export async function profiles(
  c: Ctx,
  selected: readonly Workload[],
): Promise<NonNullable<BenchResults['profiles']>> {
  const out: NonNullable<BenchResults['profiles']>[number][] = [];
  for (const w of selected.filter((s) => s.id === 'W1' || s.id === 'W2')) {
    c.log(`profiling s3ferry upload of ${w.id}`);
    const dir = join(c.workDir, 'profile', w.id);
    const summary = await c.outcome(`profile ${w.id}`, () =>
      profileUpload(
        [
          workloadDir(w, c.dataDir),
          '--to',
          `s3://${c.agentBucket}/profile-${w.id}/`,
          '--endpoint-url',
          c.rgw.endpoint,
          '--journal',
          join(dir, 'journal.db'),
          '--json',
        ],
        c.env,
        dir,
      ),
    );
    out.push({ workload: w.id, summary });
  }
  return out;
}

/** The crash trials on W1, one per round. */
export async function crash(
  c: Ctx,
  w1: Workload,
  runs: readonly RunRecord[],
): Promise<NonNullable<BenchResults['crash']>> {
  return c.outcome('crash', async () => {
    const file = join(workloadDir(w1, c.dataDir), workloadFiles(w1)[0]?.rel ?? '');
    let cleanSec = median(
      runs
        .filter((r) => r.workload === 'W1' && r.tool === 's3ferry' && r.verified)
        .map((r) => r.wallSec),
    );
    if (!Number.isFinite(cleanSec)) {
      const t0 = Date.now();
      const dir = join(c.workDir, 'crash', 'clean');
      await profileUpload(
        [
          file,
          '--to',
          `s3://${c.agentBucket}/clean/`,
          '--endpoint-url',
          c.rgw.endpoint,
          '--journal',
          join(dir, 'j.db'),
        ],
        c.env,
        dir,
      );
      cleanSec = (Date.now() - t0) / 1000;
    }
    const trials = [];
    for (let i = 1; i <= c.opts.rounds; i++) {
      const t = await crashTrial({
        client: c.client,
        rgw: c.rgw,
        bucket: c.agentBucket,
        env: c.env,
        file,
        size: w1.bytes,
        dir: join(c.workDir, 'crash', String(i)),
        cleanSec,
      });
      c.log(
        `crash ${i}: killed after ${t.killAfterSec.toFixed(2)} s; stored ${t.storedParts} parts; rerun sent ${t.partsSent}, reused ${t.partsReused}; re-sent ${(t.resentBytes / 1024 ** 2).toFixed(1)} MiB; verified ${String(t.verified)}`,
      );
      trials.push(t);
    }
    return trials;
  });
}
