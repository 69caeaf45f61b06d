/**
 * Connection settings that come from outside s3ferry's own options, read as the AWS CLI reads them:
 * the CA bundle of an HTTPS store (`caBundle`/`--ca-bundle`, else AWS_CA_BUNDLE, else `ca_bundle`
 * in the profile of the shared config file), and S3FERRY_RESOLVE, names reached at a given address
 * without DNS (tests and the bench: `s3.test=127.0.0.1` makes BUCKET.s3.test reach 127.0.0.1 in
 * this process only, like curl's --resolve; TLS still checks the certificate against the name).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { AppError } from '../errors/app-error.js';
import type { EnvironmentSettings } from './environment.js';

/** A CA bundle, read. */
export interface CaBundle {
  readonly path: string;
  /** Where the path was set, e.g. `caBundle`, `AWS_CA_BUNDLE`, `ca_bundle of profile "x"`. */
  readonly origin: string;
  /** The PEM text (one or more certificates). */
  readonly pem: string;
}

/** A name and the address it is reached at. */
export interface ResolveEntry {
  readonly host: string;
  readonly address: string;
}

/** What a connection takes from here. */
export interface ConnectionEnvironment {
  readonly ca?: CaBundle;
  readonly resolve: readonly ResolveEntry[];
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** `~/x` as the shell would expand it (the AWS CLI does for ca_bundle). */
function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}

/**
 * Why the file at `path` cannot serve as a CA bundle, or undefined when it can: it must be
 * readable and hold at least one PEM certificate, each of which parses.
 */
export function caBundleProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(expandHome(path), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `the CA bundle ${path} does not exist`
      : `cannot read the CA bundle ${path} (${code ?? String(err)})`;
  }
  const certificates = text.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0)
    return `the CA bundle ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`;
  for (const pem of certificates) {
    try {
      new X509Certificate(pem);
    } catch (err) {
      return `the CA bundle ${path} holds a certificate that does not parse (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  return undefined;
}

/** Reads a CA bundle; throws ERR_CONFIG_INVALID naming the path and where it was set. */
export function readCaBundle(path: string, origin: string): CaBundle {
  const problem = caBundleProblem(path);
  if (problem !== undefined)
    throw new AppError('ERR_CONFIG_INVALID', `${problem} (set by ${origin})`, {
      hint: `point ${origin} at the PEM file of the CA that signed the store's certificate`,
      details: { path, origin },
    });
  return { path, origin, pem: readFileSync(expandHome(path), 'utf8') };
}

/** `ca_bundle` of `profile` in the shared config file (INI; nested sections are skipped). */
export function profileCaBundle(configText: string, profile: string): string | undefined {
  const wanted = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`];
  let inProfile = false;
  let found: string | undefined;
  for (const line of configText.split(/\r?\n/)) {
    const section = /^\[\s*([^\]]+?)\s*\]/.exec(line);
    if (section?.[1] !== undefined) {
      inProfile = wanted.includes(section[1].replace(/\s+/g, ' '));
      continue;
    }
    // indented lines belong to a nested section (`s3 =` and its keys)
    const entry = /^ca_bundle\s*=\s*(.*?)\s*$/.exec(line);
    if (inProfile && entry?.[1] !== undefined && entry[1] !== '') found = entry[1];
  }
  return found;
}

/**
 * Where the CA bundle of a connection is set, in the AWS CLI's order: the explicit one
 * (`explicit`, named `explicitOrigin`), AWS_CA_BUNDLE, the profile's ca_bundle. Undefined: node's
 * own list of CAs.
 */
export function findCaBundle(
  explicit: string | undefined,
  explicitOrigin: string,
  profile: string | undefined,
  env: EnvironmentSettings,
): { path: string; origin: string } | undefined {
  if (explicit !== undefined) return { path: explicit, origin: explicitOrigin };
  if (env.caBundle !== undefined) return { path: env.caBundle, origin: 'AWS_CA_BUNDLE' };
  const name = profile ?? env.profile ?? 'default';
  let text: string;
  try {
    text = readFileSync(env.awsConfigFile, 'utf8');
  } catch {
    return undefined; // no shared config file: nothing set there
  }
  const path = profileCaBundle(text, name);
  return path === undefined
    ? undefined
    : { path, origin: `ca_bundle of profile "${name}" in ${env.awsConfigFile}` };
}

/** Parses S3FERRY_RESOLVE (`HOST=ADDRESS[,HOST=ADDRESS…]`); throws ERR_CONFIG_INVALID. */
export function parseResolve(text: string | undefined): ResolveEntry[] {
  if (text === undefined) return [];
  return text
    .split(',')
    .filter((item) => item.trim() !== '')
    .map((item) => {
      const [host = '', address = ''] = item.split('=').map((s) => s.trim());
      if (!/^[a-z0-9.-]+$/i.test(host) || isIP(address) === 0)
        throw new AppError('ERR_CONFIG_INVALID', `S3FERRY_RESOLVE: "${item}" is not HOST=ADDRESS`, {
          hint: 'write entries like s3.test=127.0.0.1, separated by commas (the address an IP)',
        });
      return { host: host.toLowerCase(), address };
    });
}

/**
 * The CA bundle (read) and the resolve entries of a connection. `caBundle` is the explicit path
 * (destination option or --ca-bundle), `origin` names it in errors.
 */
export function connectionEnvironment(
  caBundle: string | undefined,
  origin: string,
  profile: string | undefined,
  env: EnvironmentSettings,
): ConnectionEnvironment {
  const where = findCaBundle(caBundle, origin, profile, env);
  const resolve = parseResolve(env.resolve);
  return where === undefined
    ? { resolve }
    : { ca: readCaBundle(where.path, where.origin), resolve };
}
