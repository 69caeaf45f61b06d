/**
 * Building blocks of the API's schemas (zod, the same schema language as the configuration): query
 * parameters as the query string carries them (text, turned into numbers here), the error answer,
 * and paging. The OpenAPI description is generated from these schemas (build-app.ts).
 */
import { z } from 'zod';

/** Largest `limit` of a paged list. */
export const MAX_LIMIT = 1000;
/** `limit` when none is given. */
export const DEFAULT_LIMIT = 50;

/** A whole-number query parameter in [min, max]. */
export function intParam(min: number, max: number, description: string) {
  return z
    .string()
    .regex(/^\d{1,16}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `expected at least ${min}`).max(max, `expected at most ${max}`))
    .describe(description);
}

/** A short text parameter (names, search text). */
export function textParam(description: string, max = 1024) {
  return z.string().min(1).max(max, `expected at most ${max} characters`).describe(description);
}

/** `limit` and `offset` of a paged list. */
export const paging = {
  limit: intParam(
    0,
    MAX_LIMIT,
    `rows to return (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})`,
  ).default(DEFAULT_LIMIT),
  offset: intParam(0, Number.MAX_SAFE_INTEGER, 'rows to skip (default 0)').default(0),
};

/** Every error answer: `{ error: { code, message, hint?, field? } }`. */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().describe('an error code of docs/errors.md'),
      message: z.string(),
      hint: z.string().optional().describe('what to do about it'),
      field: z.string().optional().describe('the parameter at fault (validation errors)'),
    }),
  })
  .describe('an error');

/** The error answers every /api/v1 route may give. */
export const errorResponses = {
  400: errorSchema.describe('a parameter is invalid (see field)'),
  401: errorSchema.describe('a valid bearer token is required'),
};

/** A list answer with its total. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int().describe('rows in the whole filtered list'),
  });
}
