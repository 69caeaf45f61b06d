/** Options shared by the commands that talk to a store, and the objects they build. */
import { randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { connectionEnvironment } from '../config/connection-env.js';
import { readEnvironment, type EnvironmentSettings } from '../config/environment.js';
import { parseDuration, parseSize } from '../domain/duration.js';
import { redactUrl } from '../domain/redact-url.js';
import { AppError } from '../errors/app-error.js';
import { openJournal as openJournalStore } from '../journal/open-journal.js';
import type { JournalStore } from '../journal/journal-store.js';
import { buildS3Connection, type S3ConnectionSettings } from '../object-store/s3/s3-client.js';
import { S3ObjectTarget } from '../object-store/s3/s3-object-target.js';
import { parseS3Url, type S3Url } from './s3-url.js';

/** Raw options as commander gives them. */
export interface CommonOptions {
  to?: string;
  endpointUrl?: string;
  region?: string;
  profile?: string;
  forcePathStyle?: boolean;
  proxy?: string;
  checksumMode?: string;
  caBundle?: string;
  journal?: string;
  json?: boolean;
}

/** Adds --to, --endpoint-url, --region, --profile, --force-path-style, --proxy, --checksum-mode, --ca-bundle, --journal, --json. */
export function addCommonOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--to <s3url>', 'destination, s3://BUCKET[/PREFIX]')
    .option(
      '--endpoint-url <url>',
      'S3-compatible endpoint (env S3FERRY_ENDPOINT_URL or AWS_ENDPOINT_URL); path-style is used with it',
    )
    .option('--region <region>', 'region (env AWS_REGION); us-east-1 with a custom endpoint')
    .option('--profile <name>', 'profile of the shared AWS config files (env AWS_PROFILE)')
    .option('--force-path-style', 'path-style addressing (default with --endpoint-url)')
    .option('--no-force-path-style', 'virtual-host addressing even with --endpoint-url')
    .option('--proxy <url>', 'HTTP(S) proxy (env HTTPS_PROXY; NO_PROXY is honoured)')
    .option(
      '--checksum-mode <mode>',
      'auto | when-required | when-supported (uploads always carry Content-MD5; when-supported adds the SDK flexible checksums; auto = Content-MD5 only, responses checked on AWS)',
      'auto',
    )
    .option(
      '--ca-bundle <pem>',
      "CAs an HTTPS endpoint's certificate must chain to (env AWS_CA_BUNDLE, or ca_bundle of the profile)",
    )
    .option(
      '--journal <file|url>',
      'journal file or postgres:// URL (default ~/.local/state/s3ferry/journal.db, env S3FERRY_JOURNAL)',
    )
    .option('--json', 'one JSON object per line on stdout');
}

/** Parsed, validated common settings. */
export interface CommonSettings {
  readonly url: S3Url;
  readonly connection: S3ConnectionSettings;
  /** The CA bundle in use, for messages: "PATH (from ORIGIN)". */
  readonly caBundle?: string;
  readonly journalPath: string;
  readonly json: boolean;
  readonly env: EnvironmentSettings;
}

export function parseCommon(
  opts: CommonOptions,
  env: EnvironmentSettings = readEnvironment(),
): CommonSettings {
  const url = parseS3Url(opts.to ?? '');
  const endpoint = opts.endpointUrl ?? env.endpoint;
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new AppError(
      'ERR_USAGE',
      `--endpoint-url "${redactUrl(endpoint)}" is not an http(s) URL`,
      {
        hint: 'write it like http://127.0.0.1:7480 or https://s3.example.com',
      },
    );
  }
  const mode = opts.checksumMode ?? 'auto';
  if (mode !== 'auto' && mode !== 'when-required' && mode !== 'when-supported') {
    throw new AppError(
      'ERR_USAGE',
      `--checksum-mode "${mode}" is not one of auto, when-required, when-supported`,
      { hint: 'use auto unless you know better' },
    );
  }
  const region = opts.region ?? env.region;
  const profile = opts.profile ?? env.profile;
  const proxy = opts.proxy ?? env.proxy;
  const { ca, resolve } = connectionEnvironment(opts.caBundle, '--ca-bundle', profile, env);
  const connection: S3ConnectionSettings = {
    ...(endpoint === undefined ? {} : { endpoint: endpoint.replace(/\/+$/, '') }),
    ...(region === undefined ? {} : { region }),
    ...(profile === undefined ? {} : { profile }),
    ...(opts.forcePathStyle === undefined ? {} : { forcePathStyle: opts.forcePathStyle }),
    ...(proxy === undefined ? {} : { proxy }),
    noProxy: env.noProxy,
    checksumMode: mode,
    ...(ca === undefined ? {} : { ca: ca.pem }),
    ...(resolve.length === 0 ? {} : { resolve }),
  };
  return {
    url,
    connection,
    ...(ca === undefined ? {} : { caBundle: `${ca.path} (from ${ca.origin})` }),
    journalPath: opts.journal ?? env.defaultJournalPath,
    json: opts.json === true,
    env,
  };
}

/** The store for these settings. */
export function buildTarget(
  settings: CommonSettings,
  extra: Partial<S3ConnectionSettings> = {},
): S3ObjectTarget {
  const connection = { ...settings.connection, ...extra };
  const { client, direct } = buildS3Connection(connection);
  return new S3ObjectTarget({
    client,
    direct,
    bucket: settings.url.bucket,
    endpoint: connection.endpoint ?? '',
    ...(connection.region === undefined ? {} : { region: connection.region }),
    ...(settings.caBundle === undefined ? {} : { caBundle: settings.caBundle }),
  });
}

/** Opens the journal: a SQLite file, or a PostgreSQL database for a postgres:// URL. */
export function openJournal(spec: string): Promise<JournalStore> {
  return openJournalStore(spec);
}

/** Uniform in [0, 1) for retry jitter. */
export const jitter = (): number => randomInt(0, 1_000_000) / 1_000_000;

/** hostname:pid, how this process is named in the journal. */
export function ownerName(): string {
  return `${hostname()}:${process.pid}`;
}

/** Parses a size option or throws ERR_USAGE naming the option. */
export function sizeOption(name: string, text: string): number {
  const n = parseSize(text);
  if (n === undefined || n < 0)
    throw new AppError('ERR_USAGE', `${name} "${text}" is not a size`, {
      hint: 'write sizes like 8MiB, 16M, 1G or a number of bytes',
    });
  return n;
}

/** Parses a duration option or throws ERR_USAGE naming the option. */
export function durationOption(name: string, text: string): number {
  const n = parseDuration(text);
  if (n === undefined)
    throw new AppError('ERR_USAGE', `${name} "${text}" is not a duration`, {
      hint: 'write durations like 30s, 15m, 2h, 7d',
    });
  return n;
}

/** Parses a positive integer option. */
export function intOption(name: string, text: string, min = 1, max = 1024): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new AppError(
      'ERR_USAGE',
      `${name} "${text}" must be a whole number from ${min} to ${max}`,
    );
  return n;
}
