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
  /** AWS_CA_BUNDLE: the PEM file of the CAs an HTTPS store's certificate must chain to. */
  readonly caBundle?: string;
  /** The shared AWS config file (AWS_CONFIG_FILE, else ~/.aws/config), for `ca_bundle`. */
  readonly awsConfigFile: string;
  /** S3FERRY_RESOLVE, raw: `HOST=ADDRESS,…` (config/connection-env.ts parses it). */
  readonly resolve?: string;
  /** Where the journal lives when --journal is not given. */
  readonly defaultJournalPath: string;
  /**
   * s3ferry's state directory of this user: $XDG_STATE_HOME/s3ferry, else ~/.local/state/s3ferry.
   * The `upload` journal and the API token the agent makes (api.tokenFile) live there.
   */
  readonly stateDir: string;
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
  const caBundle = nonEmpty(env.AWS_CA_BUNDLE);
  const resolve = nonEmpty(env.S3FERRY_RESOLVE);
  const home = nonEmpty(env.HOME) ?? homedir();
  const stateDir = join(nonEmpty(env.XDG_STATE_HOME) ?? join(home, '.local', 'state'), 's3ferry');
  const defaultJournalPath = nonEmpty(env.S3FERRY_JOURNAL) ?? join(stateDir, 'journal.db');
  return {
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(region === undefined ? {} : { region }),
    ...(profile === undefined ? {} : { profile }),
    ...(proxy === undefined ? {} : { proxy }),
    noProxy,
    ...(caBundle === undefined ? {} : { caBundle }),
    awsConfigFile: nonEmpty(env.AWS_CONFIG_FILE) ?? join(home, '.aws', 'config'),
    ...(resolve === undefined ? {} : { resolve }),
    defaultJournalPath,
    stateDir,
    isTerminal: stderrIsTTY && env.TERM !== 'dumb',
  };
}

/**
 * The configuration overrides the environment may supply (raw text: config/load.ts converts and
 * validates them with the schema, naming the variable in any error). Absent or blank variables are
 * left out.
 */
export interface ConfigEnvironment {
  /** S3FERRY_CONFIG: the configuration file to read when none is given on the command line. */
  readonly configFile?: string;
  /** S3FERRY_JOURNAL: overrides `journal`. */
  readonly journal?: string;
  /** S3FERRY_API_HOST: overrides `api.host`. */
  readonly apiHost?: string;
  /** S3FERRY_API_PORT: overrides `api.port`. */
  readonly apiPort?: string;
  /** S3FERRY_API_TOKEN: overrides `api.token` (keeps the secret out of the file). */
  readonly apiToken?: string;
  /** S3FERRY_LOG_LEVEL: overrides `log.level`. */
  readonly logLevel?: string;
}

/** The environment variable behind each {@link ConfigEnvironment} field, for error messages. */
export const CONFIG_ENVIRONMENT_VARIABLES = {
  configFile: 'S3FERRY_CONFIG',
  journal: 'S3FERRY_JOURNAL',
  apiHost: 'S3FERRY_API_HOST',
  apiPort: 'S3FERRY_API_PORT',
  apiToken: 'S3FERRY_API_TOKEN',
  logLevel: 'S3FERRY_LOG_LEVEL',
} as const satisfies Record<keyof ConfigEnvironment, string>;

/** Reads the S3FERRY_* variables that override the configuration file. */
export function readConfigEnvironment(env: NodeJS.ProcessEnv = process.env): ConfigEnvironment {
  const out: Partial<Record<keyof ConfigEnvironment, string>> = {};
  for (const [field, variable] of Object.entries(CONFIG_ENVIRONMENT_VARIABLES)) {
    const value = nonEmpty(env[variable]);
    if (value !== undefined) out[field as keyof ConfigEnvironment] = value;
  }
  return out;
}

/** The environment `{env:NAME}` key templates read: a snapshot taken at start-up or reload. */
export function templateEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Readonly<Record<string, string | undefined>> {
  return Object.freeze({ ...env });
}
