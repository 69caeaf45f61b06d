/**
 * What the TLS workloads (W2T, W3T) need before their runs: rclone's names in /etc/hosts
 * (hosts-file.ts), and the tools that can run them on this machine. Without root the names cannot
 * be added: the TLS workloads then run s3ferry and curl only, and the log says why.
 */
import { addBenchHosts, removeBenchHosts } from './hosts-file.js';
import type { RgwInfo } from './rgw.js';
import { TLS_TOOLS, type ToolId } from './tools.js';
import type { Workload } from './workloads.js';

export interface TlsRuns {
  /** The tools of the TLS workloads. */
  readonly tools: readonly ToolId[];
  /** Removes what was added (idempotent). */
  cleanup(): Promise<void>;
}

/** The names the TLS workloads' buckets are reached at: BUCKET.DNS-NAME, and DNS-NAME itself. */
export function tlsHostNames(
  rgw: RgwInfo,
  workloads: readonly Workload[],
  bucketOf: (id: string) => string,
): string[] {
  const dns = rgw.tls?.dnsName;
  if (dns === undefined) return [];
  const buckets = workloads.filter((w) => w.tls === true).map((w) => `${bucketOf(w.id)}.${dns}`);
  return buckets.length === 0 ? [] : [dns, ...buckets];
}

export async function prepareTlsRuns(
  rgw: RgwInfo,
  workloads: readonly Workload[],
  bucketOf: (id: string) => string,
  log: (line: string) => void,
): Promise<TlsRuns> {
  const names = tlsHostNames(rgw, workloads, bucketOf);
  if (names.length === 0) return { tools: TLS_TOOLS, cleanup: () => Promise.resolve() };
  await removeBenchHosts(); // what an interrupted run left behind
  if (!(await addBenchHosts(names))) {
    log('not root: the TLS workloads run without rclone (its names need /etc/hosts entries)');
    return {
      tools: TLS_TOOLS.filter((t) => !t.startsWith('rclone')),
      cleanup: () => Promise.resolve(),
    };
  }
  log(`added ${names.length} names of the TLS workloads to /etc/hosts (for rclone) until the end`);
  return { tools: TLS_TOOLS, cleanup: () => removeBenchHosts() };
}
