/**
 * The one schema of s3ferry.yaml. Parsing a document with it applies every default, turns
 * durations into ms and sizes into bytes, checks every rule, resolves named destinations and
 * yields exactly an {@link AgentConfig}. Each field carries its documentation (`.describe()`),
 * from which docs/configuration.md is generated (config/describe.ts).
 */
import { z } from 'zod';
import { checkKeyTemplate } from '../domain/key-template.js';
import { AppError } from '../errors/app-error.js';
import type { AgentConfig, DestinationConfig, JobConfig } from './agent-config.js';
import { destinationSchema } from './destination-schema.js';
import { jobSchema, type UnresolvedJob } from './job-schema.js';
import {
  bandwidth,
  duration,
  httpUrl,
  integer,
  journalSpec,
  name,
  NAME_PATTERN,
  stringMap,
  text,
} from './schema-values.js';

/** Addresses the API may bind without a token. */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', '::1', 'localhost'];

/** The default journal file. */
export const DEFAULT_JOURNAL = './.s3ferry/journal.db';

/** A host name or address as a Host header names it: no scheme, port, path or user. */
const HOST_NAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?)+$|^\[?[0-9A-Fa-f:.]+\]?$/;

const api = z
  .strictObject({
    host: text()
      .default('127.0.0.1')
      .describe('Address the HTTP API binds; anything but loopback needs api.token.'),
    port: integer(0, 65_535).default(7317).describe('Port of the HTTP API (0: any free port).'),
    auth: z
      .enum(['token', 'none'])
      .default('token')
      .describe(
        "token: every /api/v1 route needs the API token (Authorization: Bearer, or the dashboard's cookie); none: no token, allowed only when api.host is loopback (any local user and process may then use the API).",
      ),
    token: text()
      .exactOptional()
      .describe(
        'Bearer token the API requires; required unless api.host is 127.0.0.1, ::1 or localhost. S3FERRY_API_TOKEN keeps it out of the file. Without it, the agent makes one at its first start and keeps it in api.tokenFile.',
      ),
    tokenFile: text()
      .exactOptional()
      .describe(
        'Where the agent keeps the token it made (0600, in a 0700 directory), and where the CLI of the same user finds it. Default: $XDG_STATE_HOME/s3ferry/api-token, i.e. ~/.local/state/s3ferry/api-token.',
      ),
    allowedHosts: z
      .array(
        text().regex(HOST_NAME, {
          error:
            'expected a host name or address, like agent.example.com (no scheme, port or path)',
        }),
      )
      .default(() => [])
      .describe(
        'Host names the API answers besides api.host, localhost, 127.0.0.1 and ::1 (e.g. the name a reverse proxy or another machine uses). Any other Host header is refused (421), which stops DNS-rebinding pages.',
      ),
    metricsAuth: z
      .enum(['none', 'token'])
      .default('none')
      .describe('token: /metrics needs the API token too (e.g. Prometheus bearer_token_file).'),
  })
  .superRefine((a, ctx) => {
    const loopback = LOOPBACK_HOSTS.includes(a.host);
    if (!loopback && a.token === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: `api.token is required when api.host is not a loopback address (api.host is "${a.host}")`,
      });
    if (!loopback && a.auth === 'none')
      ctx.addIssue({
        code: 'custom',
        path: ['auth'],
        message: `api.auth: none is allowed only on a loopback address (api.host is "${a.host}"): remove it, or bind 127.0.0.1`,
      });
    if (a.auth === 'none' && a.token !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['auth'],
        message:
          'api.auth is none but api.token is set (from the file or S3FERRY_API_TOKEN): remove one of them',
      });
    if (a.auth === 'none' && a.metricsAuth === 'token')
      ctx.addIssue({
        code: 'custom',
        path: ['metricsAuth'],
        message: 'api.metricsAuth: token needs api.auth: token',
      });
  });

const webhook = z.strictObject({
  url: httpUrl().describe(
    'URL every event is POSTed to (JSON), with retries; redirects are not followed (they would carry the headers elsewhere): give the final URL.',
  ),
  headers: stringMap()
    .default(() => ({}))
    .describe('Extra request headers, e.g. Authorization. Values are secret.'),
});

const events = z.strictObject({
  retention: integer(0, 100_000_000)
    .default(10_000)
    .describe('How many events the journal keeps (the oldest go first).'),
  webhook: webhook.exactOptional().describe('POST every event to this URL.'),
});

const document = z.strictObject({
  journal: journalSpec()
    .default(DEFAULT_JOURNAL)
    .describe(
      'Journal: a SQLite file (one agent), or a PostgreSQL database `postgres://USER:PASSWORD@HOST:PORT/DATABASE` that a fleet of agents shares.',
    ),
  api: api.prefault({}).describe('HTTP API (/api/v1, /healthz, /readyz).'),
  log: z
    .strictObject({
      level: z
        .enum(['debug', 'info', 'warn', 'error'])
        .default('info')
        .describe('Least severe level logged.'),
      format: z
        .enum(['auto', 'pretty', 'json'])
        .default('auto')
        .describe(
          'auto: pretty when stdout is a terminal, JSON otherwise; pretty: one readable line per record; json: one JSON object per line (for journald, log shippers).',
        ),
    })
    .prefault({})
    .describe('Logging, on stdout.'),
  events: events.prefault({}).describe('Event history.'),
  probeInterval: duration({ min: [1000, '1s'] })
    .prefault('30s')
    .describe(
      'How often an unhealthy destination is probed, and a missing source directory looked for, so that it is taken as soon as it is there (at least 1s).',
    ),
  lease: duration({ min: [3000, '3s'] })
    .prefault('30s')
    .describe(
      'How long the claim of an agent on a file holds without a heartbeat (sent every third of ' +
        'it). With a shared PostgreSQL journal, the files of an agent that died go to another ' +
        'agent this long after its last heartbeat.',
    ),
  bwlimit: bandwidth()
    .exactOptional()
    .describe(
      'The agent\'s bandwidth limit over all destinations together: a rate (20MiB), off, or a weekly timetable in local time like "Mon-Fri 08:00 4MiB, 18:00 off; Sat-Sun off" (docs/bandwidth.md); none when absent.',
    ),
  destinations: z
    .record(name('destination'), destinationSchema)
    .default(() => ({}))
    .describe('Named destinations that jobs refer to by name, so several jobs can share one.'),
  jobs: z
    .array(jobSchema)
    .default(() => [])
    .describe('The jobs. Without any, the agent only serves its API.'),
});

type Document = z.output<typeof document>;

/** Reads a field of a value that may not have passed validation. */
function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

type Report = (path: (string | number)[], message: string) => void;

function checkUniqueNames(jobs: readonly unknown[], report: Report): void {
  const seen = new Map<string, number>();
  jobs.forEach((job, i) => {
    const jobName = field(job, 'name');
    if (typeof jobName !== 'string') return;
    const first = seen.get(jobName);
    if (first === undefined) seen.set(jobName, i);
    else report(['jobs', i, 'name'], `duplicate job name "${jobName}" (also jobs[${first}])`);
  });
}

/** Checks a job's destination name, and its key template with the destination's prefix. */
function checkDestination(job: unknown, i: number, named: unknown, report: Report): void {
  const ref = field(job, 'destination');
  const known = Object.keys(named as object);
  // Other strings (s3:// URLs, malformed text) were reported by the destination field itself.
  if (typeof ref === 'string' && NAME_PATTERN.test(ref) && !known.includes(ref)) {
    report(
      ['jobs', i, 'destination'],
      known.length === 0
        ? `unknown destination "${ref}": no destinations: are defined (or write s3://${ref})`
        : `unknown destination "${ref}": destinations: defines ${known.join(', ')}`,
    );
    return;
  }
  const prefix = field(typeof ref === 'string' ? field(named, ref) : ref, 'prefix');
  const key = field(job, 'key');
  if (typeof prefix !== 'string' || prefix === '' || typeof key !== 'string') return;
  // The key field checked the template alone; only the prefix can add a problem here.
  const error = checkKeyTemplate(key) === undefined ? checkKeyTemplate(key, prefix) : undefined;
  if (error !== undefined) report(['jobs', i, 'key'], error);
}

/**
 * Rules across parts of the document: unique job names, destination names that exist, key
 * templates that fit after their prefix. It runs even when other parts failed, so that every
 * problem is reported at once; hence it reads the value defensively.
 */
function checkReferences(doc: unknown, ctx: z.RefinementCtx): void {
  const jobs = field(doc, 'jobs');
  const named = field(doc, 'destinations');
  if (!Array.isArray(jobs)) return;
  const report: Report = (path, message) => {
    ctx.addIssue({ code: 'custom', path, message });
  };
  checkUniqueNames(jobs, report);
  // A destinations: of the wrong type is reported by itself; names cannot be checked against it.
  if (typeof named !== 'object' || named === null || Array.isArray(named)) return;
  jobs.forEach((job: unknown, i) => {
    checkDestination(job, i, named, report);
  });
}

function resolveJob(
  job: UnresolvedJob,
  named: Readonly<Record<string, DestinationConfig>>,
): JobConfig {
  const { destination } = job;
  if (typeof destination !== 'string') return { ...job, destination };
  const found = named[destination];
  // checkReferences reported unknown names, and a transform only runs on a valid document.
  if (found === undefined)
    throw new AppError('ERR_INTERNAL', `unresolved destination "${destination}"`);
  return { ...job, destination: found, destinationName: destination };
}

function resolve(doc: Document): AgentConfig {
  const { destinations, jobs, ...rest } = doc;
  return { ...rest, jobs: jobs.map((job) => resolveJob(job, destinations)) };
}

/** Where the settings of the job at `index` of `config.jobs` are written in s3ferry.yaml. */
export function destinationPath(job: Pick<JobConfig, 'destinationName'>, index: number): string {
  return job.destinationName === undefined
    ? `jobs[${index}].destination`
    : `destinations.${job.destinationName}`;
}

/** s3ferry.yaml: parse a YAML-loaded value with it to get an {@link AgentConfig}. */
export const configSchema = document
  .superRefine(checkReferences, { when: () => true })
  .transform(resolve) satisfies z.ZodType<AgentConfig>;

/** The schema before named destinations are resolved, for documentation (config/describe.ts). */
export const documentSchema = document;
