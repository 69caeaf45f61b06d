/** The report's sections on the agent and the CPU profiles, and the formatting they share. */
import type { BenchResults } from './results.js';

/** A number with `d` decimals; 'n/a' when it is not one. */
export const n = (v: number, d = 2): string => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
/** A whole number with thousands separators; 'n/a' when it is not one. */
export const int = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a';

/** A Markdown table (Prettier aligns it when the report is written). */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The agent's sections: latency, the million files, the crash's re-sent bytes. */
export function agentSections(r: BenchResults): string[] {
  const out: string[] = [];
  if (r.latency !== undefined) {
    out.push('## Agent: file finished -> object visible', '');
    const l = r.latency;
    if (!l.ok) out.push(`Failed: ${l.error}`, '');
    else
      out.push(
        `${l.value.files} files of ${l.value.fileBytes / 1024} KiB written one by one, ${l.value.intervalMs} ms apart, into a watched directory (settle ${l.value.settleMs} ms). Latency = the agent's \`file.done\` (logged after HeadObject verified the object) minus the moment the writer closed the file, minus the settle window.`,
        '',
        table(
          ['p50', 'p99', 'max', 'agent peak RSS'],
          [
            [
              `settle + ${int(l.value.p50Ms)} ms`,
              `settle + ${int(l.value.p99Ms)} ms`,
              `settle + ${int(l.value.maxMs)} ms`,
              `${n(l.value.agentPeakRssMiB, 0)} MiB`,
            ],
          ],
        ),
        '',
      );
  }
  if (r.journal !== undefined) {
    out.push('## Agent: discovering and journaling many files', '');
    const j = r.journal;
    if (!j.ok) out.push(`Failed: ${j.error}`, '');
    else
      out.push(
        `A \`mode: scan\` job started paused (files are queued, none uploaded) on ${int(j.value.files)} empty files in directories of 1,000 (created in ${n(j.value.createSeconds, 1)} s beforehand). Time from the agent's start until \`/api/v1/status\` counts every file past settling; peak RSS is the agent's VmHWM.`,
        '',
        table(
          ['files journaled', 'seconds', 'files/s', 'API up after s', 'peak RSS MiB', 'complete'],
          [
            [
              int(j.value.journaled),
              n(j.value.seconds, 1),
              int(j.value.filesPerSec),
              n(j.value.apiSeconds, 1),
              n(j.value.peakRssMiB, 0),
              j.value.timedOut ? '**no, timed out**' : 'yes',
            ],
          ],
        ),
        '',
      );
  }
  if (r.crash !== undefined) {
    out.push('## Bytes re-sent after a crash (W1)', '');
    const c = r.crash;
    if (!c.ok) out.push(`Failed: ${c.error}`, '');
    else
      out.push(
        "`s3ferry upload` of W1 SIGKILLed at a random point of a clean upload's duration, then run again with the same journal. Stored = the parts the store held after the kill (ListParts). Sent twice = bytes the rerun sent although the store already held them (ideally 0). The parts in flight at the kill (at most part buffers x part size, 6 x 8 MiB by default) are lost by nature and sent again by the rerun: they are in 'rerun MiB sent' but not in 'stored'.",
        '',
        table(
          [
            'killed after',
            'parts stored',
            'MiB stored',
            'rerun: parts sent / reused',
            'rerun MiB sent',
            'MiB sent twice',
            'verified',
          ],
          c.value.map((t) => [
            `${n(t.killAfterSec)} s (${int(t.killFraction * 100)} %)`,
            int(t.storedParts),
            n(t.storedBytes / 1024 ** 2, 1),
            `${int(t.partsSent)} / ${int(t.partsReused)}`,
            n(t.bytesSent / 1024 ** 2, 1),
            n(t.resentBytes / 1024 ** 2, 1),
            t.verified ? 'yes' : '**no**',
          ]),
        ),
        '',
      );
  }
  return out;
}

/** Where s3ferry's client CPU goes (`--extras profile`). */
export function profileSections(r: BenchResults): string[] {
  if (r.profiles === undefined || r.profiles.length === 0) return [];
  const out: string[] = ["## Where s3ferry's client CPU goes", ''];
  out.push(
    '`node --cpu-prof` on one `s3ferry upload` per workload (main thread only: file reads on the libuv pool are not sampled). Self time per area and the functions with the most self time, as shares of the time the main thread was busy (idle left out); start-up (module loading, opening the journal) is included.',
    '',
  );
  for (const p of r.profiles) {
    out.push(`### ${p.workload}`, '');
    if (!p.summary.ok) {
      out.push(`Failed: ${p.summary.error}`, '');
      continue;
    }
    const s = p.summary.value;
    out.push(
      `Main thread busy ${int(s.busyMs)} ms of ${int(s.totalMs)} ms sampled.`,
      '',
      table(
        ['area', 'ms', 'share'],
        s.areas.map((a) => [a.area, int(a.ms), `${n(a.share * 100, 1)} %`]),
      ),
      '',
      table(
        ['function', 'where', 'self ms', 'share', 'called from (ms)'],
        s.top.map((t) => [
          `\`${t.name}\``,
          t.where === '' ? '' : `\`${t.where}\``,
          int(t.ms),
          `${n(t.share * 100, 1)} %`,
          t.callers.map((c) => `\`${c.caller}\` ${int(c.ms)}`).join('<br>'),
        ]),
      ),
      '',
    );
  }
  return out;
}
