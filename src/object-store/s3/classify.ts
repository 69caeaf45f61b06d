/**
 * The one place where S3 and network failures become s3ferry errors. Each row names the cause in
 * plain words and the fix. Everything else in s3ferry decides by `AppError.code`/`kind` only.
 * The rows for failures below HTTP (connections, TLS certificates) are in classify-socket.ts.
 */
import { AppError, isAbortError } from '../../errors/app-error.js';
import type { ErrorCode } from '../../errors/codes.js';
import { CLI_SETTINGS, type SettingNames } from '../setting-names.js';
import { classifySocketError } from './classify-socket.js';

/** What the classifier knows about the request that failed. */
export interface RequestContext {
  /** S3 operation, e.g. 'PutObject'. */
  readonly operation: string;
  readonly endpoint: string;
  readonly bucket: string;
  readonly key?: string;
  /** The region the client signed for. */
  readonly region?: string;
  /** The CA bundle TLS verifies with, for messages: "PATH (from ORIGIN)"; undefined: node's list. */
  readonly caBundle?: string;
  /**
   * How the person names the destination's settings, for the fixes: the configuration's paths
   * for the agent; the one-shot commands' options ({@link CLI_SETTINGS}) when absent.
   */
  readonly settings?: SettingNames;
}

interface Row {
  readonly code: ErrorCode;
  readonly cause: (c: RequestContext, e: SdkErrorShape) => string;
  readonly hint: (c: RequestContext, e: SdkErrorShape) => string;
}

/** The fields of SDK and Node errors we look at. */
interface SdkErrorShape {
  readonly name: string;
  readonly message: string;
  readonly code: string;
  readonly status: number | undefined;
  readonly region: string | undefined;
}

const where = (c: RequestContext): string => c.endpoint || 'AWS S3';
/** The names of the settings in the fixes. */
const names = (c: RequestContext): SettingNames => c.settings ?? CLI_SETTINGS;
const obj = (c: RequestContext): string =>
  c.key === undefined ? `s3://${c.bucket}` : `s3://${c.bucket}/${c.key}`;

const SERVER_CODES: Readonly<Record<string, Row>> = {
  InvalidAccessKeyId: {
    code: 'ERR_S3_UNKNOWN_ACCESS_KEY',
    cause: (c) => `the access key is not known to ${where(c)} (InvalidAccessKeyId)`,
    hint: (c) =>
      `check the credentials: the access key ID (${names(c).accessKey}) must exist on this endpoint`,
  },
  SignatureDoesNotMatch: {
    code: 'ERR_S3_SIGNATURE_MISMATCH',
    cause: (c) =>
      `${where(c)} rejected the request signature: the secret key does not match the access key (SignatureDoesNotMatch)`,
    hint: (c) =>
      `check the secret access key (${names(c).secretKey}); a proxy that rewrites requests can also cause this`,
  },
  AccessDenied: {
    code: 'ERR_S3_ACCESS_DENIED',
    cause: (c) =>
      `access denied: these credentials may not ${c.operation} on ${obj(c)} (AccessDenied)`,
    hint: () =>
      'grant the credentials s3:PutObject, s3:GetObject, s3:ListBucket, s3:ListBucketMultipartUploads, s3:AbortMultipartUpload on the bucket, or use other credentials',
  },
  NoSuchBucket: {
    code: 'ERR_S3_NO_SUCH_BUCKET',
    cause: (c) => `the bucket "${c.bucket}" does not exist at ${where(c)} (NoSuchBucket)`,
    hint: (c) => `create the bucket, or correct ${names(c).bucket}`,
  },
  PermanentRedirect: {
    code: 'ERR_S3_WRONG_REGION',
    cause: (c, e) =>
      `the bucket "${c.bucket}" is in ${e.region ?? 'another region'}, not ${c.region ?? 'the configured one'} (PermanentRedirect)`,
    hint: (c, e) => `set the region to ${e.region ?? "the bucket's region"} (${names(c).region})`,
  },
  TemporaryRedirect: {
    code: 'ERR_S3_WRONG_REGION',
    cause: (c, e) =>
      `the bucket "${c.bucket}" is served from another endpoint (307 TemporaryRedirect)${e.region === undefined ? '' : `: it is in ${e.region}`}`,
    hint: (c, e) =>
      `set the region to ${e.region ?? "the bucket's region"} (${names(c).region}); a bucket made moments ago may answer so until its name has spread`,
  },
  AuthorizationHeaderMalformed: {
    code: 'ERR_S3_WRONG_REGION',
    cause: (c, e) =>
      `the request was signed for the wrong region (${c.region ?? 'unset'}${e.region === undefined ? '' : `, the bucket's is ${e.region}`}): ${e.message}`,
    hint: (c, e) => `set the region to ${e.region ?? "the bucket's region"} (${names(c).region})`,
  },
  RequestTimeTooSkewed: {
    code: 'ERR_S3_CLOCK_SKEW',
    cause: (c) =>
      `${where(c)} says this machine's clock is too far from its own (RequestTimeTooSkewed)`,
    hint: () => 'synchronise the system clock (NTP)',
  },
  SlowDown: transientRow('ERR_S3_THROTTLED', 'asks us to slow down (503 SlowDown)'),
  ServiceUnavailable: transientRow('ERR_S3_THROTTLED', 'is unavailable (503)'),
  TooManyRequests: transientRow('ERR_S3_THROTTLED', 'has too many requests (429)'),
  Throttling: transientRow('ERR_S3_THROTTLED', 'throttles us'),
  InternalError: transientRow('ERR_S3_SERVER', 'had an internal error (500)'),
  RequestTimeout: transientRow(
    'ERR_S3_TIMEOUT',
    'timed out waiting for the request body (RequestTimeout)',
  ),
  BadDigest: transientRow(
    'ERR_S3_BAD_DIGEST',
    'received bytes whose MD5 differs from Content-MD5 (BadDigest): they were damaged on the way',
  ),
  NoSuchUpload: {
    code: 'ERR_S3_UPLOAD_GONE',
    cause: (c) => `the multipart upload of ${obj(c)} no longer exists (NoSuchUpload)`,
    hint: () => 'it was completed or aborted elsewhere; s3ferry starts the file afresh',
  },
  EntityTooLarge: {
    code: 'ERR_S3_ENTITY_TOO_LARGE',
    cause: (c) => `${where(c)} refused ${obj(c)} as too large (EntityTooLarge)`,
    hint: () => 'lower the multipart threshold or part size, or split the file',
  },
  KeyTooLongError: {
    code: 'ERR_KEY_INVALID',
    cause: (c) => `the key of ${obj(c)} is too long for the store (KeyTooLongError)`,
    hint: () => 'shorten the prefix or the key template (keys are at most 1,024 bytes)',
  },
  PreconditionFailed: {
    code: 'ERR_S3_PRECONDITION_FAILED',
    cause: (c) =>
      `${obj(c)} already exists and the overwrite policy forbids replacing it (412 PreconditionFailed)`,
    hint: () => 'choose another key or overwrite policy',
  },
  NotImplemented: {
    code: 'ERR_S3_BAD_REQUEST',
    cause: (c) =>
      `${where(c)} does not implement a feature ${c.operation} asked for (501 NotImplemented)`,
    hint: () =>
      'the store lacks this S3 feature (e.g. conditional PUT); s3ferry falls back where it can',
  },
  InvalidPart: invalidPartRow('InvalidPart'),
  InvalidPartOrder: invalidPartRow('InvalidPartOrder'),
  EntityTooSmall: invalidPartRow('EntityTooSmall'),
};

function transientRow(code: ErrorCode, what: string): Row {
  return {
    code,
    cause: (c, e) =>
      `${where(c)} ${what} during ${c.operation}${e.message ? `: ${e.message}` : ''}`,
    hint: () => 'temporary: s3ferry retries with backoff',
  };
}

function invalidPartRow(name: string): Row {
  return {
    code: 'ERR_S3_INVALID_PART',
    cause: (c) => `${where(c)} refused the parts list of ${obj(c)} (${name})`,
    hint: () => 'the parts on the server differ from the journal: s3ferry starts the file afresh',
  };
}

/** Node's codes for a header it will not send (a value beyond Latin-1, a control character). */
const HEADER_CODES: ReadonlySet<string> = new Set([
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_HTTP_INVALID_HEADER_VALUE',
]);
function shape(err: unknown): SdkErrorShape {
  const e = (err ?? {}) as Record<string, unknown>;
  const meta = (e.$metadata ?? {}) as Record<string, unknown>;
  const response = (e.$response ?? {}) as { headers?: Record<string, string> };
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.Code === 'string' ? e.Code : typeof e.code === 'string' ? e.code : name;
  return {
    name,
    message: typeof e.message === 'string' ? e.message : String(err),
    code,
    status: typeof meta.httpStatusCode === 'number' ? meta.httpStatusCode : undefined,
    region: typeof e.Region === 'string' ? e.Region : response.headers?.['x-amz-bucket-region'],
  };
}

/** Turns anything an S3 call threw into an AppError with cause and fix. */
export function classifyS3Error(err: unknown, context: RequestContext): AppError {
  if (err instanceof AppError) return err;
  if (isAbortError(err)) {
    return new AppError('ERR_CANCELLED', `${context.operation} cancelled`, {
      cause: err,
      hint: 'interrupted: run the same command again to resume',
    });
  }
  const e = shape(err);
  const build = (row: Row): AppError =>
    new AppError(row.code, row.cause(context, e), {
      hint: row.hint(context, e),
      cause: err,
      details: { operation: context.operation, s3Code: e.code },
    });

  const row = SERVER_CODES[e.code] ?? SERVER_CODES[e.name];
  if (row !== undefined) return build(row);
  const socket = classifySocketError(err, context);
  if (socket !== undefined) return socket;
  if (HEADER_CODES.has(e.code)) {
    // Node refused to build the request: no store, no retry can change that.
    return new AppError(
      'ERR_S3_BAD_REQUEST',
      `${context.operation} of ${obj(context)} cannot be sent: ${e.message}`,
      {
        hint: 'a header (metadata, content type) holds characters HTTP cannot carry: use printable ASCII',
        cause: err,
        details: { operation: context.operation, s3Code: e.code },
      },
    );
  }
  if (e.name === 'TimeoutError' || /timed? ?out/i.test(e.message)) {
    return new AppError(
      'ERR_S3_TIMEOUT',
      `no answer from ${where(context)} in time during ${context.operation}`,
      {
        hint: 'temporary: s3ferry retries; if it persists check the network or raise the request timeout',
        cause: err,
      },
    );
  }
  if (e.name === 'CredentialsProviderError' || /Could not load credentials/i.test(e.message)) {
    return new AppError(
      'ERR_S3_NO_CREDENTIALS',
      'no AWS credentials were found (environment, shared config files, SSO, or instance/container role)',
      { hint: names(context).credentials, cause: err },
    );
  }
  if (/Region is missing/i.test(e.message)) {
    return new AppError('ERR_S3_WRONG_REGION', 'no region is configured', {
      hint: `set ${names(context).region}`,
      cause: err,
    });
  }
  return byStatus(e, context, err);
}

function byStatus(e: SdkErrorShape, context: RequestContext, err: unknown): AppError {
  const status = e.status ?? 0;
  const details = { operation: context.operation, s3Code: e.code, httpStatus: status };
  const label = `${e.code || e.name || 'error'}${status ? ` ${status}` : ''}`;
  if (status === 429 || status >= 500) {
    return new AppError(
      status === 429 || status === 503 ? 'ERR_S3_THROTTLED' : 'ERR_S3_SERVER',
      `${where(context)} answered ${label} to ${context.operation}`,
      {
        hint: 'temporary: s3ferry retries with backoff',
        cause: err,
        details,
      },
    );
  }
  // HEAD answers carry no body, so only the status tells.
  if (status === 404) {
    return new AppError(
      'ERR_S3_NOT_FOUND',
      `${obj(context)} was not found at ${where(context)} (${label})`,
      { hint: 'check the bucket and key', cause: err, details },
    );
  }
  if (status === 403) {
    return new AppError(
      'ERR_S3_ACCESS_DENIED',
      `${where(context)} refused ${context.operation} on ${obj(context)} (403 Forbidden)`,
      {
        hint: 'check the credentials and that they may write to this bucket',
        cause: err,
        details,
      },
    );
  }
  if (status === 301 || status === 307) return buildRedirect(status, context, e, err);
  if (status >= 400) {
    return new AppError(
      'ERR_S3_BAD_REQUEST',
      `${where(context)} refused ${context.operation} on ${obj(context)}: ${label}: ${e.message}`,
      {
        hint: 'the store does not accept this request; check the key, the settings and the store’s documentation',
        cause: err,
        details,
      },
    );
  }
  return new AppError(
    'ERR_NETWORK',
    `${context.operation} to ${where(context)} failed: ${e.message}`,
    {
      hint: 'temporary: s3ferry retries with backoff',
      cause: err,
      details,
    },
  );
}

/** A redirect without a body to name it (HEAD): the status tells which. */
function buildRedirect(
  status: number,
  context: RequestContext,
  e: SdkErrorShape,
  err: unknown,
): AppError {
  const row = status === 301 ? SERVER_CODES.PermanentRedirect : SERVER_CODES.TemporaryRedirect;
  return new AppError('ERR_S3_WRONG_REGION', row?.cause(context, e) ?? 'wrong region', {
    hint: row?.hint(context, e) ?? `set ${names(context).region}`,
    cause: err,
  });
}
