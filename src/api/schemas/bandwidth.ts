/**
 * Schemas of the bandwidth limits (docs/bandwidth.md): what /api/v1/bwlimit and the status answer,
 * and what PUT /api/v1/bwlimit takes (a rate and a duration as the CLI and s3ferry.yaml write them,
 * or as numbers: bytes per second, ms).
 */
import { z } from 'zod';
import { parseRate, rateProblem } from '../../domain/bandwidth-timetable.js';
import { parseDuration } from '../../domain/duration.js';
import type { BandwidthChange } from '../../control/control-service.js';

const rate = z.number().nullable().describe('bytes per second; null: no limit');
const ms = (what: string) => z.number().describe(`${what}, ms since the epoch`);

/** One limit: the agent's over all destinations, or one destination's. */
export const limitSchema = z.object({
  destination: z
    .string()
    .describe("the destination's name (as in /status); * for the agent's limit over all of them"),
  bytesPerSec: rate.describe('in effect now, bytes per second; null: no limit'),
  source: z.enum(['config', 'override']).describe("the configuration's timetable, or an override"),
  timetable: z.string().nullable().describe('the configured limit as written; null: none'),
  override: z
    .object({
      bytesPerSec: rate,
      setAt: ms('when set'),
      until: z.number().nullable().describe('when it ends, ms since the epoch; null: when reset'),
    })
    .optional()
    .describe('the override, while it holds'),
  next: z
    .object({ at: ms('when'), bytesPerSec: rate })
    .optional()
    .describe('the next change of the limit in effect; absent when none is coming'),
});

/** Every limit of the agent (GET and PUT /api/v1/bwlimit, and `bwlimit` of /status). */
export const bandwidthSchema = z.object({
  agent: limitSchema.describe('the limit over all destinations together'),
  destinations: z.array(limitSchema).describe("each destination's own limit"),
});

/** An override's length, at most a year. */
const MAX_FOR_MS = 366 * 86_400_000;

const rateParam = z
  .union([z.number().int().min(1), z.string().max(100)])
  .transform((value, ctx): number | null => {
    if (typeof value === 'number') return value;
    const parsed = parseRate(value);
    if (parsed !== undefined) return parsed;
    ctx.issues.push({ code: 'custom', input: value, message: rateProblem(value) });
    return z.NEVER;
  })
  .describe('bytes per second: a number, a size like "2MiB" or "512k", or "off" (no limit)');

const forParam = z
  .union([z.number().int(), z.string().max(100)])
  .transform((value, ctx): number => {
    const forMs = typeof value === 'number' ? value : parseDuration(value);
    if (forMs !== undefined && forMs >= 1000 && forMs <= MAX_FOR_MS) return Math.round(forMs);
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `"${String(value)}" is not a duration from 1s to 366d: write ms, or a duration like 30m or 2h`,
    });
    return z.NEVER;
  })
  .describe(
    'how long the override lasts: ms, or a duration like "2h" (default: until the timetable next changes the limit)',
  );

/** PUT /api/v1/bwlimit: an override, or `reset: true` to end one. */
export const bwlimitBody = z
  .strictObject({
    rate: rateParam.optional(),
    for: forParam.optional(),
    reset: z
      .literal(true)
      .optional()
      .describe('end the override: the configured limit applies again'),
    destination: z
      .string()
      .min(1)
      .max(2000)
      .optional()
      .describe(
        "one destination: its name as /status gives it, or the name of its entry under destinations:; default the agent's limit over all destinations",
      ),
  })
  .refine((b) => (b.rate === undefined) !== (b.reset === undefined), {
    message: 'give either rate or reset: true',
    path: ['rate'],
  })
  .refine((b) => b.for === undefined || b.rate !== undefined, {
    message: 'for goes with a rate (a reset ends the override now)',
    path: ['for'],
  })
  .transform((b): BandwidthChange => {
    const where = b.destination === undefined ? {} : { destination: b.destination };
    if (b.rate === undefined) return { ...where, reset: true };
    return { ...where, bytesPerSec: b.rate, ...(b.for === undefined ? {} : { forMs: b.for }) };
  });
