/** The crash torture's figures as text, and the list of broken promises (empty: all kept). */
import type { TortureReport } from './harness.js';

const MIB = 1024 * 1024;
const mib = (n: number): string => `${(n / MIB).toFixed(1)} MiB`;

/** Every promise the report shows broken, in words; empty when all hold. */
export function brokenPromises(r: TortureReport): string[] {
  const v = r.verdict;
  const a = r.accounting;
  const out: string[] = [];
  if (v.files !== r.files) out.push(`${v.files} files in the inbox, ${r.files} planned`);
  for (const w of v.wrong) out.push(`wrong or missing object: ${w}`);
  for (const e of v.extra) out.push(`extra object: ${e}`);
  if (v.incompleteUploads > 0)
    out.push(`${v.incompleteUploads} incomplete multipart upload(s) left`);
  for (const f of v.notDone) out.push(`not done in the journal: ${f}`);
  const bound = r.concurrency * r.partSize;
  for (const c of a.perCrash) {
    if (c.requests > r.concurrency || c.bytes > bound)
      out.push(
        `crash ${c.session} cost ${c.requests} request(s), ${mib(c.bytes)}: more than the ${r.concurrency} requests (${mib(bound)}) that can be in flight`,
      );
  }
  for (const e of a.unexplained)
    out.push(
      `session ${e.session} (not killed) sent ${e.operation} ${e.key}${e.partNumber === undefined ? '' : ` part ${e.partNumber}`} again`,
    );
  for (const s of r.selfExits) out.push(`the agent of session ${s} exited by itself`);
  return out;
}

/** The figures, one per line. */
export function formatReport(r: TortureReport): string {
  const v = r.verdict;
  const a = r.accounting;
  const costs = a.perCrash.map((c) => c.bytes).sort((x, y) => x - y);
  const maxCost = a.perCrash.reduce((m, c) => (c.bytes > m.bytes ? c : m), {
    session: 0,
    requests: 0,
    bytes: 0,
  });
  const mean = r.kills === 0 ? 0 : a.bytesResent / r.kills;
  const median = costs.length === 0 ? 0 : (costs[Math.floor(costs.length / 2)] ?? 0);
  const k = r.filesByKind;
  const broken = brokenPromises(r);
  return [
    `s3ferry crash torture, seed ${r.seed}: ${broken.length === 0 ? 'PASSED' : 'FAILED'}`,
    `kills:         ${r.kills} SIGKILLs (${r.killsDuringStartup} during start-up; ${a.crashesMidUpload} cut uploads in flight)`,
    `files:         ${r.files} (${k.small} small, ${k.large} large, ${k.slow} written slowly, ${k.renamed} renamed into place), ${mib(r.bytes)}`,
    `objects:       ${v.objects}; ${v.files - v.wrong.length}/${v.files} with the file's sha256; ${v.extra.length} extra; ${v.incompleteUploads} incomplete multipart uploads; ${v.probeLeftovers.length} scratch object(s) of probes cut by a kill`,
    `journal:       ${Object.entries(v.journalStates)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ')}`,
    `bytes sent:    ${mib(a.bytesSent)} for ${mib(r.bytes)} of data (${r.bytes === 0 ? '-' : (a.bytesSent / r.bytes).toFixed(3)}x)`,
    `re-sent:       ${mib(a.bytesResent)} in all; per crash mean ${mib(mean)}, median of the ${costs.length} costly ones ${mib(median)}, max ${mib(maxCost.bytes)} (${maxCost.requests} requests, session ${maxCost.session}); bound ${r.concurrency} x ${mib(r.partSize)}`,
    `not by crash:  ${a.unexplained.length} request(s) sent again in sessions that were not killed`,
    `duration:      ${(r.durationMs / 1000).toFixed(0)} s${r.dir === undefined ? '' : `; kept in ${r.dir}`}`,
    ...broken.map((b) => `BROKEN: ${b}`),
  ].join('\n');
}
