/**
 * Schemas of what the API answers: the journal's records, live transfers, jobs, destinations and
 * status. Answers are encoded through them, so a field that is not declared here never leaves the
 * agent (a second guard, after the mapping in the routes, against leaking a secret).
 */
import { z } from 'zod';
import { REPORT_OUTCOMES } from '../../control/report.js';
import { FILE_STATES, HISTORY_RESULTS } from '../../journal/journal-store.js';
import { bandwidthSchema } from './bandwidth.js';

const ms = (what: string) => z.number().describe(`${what}, ms since the epoch`);

/** The states of DESIGN.md. */
export const fileState = z.enum(Object.values(FILE_STATES));

/** Counts of files per state. */
export const stateCounts = z.record(z.string(), z.number().int()).describe('files per state');

/** A destination's health: the cause and the fix while unhealthy. */
export const healthSchema = z.object({
  healthy: z.boolean(),
  since: ms('since when'),
  code: z.string().optional(),
  cause: z.string().optional(),
  hint: z.string().optional(),
});

/** What a destination's store accepts, as its capability probe last found (domain/capabilities.ts). */
export const capabilitiesSchema = z
  .object({
    capabilities: z.object({
      conditionalPut: z
        .boolean()
        .describe('a PUT with If-None-Match: * refuses a taken key (the never-overwrite guard)'),
      tagging: z.boolean().describe('object tags are accepted'),
      objectLock: z.boolean().describe('the bucket has Object Lock (retention, legal holds)'),
      versioning: z.boolean().describe('the bucket keeps versions'),
      checksumCrc32: z.boolean().describe('x-amz-checksum-crc32 is accepted and checked'),
      md5Etags: z.boolean().describe('ETags are MD5s of the content'),
    }),
    probedAt: ms('when the probe answered'),
  })
  .describe('what the store accepts, as last probed; absent before the first answer');

/** Why a file is where it is: an error code (docs/errors.md) or a note code, cause and fix. */
export const reasonSchema = z.object({
  code: z
    .string()
    .describe(
      'ERR_… for a failure (docs/errors.md); else changed, released, hold-expired, exists, duplicate, vanished, job-removed or note',
    ),
  message: z.string().describe('the cause, in plain language'),
  hint: z.string().nullable().describe('what to do about it; null when nothing is to be done'),
});

/** The plan of a file version: where and how it is sent, decided once. */
export const planSchema = z.object({
  key: z.string(),
  mode: z.enum(['single', 'multipart']),
  partSize: z.number().int(),
  checksum: z.string().nullable(),
  decidedAt: ms('when decided'),
});

/** A file of the queue, with its reason. */
export const queueItemSchema = z.object({
  id: z.number().int(),
  job: z.string(),
  path: z.string(),
  size: z.number(),
  mtimeMs: z.number(),
  inode: z.number(),
  ctimeMs: z.number().nullable().describe('status-change time when queued, ms since the epoch'),
  state: fileState,
  reason: reasonSchema.nullable().describe('why it waits, is parked, skipped or cancelled'),
  notBefore: z.number().nullable().describe('earliest next try (waiting), ms since the epoch'),
  attempts: z.number().int(),
  updatedAt: ms('last state change'),
  owner: z.string().nullable().describe('the agent holding it (uploading, verifying), else null'),
  leaseUntil: z
    .number()
    .nullable()
    .describe("until when the holder's claim lasts without a heartbeat, ms since the epoch"),
  plan: planSchema.nullable().describe('the plan of this version of the file, once decided'),
});

/** A source directory of a job, with its problem while it cannot be served. */
export const sourceSchema = z.object({
  path: z.string(),
  recursive: z.boolean(),
  problem: z
    .object({
      kind: z.enum(['missing', 'not-a-directory', 'unreadable']),
      cause: z.string().describe('what is wrong, and when it is looked at again'),
      hint: z.string().describe('the fix, naming the setting of the configuration'),
      since: ms('first seen'),
    })
    .optional()
    .describe('absent while the directory is served'),
});

/** An agent sharing the journal, as its heartbeats describe it. */
export const agentSchema = z.object({
  id: z.string().describe('hostname:pid:random; the owner of the files it holds'),
  hostname: z.string(),
  pid: z.number().int(),
  startedAt: ms('start'),
  version: z.string(),
  lastHeartbeat: ms('last heartbeat'),
  holding: z.number().int().describe('files it holds now'),
  apiUrl: z
    .string()
    .optional()
    .describe("its API's address as its own machine reaches it, once it listens"),
  self: z.boolean().describe('true for the agent answering'),
  alive: z.boolean().describe('heard from within its lease'),
});

/** The agents of the journal. */
export const agentsSchema = z.object({
  self: z.string().describe("the answering agent's id"),
  shared: z.boolean().describe('true when agents share the journal (PostgreSQL)'),
  leaseMs: z.number().int().describe('how long a claim holds without a heartbeat'),
  items: z.array(agentSchema),
});

/** One finished upload. */
export const historySchema = z.object({
  id: z.number().int(),
  job: z.string().optional(),
  sourcePath: z.string(),
  endpoint: z.string(),
  bucket: z.string(),
  key: z.string(),
  size: z.number(),
  startedAt: ms('start'),
  finishedAt: ms('end'),
  avgBytesPerSec: z.number(),
  attempts: z.number().int(),
  etag: z.string().nullable(),
  checksum: z.string().nullable(),
  result: z.enum(HISTORY_RESULTS),
  error: z.string().nullable(),
  versionId: z
    .string()
    .nullable()
    .describe(
      "the version of the object the upload stored (S3's VersionId, a versioned bucket); null on an unversioned bucket, for failures and older rows",
    ),
});

/** One row of the report: a file uploaded, skipped, parked or failed in the window. */
export const reportRowSchema = z.object({
  outcome: z.enum(REPORT_OUTCOMES),
  job: z.string().nullable().describe('null for a one-shot upload'),
  path: z.string().describe('the source file'),
  bucket: z.string().nullable(),
  key: z.string().nullable().describe("the object key (the plan's for a file not sent)"),
  versionId: z.string().nullable().describe('the version the upload stored (a versioned bucket)'),
  size: z.number().nullable(),
  etag: z.string().nullable(),
  sha256: z.string().nullable().describe('hex SHA-256 of the content, where computed'),
  startedAt: z.number().nullable().describe('when its upload began, ms since the epoch'),
  finishedAt: ms('when it was uploaded, skipped, parked or failed'),
  bytesPerSec: z.number().nullable().describe('average speed of an upload'),
  reason: z.string().nullable().describe('why it was skipped, parked or failed: CODE: message'),
});

/** A page of the report. */
export const reportSchema = z.object({
  items: z.array(reportRowSchema),
  next: z.string().nullable().describe('the cursor of the next page; null at the end'),
});

/** One event. */
export const eventSchema = z.object({
  id: z.number().int(),
  at: ms('when'),
  type: z.string(),
  level: z.enum(['info', 'warn', 'error']),
  message: z.string(),
  path: z.string().optional(),
  key: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

/** One running upload. */
export const transferSchema = z.object({
  fileId: z.number().int(),
  job: z.string(),
  path: z.string(),
  key: z.string(),
  size: z.number(),
  bytesDone: z.number(),
  bytesPerSec: z.number().describe('over the last 5 seconds'),
  etaMs: z.number().nullable().describe('time left at that speed; null while unknown'),
  startedAt: ms('start'),
});

/** The answer of /transfers (and the `transfers` events of the stream). */
export const transfersSchema = z.object({ items: z.array(transferSchema) });

/** The event webhook's deliveries since the agent started (agent/webhook-sender.ts). */
export const webhookSchema = z.object({
  url: z.string().describe('its URL, without a password'),
  delivered: z.number().int(),
  failures: z
    .object({
      network: z.number().int(),
      timeout: z.number().int(),
      server: z.number().int().describe('5xx and 429, retried'),
      refused: z.number().int().describe('other 4xx: the event is dropped'),
      redirect: z.number().int().describe('3xx, never followed: the event is dropped'),
    })
    .describe('failed attempts, by reason'),
  dropped: z
    .object({
      overflow: z.number().int().describe('the queue of undelivered events was full'),
      refused: z.number().int().describe('refused (4xx) or redirected (3xx)'),
    })
    .describe('events never delivered, by reason'),
  pending: z.number().int().describe('events waiting for delivery'),
  lastError: z.object({ at: ms('failure'), message: z.string() }).optional(),
});

/** The answer of /status (and of pause and resume). */
export const statusSchema = z.object({
  running: z.literal(true).describe('an agent answers'),
  paused: z.boolean().describe('all processing is paused'),
  jobs: z.array(
    z.object({
      name: z.string(),
      paused: z.boolean(),
      destination: z.string(),
      health: healthSchema,
      sources: z.array(sourceSchema),
      capabilities: capabilitiesSchema.optional(),
    }),
  ),
  files: stateCounts,
  inFlight: z.number().int().describe('files being processed now'),
  webhook: webhookSchema
    .optional()
    .describe(
      'the event webhook since the agent started; absent without one (/api/v1/status only)',
    ),
  bwlimit: bandwidthSchema
    .optional()
    .describe('the bandwidth limits in effect, as GET /api/v1/bwlimit (/api/v1/status only)'),
});

/** A destination as the API shows it (never its credentials). */
export const destinationRefSchema = z.object({
  name: z.string(),
  bucket: z.string(),
  prefix: z.string(),
  endpoint: z.string().optional(),
});

/** One job. */
export const jobSchema = z.object({
  name: z.string(),
  paused: z.boolean(),
  mode: z.enum(['watch', 'scan']),
  sources: z.array(sourceSchema),
  destination: destinationRefSchema,
  health: healthSchema,
  counts: stateCounts,
});

/** One destination with its health. */
export const destinationSchema = destinationRefSchema.extend({
  health: healthSchema,
  capabilities: capabilitiesSchema.optional(),
});
