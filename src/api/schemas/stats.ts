/**
 * Schemas of /api/v1/stats (each job's recent throughput, what is left of its queue and the time
 * left) and /api/v1/failures (parked and waiting files grouped by the code of their reason).
 */
import { z } from 'zod';
import { ETA_STATES } from '../../domain/queue-eta.js';
import { queueItemSchema } from './records.js';

/** Files and bytes left to send. */
const leftSchema = z
  .object({
    files: z.number().int().describe('files queued, waiting or uploading'),
    bytes: z.number().describe('their bytes, less what the running uploads sent'),
  })
  .describe('what is left to send');

/** The time left, or why there is no estimate. */
export const etaSchema = z
  .object({
    state: z
      .enum(ETA_STATES)
      .describe(
        'empty: nothing left; moving: ms is the estimate; paused; starting: nothing moved yet, but an upload began within the window, the agent started less than a window ago, or other agents of the fleet upload the files; stalled: files are left and nothing moved for a whole window',
      ),
    ms: z
      .number()
      .nullable()
      .describe(
        'time left at the throughput of the window, ms (the longer of bytes/bytesPerSec and files/filesPerSec); null unless moving',
      ),
  })
  .describe('when the queue will be done');

const throughputFields = {
  bytesPerSec: z
    .number()
    .describe("bytes the store accepted per second, over the window (this agent's uploads)"),
  filesPerSec: z.number().describe('files uploaded and verified per second, over the window'),
  left: leftSchema,
  eta: etaSchema,
};

/** The answer of /stats. */
export const statsSchema = z.object({
  windowMs: z.number().int().describe('the window of the throughput, ms'),
  jobs: z.array(
    z.object({
      name: z.string(),
      paused: z.boolean().describe('the job, or all processing, is paused'),
      ...throughputFields,
    }),
  ),
  total: z
    .object(throughputFields)
    .describe(
      "every job that is not paused (a paused job's files do not move); its eta is paused when only paused jobs have files left",
    ),
});

/** One group of /failures. */
export const failureGroupSchema = z.object({
  code: z
    .string()
    .describe(
      "the reason's code: ERR_… for a failure (docs/errors.md), a note code otherwise, '' for none",
    ),
  files: z.number().int().describe('parked and waiting files with this code'),
  parked: z.number().int().describe('of them, parked (the others wait for another try)'),
  newest: queueItemSchema.describe(
    'the file of the group that changed state last; its reason has the cause and the fix',
  ),
});

/** The answer of /failures. */
export const failuresSchema = z.object({
  items: z.array(failureGroupSchema).describe('the largest group first'),
});
