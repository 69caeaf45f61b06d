/**
 * How the API answers errors: `{ error: { code, message, hint?, field? } }`, with the status from
 * the one code table (errors/codes.ts). Validation errors are 400 ERR_USAGE naming the parameter
 * at fault in `field`; unknown routes are 404.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { toAppError } from '../errors/app-error.js';
import { codeInfo } from '../errors/codes.js';

/** The body of an error answer. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly hint?: string;
    readonly field?: string;
  };
}

/** `paths[0]`, `limit`: a zod issue path as a parameter name. */
function fieldName(segments: readonly string[]): string {
  return segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** The first validation issue as an error body. */
function validationBody(err: FastifyError): ErrorBody {
  const issue = err.validation?.[0];
  const where = err.validationContext === 'body' ? 'body' : 'query';
  const segments = (issue?.instancePath ?? '').split('/').filter((s) => s !== '');
  const keys = (issue?.params as { keys?: unknown } | undefined)?.keys;
  const unknown = Array.isArray(keys) && typeof keys[0] === 'string' ? keys[0] : undefined;
  const field = unknown ?? (segments.length > 0 ? fieldName(segments) : where);
  const message =
    unknown !== undefined
      ? `unknown parameter ${unknown}`
      : `${field}: ${issue?.message ?? 'invalid'}`;
  return {
    error: {
      code: 'ERR_USAGE',
      message,
      hint: 'see /api/v1/openapi.json for the parameters of each route',
      field,
    },
  };
}

/** Installs the error and not-found handlers on `app`. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError, _req, reply) => {
    if (hasZodFastifySchemaValidationErrors(raw)) return reply.code(400).send(validationBody(raw));
    const status = raw.statusCode;
    if (status !== undefined && status >= 400 && status < 500 && !('kind' in raw)) {
      // Fastify's own refusals: a body that is not JSON, too large, a wrong content type…
      const field = status === 400 ? { field: 'body' } : {};
      return reply
        .code(status)
        .send({ error: { code: 'ERR_USAGE', message: raw.message, ...field } });
    }
    const err = toAppError(raw);
    const field = err.details.field;
    return reply.code(codeInfo(err.code).httpStatus).send({
      error: {
        code: err.code,
        message: err.message,
        ...(err.hint === undefined ? {} : { hint: err.hint }),
        ...(typeof field === 'string' ? { field } : {}),
      },
    } satisfies ErrorBody);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      error: {
        code: 'ERR_NOT_FOUND',
        message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}`,
        hint: 'see /api/v1/openapi.json for the routes',
      },
    } satisfies ErrorBody),
  );
}
