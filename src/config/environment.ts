/**
 * The only module that reads process.env. Everything else receives settings as arguments.
 * (The AWS SDK's own credential chain reads AWS_* variables itself, by design.)
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Settings the environment may supply. */
export interface EnvironmentSettings {
  readonly endpoint?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly proxy?: string;
  readonly noProxy: readonly string[];
  /** Where the journal lives when --journal is not given. */
  readonly defaultJournalPath: string;
  readonly isTerminal: boolean;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Reads s3ferry's and the standard variables (AWS_ENDPOINT_URL, AWS_REGION, HTTPS_PROXY, …). */
export function readEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  stderrIsTTY = process.stderr.isTTY,
): EnvironmentSettings {
  const endpoint =
    nonEmpty(env.S3FERRY_ENDPOINT_URL) ??
    nonEmpty(env.AWS_ENDPOINT_URL_S3) ??
    nonEmpty(env.AWS_ENDPOINT_URL);
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  const profile = nonEmpty(env.AWS_PROFILE);
  const proxy =
    nonEmpty(env.HTTPS_PROXY) ??
    nonEmpty(env.https_proxy) ??
    nonEmpty(env.HTTP_PROXY) ??
    nonEmpty(env.http_proxy);
  const noProxy = (nonEmpty(env.NO_PROXY) ?? nonEmpty(env.no_proxy) ?? '')
    .split(',')
    .filter((s) => s.trim() !== '');
  const stateHome = nonEmpty(env.XDG_STATE_HOME) ?? join(homedir(), '.local', 'state');
  const defaultJournalPath =
    nonEmpty(env.S3FERRY_JOURNAL) ?? join(stateHome, 's3ferry', 'journal.db');
  return {
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(region === undefined ? {} : { region }),
    ...(profile === undefined ? {} : { profile }),
    ...(proxy === undefined ? {} : { proxy }),
    noProxy,
    defaultJournalPath,
    isTerminal: stderrIsTTY && env.TERM !== 'dumb',
  };
}
