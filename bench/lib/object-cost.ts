/**
 * Where a small object's client CPU goes: the parts of an upload measured apart
 * (bench/object-cost.ts, run in its own process against the bench RGW) and set beside s3ferry's
 * and rclone's whole CPU per object in W2. The HeadObject and the journal are parts the design
 * asks of every object (DESIGN.md items 6, 9 and 10); the table shows what they leave of the
 * "client CPU per 1,000 objects <= rclone's" target for everything else.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BENCH_DIST } from './paths.js';
import type { BenchResults, WorkloadFigures } from './results.js';
import type { RgwInfo } from './rgw.js';

/** CPU ms per object of each part (medians of the rounds). */
export interface ObjectCost {
  readonly objects: number;
  readonly rounds: number;
  /** stat, open, read, fstat, close of a 4 KiB file. */
  readonly filesMs: number;
  /** One 4 KiB PutObject through the direct path. */
  readonly putMs: number;
  /** One HeadObject through the direct path. */
  readonly headMs: number;
  /** The journal's calls of one single-PUT upload. */
  readonly journalMs: number;
  /** With --sdk: one PutObject and one HeadObject through the SDK's commands. */
  readonly sdkPutMs?: number;
  readonly sdkHeadMs?: number;
}

/** Runs bench/object-cost.ts against `rgw` (objects go to `bucket`). */
export async function measureObjectCost(
  rgw: RgwInfo,
  bucket: string,
  env: NodeJS.ProcessEnv,
): Promise<ObjectCost> {
  const args = ['--endpoint', rgw.endpoint, '--bucket', bucket, '--region', rgw.region];
  // A failure rejects with the command's stderr in its message.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(BENCH_DIST, 'object-cost.js'), ...args],
    {
      env: {
        ...env,
        AWS_ACCESS_KEY_ID: rgw.accessKeyId,
        AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
      },
    },
  );
  return JSON.parse(stdout) as ObjectCost;
}

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

/**
 * The lines (Markdown) under W2: the parts, their sum, s3ferry's and rclone's whole CPU per object,
 * and what the design's parts leave of the target. Empty without the figures or for other
 * workloads.
 */
export function objectCostLines(r: BenchResults, f: WorkloadFigures): string[] {
  const cost = r.objectCost;
  if (cost === undefined || f.workload.id !== 'W2') return [];
  if (!cost.ok) return [`Per-object CPU parts: failed: ${cost.error}`, ''];
  const c = cost.value;
  const whole = f.tools.s3ferry.cpuPer1000;
  const rcloneRuns = (['rclone', 'rclone-tuned'] as const).filter((t) => f.tools[t].runs > 0);
  const rclone = Math.min(...rcloneRuns.map((t) => f.tools[t].cpuPer1000));
  const design = c.headMs + c.journalMs;
  const sum = c.filesMs + c.putMs + design;
  const rows: [string, string][] = [
    ['files: stat, open, read, fstat, close (4 KiB)', ms(c.filesMs)],
    ['PutObject of 4 KiB with Content-MD5 (direct path, signed)', ms(c.putMs)],
    ['HeadObject: the verification (DESIGN.md item 9)', ms(c.headMs)],
    [
      'journal: intent, part, completion, two events, history (DESIGN.md items 6 and 10)',
      ms(c.journalMs),
    ],
    ['sum of the parts', ms(sum)],
    ["s3ferry upload's whole CPU per object in W2 (start-up included)", ms(whole)],
    ['the rest: start-up, MD5, scheduling, events, promises', ms(whole - sum)],
  ];
  if (Number.isFinite(rclone))
    rows.push(['rclone (the lower of default and tuned), whole', ms(rclone)]);
  const left = rclone - design;
  return [
    `Where a small object's client CPU goes: each part measured apart (\`bench/object-cost.ts\`, ${c.objects} objects, 16 in flight, median of ${c.rounds} rounds, CPU ms per object):`,
    '',
    '| part | CPU ms per object |',
    '| --- | --- |',
    ...rows.map(([a, b]) => `| ${a} | ${b} |`),
    '',
    Number.isFinite(rclone)
      ? `The HeadObject and the journal, which the design asks of every object, cost ${ms(design)} ms per object: ${((100 * design) / rclone).toFixed(0)} % of rclone's whole CPU per object. Client CPU per 1,000 objects <= rclone's leaves ${left > 0 ? `${ms(left)} ms` : '**nothing**'} per object for the file, the PUT and everything else; the file and the PUT alone take ${ms(c.filesMs + c.putMs)} ms.`
      : 'No rclone run to compare with.',
    '',
  ];
}
