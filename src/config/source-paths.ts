/**
 * What the schema cannot see: whether each source of each job is a directory now. A source that
 * is missing is a warning (a mount or a directory may come later; the agent checks it again at
 * each rescan and serves it once it exists). A source that exists but is not a directory (a file,
 * a FIFO) is an error: it can never hold files to take. Run by `config check`, at `run` start and
 * at every reload (issue 15, item 15).
 */
import { stat } from 'node:fs/promises';
import { AppError } from '../errors/app-error.js';
import type { AgentConfig } from './agent-config.js';

/** Problems found with the sources, one line each: `jobs[0].sources[1]: message`. */
export interface SourcePathReport {
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

/** Checks every job's sources on this machine (stat, links followed). Never rejects. */
export async function checkSourcePaths(config: AgentConfig): Promise<SourcePathReport> {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const [i, job] of config.jobs.entries()) {
    for (const [j, source] of job.sources.entries()) {
      const where = `jobs[${i}].sources[${j}]`;
      const problem = await checkOne(source.path);
      if (problem?.level === 'error') errors.push(`${where}: ${problem.message}`);
      else if (problem !== undefined) warnings.push(`${where}: ${problem.message}`);
    }
  }
  return { errors, warnings };
}

async function checkOne(
  path: string,
): Promise<{ level: 'error' | 'warning'; message: string } | undefined> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) return undefined;
    const what = st.isFile() ? 'a file' : 'not a file nor a directory';
    return {
      level: 'error',
      message: `${path} is ${what}, not a directory: a source is a directory whose files are taken (fix: give the directory that holds the file)`,
    };
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return {
        level: 'warning',
        message: `${path} does not exist (yet): the agent checks it again at each rescan and takes its files once it exists (fine for a mount that comes later; otherwise fix the path)`,
      };
    const why = err instanceof Error ? err.message : String(err);
    return {
      level: 'warning',
      message: `${path} cannot be checked by this user (${why}): make sure the user running the agent may read it`,
    };
  }
}

/**
 * The ERR_CONFIG_INVALID for sources that are not directories, worded like the schema's own
 * (header, one line per problem, the hint).
 */
export function sourcePathError(sourceName: string, errors: readonly string[]): AppError {
  const count = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
  return new AppError(
    'ERR_CONFIG_INVALID',
    `invalid configuration in ${sourceName} (${count}):\n${errors.join('\n')}`,
    {
      hint: `fix ${sourceName}, then run \`s3ferry config check\` to check it`,
      details: { file: sourceName, problems: errors.length },
    },
  );
}

/**
 * Checks the sources of `config`: throws {@link sourcePathError} when one is not a directory,
 * and resolves the warnings (missing sources).
 */
export async function assertSourcePaths(
  config: AgentConfig,
  sourceName: string,
): Promise<readonly string[]> {
  const report = await checkSourcePaths(config);
  if (report.errors.length > 0) throw sourcePathError(sourceName, report.errors);
  return report.warnings;
}
