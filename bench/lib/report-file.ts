/**
 * Writing the report of `npm run bench`: docs/benchmarks.md (or --out) formatted as the project's
 * Prettier settings want it, with the Fleet section of `npm run bench:fleet` carried over.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as prettier from 'prettier';
import { FLEET_END, FLEET_START, withFleetSection } from './fleet-report.js';
import { REPO_ROOT } from './paths.js';
import { renderReport } from './report.js';
import type { BenchResults } from './results.js';

/** `text` as the project's Prettier settings format it (so `npm run format:check` passes). */
export async function formatted(path: string, text: string): Promise<string> {
  const options = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(text, { ...options, filepath: path });
}

/** The baseline checkout and its commit: from git, or from DIR/.baseline-commit for a copy. */
export async function baselineVersion(dir: string): Promise<string> {
  const fromGit = await new Promise<string>((done) => {
    execFile('git', ['-C', dir, 'rev-parse', '--short=12', 'HEAD'], (err, out) => {
      done(err === null ? out.trim() : '');
    });
  });
  const head =
    fromGit || (await readFile(join(dir, '.baseline-commit'), 'utf8').catch(() => '')).trim();
  return `${resolve(dir)}${head === '' ? '' : ` (commit ${head.slice(0, 12)})`}`;
}

/**
 * Writes the report of `results` to `out`, with bench/optimizations.md as it is now. The Fleet
 * section that `npm run bench:fleet` keeps in the same file is carried over as it is.
 */
export async function writeReport(out: string, results: BenchResults): Promise<void> {
  // What was optimised and what each change bought: kept by hand, read when the report is written.
  const notes = await readFile(join(REPO_ROOT, 'bench', 'optimizations.md'), 'utf8').catch(
    () => undefined,
  );
  const current = await readFile(out, 'utf8').catch(() => '');
  const start = current.indexOf(FLEET_START);
  const end = current.indexOf(FLEET_END);
  const report = renderReport(results, notes);
  const text =
    start >= 0 && end > start
      ? withFleetSection(report, current.slice(start, end + FLEET_END.length))
      : report;
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, await formatted(out, text));
}
