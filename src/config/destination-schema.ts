/**
 * The schema of one destination (DestinationConfig), used under `destinations:` and inline in a
 * job. A job may also name a destination or give an `s3://bucket/prefix` URL (see
 * {@link jobDestinationSchema}); named references are resolved by the top-level schema.
 */
import { z } from 'zod';
import {
  METADATA_NAME,
  METADATA_NAME_RULE,
  METADATA_VALUE,
  METADATA_VALUE_RULE,
} from '../domain/metadata.js';
import { CANNED_ACLS, HEADER_VALUE, HEADER_VALUE_RULE } from '../domain/object-headers.js';
import type { DestinationConfig } from './agent-config.js';
import { caBundleProblem } from './connection-env.js';
import { destinationLockFields } from './retention-schema.js';
import {
  GIB,
  MIB,
  bandwidth,
  duration,
  httpUrl,
  integer,
  NAME_PATTERN,
  size,
  text,
} from './schema-values.js';

const MAX_TAGS = 10;

/**
 * The transfer defaults, in the form a user writes them: the one source for the agent's
 * destinations and for the flags of `s3ferry upload`.
 */
export const TRANSFER_DEFAULTS = {
  partSize: '8MiB',
  multipartThreshold: '8MiB',
  /**
   * Small files are bound by the store's latency, not by memory (they take no part buffer), so
   * many may be in flight (peers use 10 to 16).
   */
  concurrency: 16,
  /** 6 x 8 MiB keeps a 1 GiB upload under 150 MiB of memory. */
  partBuffers: 6,
  verify: 'etag',
} as const;

/** Why `prefix` cannot start object keys, or undefined. */
function checkPrefix(prefix: string): string | undefined {
  if (prefix.startsWith('/')) return "a prefix must not start with '/'";
  if (prefix.split('/').some((segment) => segment === '..' || segment === '.'))
    return "a prefix must not contain '.' or '..' segments";
  if (prefix.includes('//')) return "a prefix must not contain empty segments ('//')";
  if (Buffer.byteLength(prefix) > 512) return 'a prefix must not exceed 512 bytes';
  return undefined;
}

const prefix = z
  .string()
  .superRefine((value, ctx) => {
    const error = checkPrefix(value);
    if (error !== undefined) ctx.addIssue({ code: 'custom', message: error });
  })
  .transform((value) => (value === '' || value.endsWith('/') ? value : `${value}/`));

const metadata = z
  .record(
    z.string().regex(METADATA_NAME, { error: METADATA_NAME_RULE }),
    z
      .string({ error: 'expected a string: quote numbers and booleans in YAML' })
      .regex(METADATA_VALUE, { error: METADATA_VALUE_RULE }),
  )
  .transform((map, ctx) => {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(map)) {
      const lower = key.toLowerCase();
      if (lower in out)
        ctx.issues.push({
          code: 'custom',
          input: key,
          path: [key],
          message: `"${key}" repeats another name (names are case-insensitive)`,
        });
      out[lower] = value;
    }
    return out;
  });

const tags = z
  .record(
    z.string().min(1).max(128, { error: 'a tag key must not exceed 128 characters' }),
    z
      .string({ error: 'expected a string: quote numbers and booleans in YAML' })
      .max(256, { error: 'a tag value must not exceed 256 characters' }),
  )
  .refine((map) => Object.keys(map).length <= MAX_TAGS, {
    error: `S3 allows at most ${MAX_TAGS} tags per object`,
  });

/** A header value: printable ASCII, as HTTP carries it. */
const headerValue = z.string().regex(HEADER_VALUE, { error: HEADER_VALUE_RULE });

const fields = {
  bucket: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
      error: "a bucket name may contain only letters, digits, '.', '-' and '_'",
    })
    .describe('Bucket name. Required.'),
  prefix: prefix
    .default('')
    .describe(
      "Prepended to every key; a '/' is added when missing. No leading '/', no '.' or '..' segments.",
    ),
  endpoint: httpUrl()
    .transform((url) => url.replace(/\/+$/, ''))
    .exactOptional()
    .describe('S3-compatible endpoint URL (e.g. http://127.0.0.1:7480); AWS when absent.'),
  region: text().exactOptional().describe('Region; from AWS_REGION or the profile when absent.'),
  forcePathStyle: z
    .boolean()
    .exactOptional()
    .describe('Path-style addressing (bucket in the path). Default: true with an endpoint.'),
  profile: text()
    .exactOptional()
    .describe('Profile of the shared AWS config files; the standard credential chain if absent.'),
  accessKeyId: text()
    .exactOptional()
    .describe('Explicit access key id (with secretAccessKey; not with profile).'),
  secretAccessKey: text().exactOptional().describe('Explicit secret access key. Secret.'),
  sessionToken: text().exactOptional().describe('Session token of temporary keys. Secret.'),
  proxy: httpUrl().exactOptional().describe('HTTP(S) proxy URL; HTTPS_PROXY when absent.'),
  noProxy: z
    .array(text())
    .default(() => [])
    .describe('Hosts reached without the proxy (like NO_PROXY).'),
  caBundle: text()
    .superRefine((path, ctx) => {
      const problem = caBundleProblem(path);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .exactOptional()
    .describe(
      "PEM file of the CAs that an HTTPS endpoint's certificate must chain to; AWS_CA_BUNDLE, then the profile's ca_bundle, when absent.",
    ),
  checksumMode: z
    .enum(['auto', 'when-required', 'when-supported'])
    .default('auto')
    .describe(
      'SDK flexible checksums on top of Content-MD5: auto = none on requests, responses checked on AWS; when-supported adds CRC32 to uploads.',
    ),
  storageClass: text().exactOptional().describe('Storage class, e.g. STANDARD_IA, GLACIER_IR.'),
  sse: z
    .enum(['AES256', 'aws:kms'])
    .exactOptional()
    .describe('Server-side encryption; the bucket default when absent.'),
  kmsKeyId: text().exactOptional().describe('KMS key id or ARN; only with `sse: aws:kms`.'),
  metadata: metadata
    .default(() => ({}))
    .describe(
      'User metadata (x-amz-meta-*) on every object: printable ASCII values; names are lower-cased.',
    ),
  tags: tags.default(() => ({})).describe(`Object tags (at most ${MAX_TAGS}; values are strings).`),
  cacheControl: headerValue
    .exactOptional()
    .describe('Cache-Control of every object, e.g. "max-age=86400"; none when absent.'),
  contentDisposition: headerValue
    .exactOptional()
    .describe('Content-Disposition of every object, e.g. "attachment"; none when absent.'),
  contentEncoding: headerValue
    .exactOptional()
    .describe(
      'Content-Encoding of every object, e.g. gzip for files already compressed so (the bytes are sent as they are); none when absent.',
    ),
  acl: z
    .enum(CANNED_ACLS)
    .exactOptional()
    .describe(
      "Canned ACL of every object (x-amz-acl); the bucket's default (private) when absent. The bucket must allow ACLs (AWS: Object Ownership other than BucketOwnerEnforced); Swift's s3api accepts and drops it unless its s3_acl option is on.",
    ),
  partSize: size({ min: [5 * MIB, '5MiB'], max: [5 * GIB, '5GiB'] })
    .prefault(TRANSFER_DEFAULTS.partSize)
    .describe(
      'Multipart part size, 5MiB to 5GiB; raised when a file would need over 10,000 parts.',
    ),
  multipartThreshold: size({ max: [5 * GIB, '5GiB'] })
    .prefault(TRANSFER_DEFAULTS.multipartThreshold)
    .describe(
      'Files of at least this size go by multipart upload, smaller ones by one PUT (max 5GiB).',
    ),
  concurrency: integer(1, 256)
    .default(TRANSFER_DEFAULTS.concurrency)
    .describe(
      'Requests in flight to this destination, 1 to 256 (also the parts of one file at once).',
    ),
  partBuffers: integer(1, 256)
    .default(TRANSFER_DEFAULTS.partBuffers)
    .describe(
      'Parts in memory at once, 1 to 256: they use about partBuffers x partSize of memory; files below 1 MiB need none.',
    ),
  verify: z
    .enum(['etag', 'head'])
    .default(TRANSFER_DEFAULTS.verify)
    .describe(
      'etag: an upload is verified when the ETag the PUT or Complete answered equals the one computed from the bytes read (HeadObject only where the store answers none, ETags are not MD5s, or SSE-KMS); head: always HeadObject too.',
    ),
  requestTimeout: duration({ min: [1000, '1s'], max: [3_600_000, '1h'] })
    .prefault('2m')
    .describe('A request silent this long (no byte sent or received) fails and is retried.'),
  bwlimit: bandwidth()
    .exactOptional()
    .describe(
      'This destination\'s bandwidth limit, besides the top-level one: a rate (10MiB), off, or a weekly timetable in local time like "Mon-Fri 08:00 4MiB, 18:00 off; Sat-Sun off" (docs/bandwidth.md); none when absent.',
    ),
  linkExpiry: duration({ min: [1000, '1s'], max: [7 * 86_400_000, '7d'] })
    .prefault('1h')
    .describe('Expiry of the presigned links of `s3ferry link` (at most 7d).'),
  publicUrl: httpUrl()
    .refine((url) => url.includes('{key}'), { error: 'a public URL template must contain {key}' })
    .exactOptional()
    .describe('Public URL template for links, e.g. https://cdn.example.com/{key}.'),
  ...destinationLockFields,
};

type DestinationInput = Partial<Record<keyof DestinationConfig, unknown>>;

/** Cross-field rules: keys in pairs, keys or profile, KMS key with KMS. */
function checkCombinations(d: DestinationInput, ctx: z.RefinementCtx): void {
  const issue = (path: keyof DestinationConfig, message: string): void => {
    ctx.addIssue({ code: 'custom', path: [path], message });
  };
  if (d.accessKeyId !== undefined && d.secretAccessKey === undefined)
    issue('secretAccessKey', 'required when accessKeyId is set');
  if (d.secretAccessKey !== undefined && d.accessKeyId === undefined)
    issue('accessKeyId', 'required when secretAccessKey is set');
  if (d.sessionToken !== undefined && d.accessKeyId === undefined)
    issue('sessionToken', 'only used with accessKeyId and secretAccessKey');
  if (d.profile !== undefined && d.accessKeyId !== undefined)
    issue('profile', 'give either profile or accessKeyId/secretAccessKey, not both');
  if (d.kmsKeyId !== undefined && d.sse !== 'aws:kms')
    issue('kmsKeyId', 'only used with sse: aws:kms');
}

/** One destination: bucket, prefix, endpoint, credentials and transfer settings. */
export const destinationSchema = z.strictObject(fields).superRefine(checkCombinations).meta({
  id: 'destination',
  description: 'A bucket and how to reach it.',
}) satisfies z.ZodType<DestinationConfig>;

/** Parses "s3://bucket/prefix" into a destination with defaults. */
function destinationFromUrl(url: string, ctx: z.RefinementCtx): DestinationConfig {
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const result = destinationSchema.safeParse({
    bucket,
    prefix: slash === -1 ? '' : rest.slice(slash + 1),
  });
  if (result.success) return result.data;
  for (const issue of result.error.issues)
    ctx.addIssue({
      code: 'custom',
      message: `"${url}": ${issue.path.join('.')}: ${issue.message}`,
    });
  return z.NEVER;
}

const destinationString = z.string().transform((value, ctx): string | DestinationConfig => {
  if (/^s3:\/\//i.test(value)) return destinationFromUrl(value, ctx);
  if (NAME_PATTERN.test(value)) return value;
  ctx.addIssue({
    code: 'custom',
    message:
      'expected the name of an entry of destinations:, an s3://bucket/prefix URL or a mapping',
  });
  return z.NEVER;
});

/**
 * A job's destination: a mapping (inline), "s3://bucket/prefix", or the name of an entry of the
 * top-level `destinations:` map. The output is a DestinationConfig, or the name to resolve.
 */
export const jobDestinationSchema = z
  .union([destinationString, destinationSchema])
  .describe(
    'Where the files go: the name of an entry of `destinations:`, an `s3://bucket/prefix` URL, or a destination mapping (see Destinations).',
  );
