/**
 * The write-once options (domain/retention.ts) of a destination and of a job, which takes its
 * destination's where it sets none.
 */
import { z } from 'zod';
import { duration } from './schema-values.js';

/** 100 years: beyond any retention a store accepts. */
const MAX_RETENTION_MS = 36_500 * 86_400_000;

const retention = z
  .strictObject({
    mode: z
      .enum(['governance', 'compliance'])
      .describe(
        'governance: whoever may bypass governance retention (s3:BypassGovernanceRetention) can still delete or shorten it; compliance: nobody can until it ends.',
      ),
    for: duration({ min: [1000, '1s'], max: [MAX_RETENTION_MS, '36500d'] }).describe(
      'How long each object is kept from deletion and overwrite, counted from its upload, e.g. 30d.',
    ),
  })
  .describe(
    'Write-once retention (S3 Object Lock) of every object: the bucket must have Object Lock enabled, or the destination is unhealthy (ERR_S3_NO_OBJECT_LOCK). None when absent.',
  );

/** `retention` and `legalHold` of a destination. */
export const destinationLockFields = {
  retention: retention.exactOptional(),
  legalHold: z
    .boolean()
    .default(false)
    .describe(
      'Put a legal hold on every object (S3 Object Lock): it cannot be deleted until the hold is removed. The bucket must have Object Lock enabled.',
    ),
};

/** `retention` and `legalHold` of a job: its destination's when absent. */
export const jobLockFields = {
  retention: retention
    .exactOptional()
    .describe("Retention of this job's objects instead of its destination's (see Destinations)."),
  legalHold: z
    .boolean()
    .exactOptional()
    .describe("Legal hold on this job's objects, instead of its destination's setting."),
};
