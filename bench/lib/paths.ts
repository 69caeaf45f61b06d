/** Where things are, seen from the compiled harness in dist/bench/lib/. */
import { fileURLToPath } from 'node:url';

/** The repository root (dist/bench/lib/ -> three levels up). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The built CLI that every s3ferry run uses. */
export const CLI_PATH = fileURLToPath(new URL('../../../dist/src/cli/main.js', import.meta.url));

/** The compiled bench commands (dist/bench/). */
export const BENCH_DIST = fileURLToPath(new URL('../', import.meta.url));

/** scripts/s3/NAME in this repository. */
export function s3Script(name: string): string {
  return fileURLToPath(new URL(`../../../scripts/s3/${name}`, import.meta.url));
}

/** Debian's AWS CLI v2 (never the pyenv shim of v1 that may be first on PATH). */
export const AWS_CLI = '/usr/bin/aws';
/** GNU time: user, system and max RSS of a process and the children it waited for. */
export const GNU_TIME = '/usr/bin/time';
