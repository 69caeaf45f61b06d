/**
 * What Content-MD5 alone costs the client on this machine, and what that leaves of the W1 CPU
 * target (client CPU per GiB <= 0.5x the AWS CLI's).
 *
 * Every s3ferry request carries Content-MD5 (issue 7 keeps it), so one MD5 pass over every byte is
 * a floor under its CPU per GiB that no change of s3ferry's own code removes: node's MD5 is
 * OpenSSL's, one stream at a time. The bench measures it once per run, in its own process.
 */
import { createHash } from 'node:crypto';
import type { BenchResults, WorkloadFigures } from './results.js';

const CHUNK = 16 * 1024 * 1024;
const PASS_BYTES = 256 * 1024 * 1024;

/**
 * CPU seconds per GiB of one MD5 pass (node:crypto), the best of three passes of 256 MiB: the
 * least disturbed by other processes.
 */
export function measureMd5SecPerGiB(): number {
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  let best = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 3; pass += 1) {
    const before = process.cpuUsage();
    const hash = createHash('md5');
    for (let done = 0; done < PASS_BYTES; done += CHUNK) hash.update(chunk);
    hash.digest();
    const used = process.cpuUsage(before);
    best = Math.min(best, ((used.user + used.system) / 1e6) * (1024 ** 3 / PASS_BYTES));
  }
  return best;
}

const s = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)} s` : 'n/a');

/**
 * One sentence (Markdown) under W1: the MD5 floor, s3ferry's CPU per GiB beside it, and what the
 * 0.5x-the-AWS-CLI target leaves for everything else. Undefined without the measurement (results
 * older than it) or for other workloads.
 */
export function md5FloorSentence(r: BenchResults, f: WorkloadFigures): string | undefined {
  const md5 = r.machine.md5SecPerGiB;
  if (md5 === undefined || f.workload.id !== 'W1') return undefined;
  const own = f.tools.s3ferry.cpuPerGiB;
  const budget = 0.5 * f.tools.aws.cpuPerGiB;
  return (
    `Content-MD5, which every s3ferry request carries, costs **${s(md5)} of CPU per GiB** on this machine by itself ` +
    `(one pass of node's MD5, measured at the start of the run); s3ferry used ${s(own)} per GiB in all, ` +
    `${s(own - md5)} besides the hash (reading the file, sending it, the rest). ` +
    `The target, 0.5x the AWS CLI's ${s(f.tools.aws.cpuPerGiB)}, is ${s(budget)} per GiB: ` +
    `${budget > md5 ? `${s(budget - md5)} for everything but the hash` : '**less than the hash alone**'}.`
  );
}
