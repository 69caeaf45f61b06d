/**
 * The rows of the classification table (classify.ts) for failures below HTTP: a connection that
 * cannot be made or broke, and a server certificate TLS does not accept. classify.ts calls these;
 * nothing else does.
 */
import { AppError } from '../../errors/app-error.js';
import { CLI_SETTINGS, type SettingNames } from '../setting-names.js';

/** What these rows use of classify.ts's RequestContext. */
interface RequestContext {
  readonly operation: string;
  /** '' for AWS. */
  readonly endpoint: string;
  /** The CA bundle in use, "PATH (from ORIGIN)"; undefined: node's list. */
  readonly caBundle?: string;
  /** How the person names the settings (classify.ts); the one-shot commands' when absent. */
  readonly settings?: SettingNames;
}

/** Node socket errors that mean "could not connect at all". */
const CONNECT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
/** Node socket errors that mean "the connection broke". */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

/** OpenSSL's verdicts (node's error codes) on a certificate that chains to no trusted CA. */
const UNTRUSTED_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'INVALID_CA',
]);
/** A certificate outside its validity period. */
const EXPIRED_CODES: ReadonlySet<string> = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
/** A certificate that does not name the host it was presented for. */
const NAME_CODE = 'ERR_TLS_CERT_ALTNAME_INVALID';

/** The errors of `err`'s cause chain (the SDK and node wrap socket errors at times). */
function* chain(err: unknown): Generator<Error> {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1)
    yield e;
}

function codeOf(e: Error): string | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** A connect or network error of the chain, classified; undefined if there is none. */
export function classifySocketError(err: unknown, context: RequestContext): AppError | undefined {
  for (const e of chain(err)) {
    const code = codeOf(e);
    if (code === undefined) continue;
    if (UNTRUSTED_CODES.has(code) || EXPIRED_CODES.has(code) || code === NAME_CODE)
      return certificateError(e, code, context, err);
    if (CONNECT_CODES.has(code) || NETWORK_CODES.has(code)) return networkError(code, context, err);
  }
  return undefined;
}

const where = (c: RequestContext): string => c.endpoint || 'AWS S3';

function networkError(code: string, context: RequestContext, err: unknown): AppError {
  const details = { operation: context.operation, s3Code: code };
  if (CONNECT_CODES.has(code)) {
    // Whether this is a configuration error (never reachable) or an outage is the caller's call:
    // a probe before any upload treats it as fatal, a transfer in progress as transient.
    return new AppError(
      'ERR_S3_ENDPOINT_UNREACHABLE',
      `cannot connect to ${where(context)} (${code})`,
      {
        hint: `check the endpoint URL (${(context.settings ?? CLI_SETTINGS).endpoint}), that the server runs, and the network or proxy between`,
        cause: err,
        details,
      },
    );
  }
  return new AppError(
    'ERR_NETWORK',
    `the connection to ${where(context)} broke during ${context.operation} (${code})`,
    { hint: 'temporary: s3ferry retries with backoff', cause: err, details },
  );
}

/** The host whose certificate failed: named on the error (transport.ts tags it), else the endpoint's. */
function hostOf(e: Error, context: RequestContext): string {
  const tagged = (e as { host?: unknown }).host;
  if (typeof tagged === 'string' && tagged !== '') return tagged;
  if (context.endpoint === '') return 'the AWS S3 endpoint';
  try {
    return new URL(context.endpoint).hostname;
  } catch {
    return context.endpoint;
  }
}

/**
 * A certificate TLS refused: a configuration error (kind fatal), never retried blindly. The
 * destination is held with this cause until a probe passes (the CA bundle or the server fixed).
 */
function certificateError(e: Error, code: string, context: RequestContext, err: unknown): AppError {
  const host = hostOf(e, context);
  const details = { operation: context.operation, s3Code: code, host };
  const inUse =
    context.caBundle === undefined ? '' : `; the CA bundle in use, ${context.caBundle},`;
  if (code === NAME_CODE) {
    return new AppError(
      'ERR_S3_TLS_UNTRUSTED',
      `the certificate of ${host} is not valid for that name (${code}): ${e.message}`,
      {
        hint: `use an endpoint name the certificate holds; with virtual-hosted addressing it must hold *.ENDPOINT-HOST too, or set ${(context.settings ?? CLI_SETTINGS).pathStyle}`,
        cause: err,
        details,
      },
    );
  }
  if (EXPIRED_CODES.has(code)) {
    return new AppError(
      'ERR_S3_TLS_UNTRUSTED',
      `the certificate of ${host} is outside its validity period (${code}): ${e.message}`,
      {
        hint: "renew the server's certificate, or correct this machine's clock",
        cause: err,
        details,
      },
    );
  }
  return new AppError(
    'ERR_S3_TLS_UNTRUSTED',
    `the certificate of ${host} is not trusted (${code}: ${e.message})`,
    {
      hint: `set ${(context.settings ?? CLI_SETTINGS).caBundle} to the PEM of the CA that signed it${inUse === '' ? '' : `${inUse} does not hold that CA`}`,
      cause: err,
      details,
    },
  );
}
