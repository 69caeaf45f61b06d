/**
 * The wire format of the direct requests (s3-direct.ts): key encoding, the headers of a write, and
 * S3's answers read back into errors shaped like the SDK's, for classify.ts.
 */
import type http from 'node:http';
import type { WriteOptions } from '../object-target.js';

/** SHA-256 of an empty payload: what a HEAD request signs. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const META_PREFIX = 'x-amz-meta-';

/** S3's key encoding in a path (the SDK's extendedEncodeURIComponent, '/' kept). */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      /^[\w.~-]*$/.test(segment)
        ? segment
        : encodeURIComponent(segment).replace(
            /[!'()*]/g,
            (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
          ),
    )
    .join('/');
}

/** An error shaped like the SDK's service errors, for classifyS3Error. */
export class DirectS3Error extends Error {
  readonly Code: string;
  readonly Region: string | undefined;
  readonly $metadata: { httpStatusCode: number };
  readonly $response: { headers: Record<string, string> };

  constructor(status: number, headers: http.IncomingHttpHeaders, body: string) {
    const code = xmlField(body, 'Code') ?? statusName(status);
    super(xmlField(body, 'Message') ?? (body === '' ? `HTTP ${status}` : code));
    this.name = code;
    this.Code = code;
    this.Region = xmlField(body, 'Region');
    this.$metadata = { httpStatusCode: status };
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) {
      if (typeof v === 'string') flat[k] = v;
    }
    this.$response = { headers: flat };
  }
}

/** The SDK names body-less errors by status the same way. */
function statusName(status: number): string {
  if (status === 404) return 'NotFound';
  if (status === 403) return 'Forbidden';
  if (status === 301) return 'PermanentRedirect';
  if (status === 307) return 'TemporaryRedirect';
  return `Http${status}`;
}

/** The text of the first <name> element of an S3 error document. */
function xmlField(body: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(body);
  return m?.[1]
    ?.replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

export function timeoutError(message: string): Error {
  const err = new Error(message);
  err.name = 'TimeoutError';
  return err;
}

export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
}

/** Answers that the SDK handles its own way: redirects and a signature for the wrong region. */
export function isRedirect(err: unknown): boolean {
  if (!(err instanceof DirectS3Error)) return false;
  const status = err.$metadata.httpStatusCode;
  // a HEAD answer has no body to name the code: the region header tells
  return (
    status === 301 ||
    status === 307 ||
    (status === 400 &&
      (err.Code === 'AuthorizationHeaderMalformed' ||
        err.$response.headers['x-amz-bucket-region'] !== undefined))
  );
}

export function header(a: Answer, name: string): string {
  const v = a.headers[name];
  return typeof v === 'string' ? v : '';
}

/** The headers every write carries besides its bytes (PutObject; CreateMultipartUpload is SDK). */
export function writeHeaders(o: WriteOptions): Record<string, string> {
  const h: Record<string, string> = {};
  if (o.contentType !== undefined) h['content-type'] = o.contentType;
  for (const [k, v] of Object.entries(o.metadata ?? {})) h[`${META_PREFIX}${k}`] = v;
  if (o.storageClass !== undefined) h['x-amz-storage-class'] = o.storageClass;
  if (o.sse !== undefined) h['x-amz-server-side-encryption'] = o.sse.mode;
  if (o.sse?.kmsKeyId !== undefined)
    h['x-amz-server-side-encryption-aws-kms-key-id'] = o.sse.kmsKeyId;
  if (o.tagging !== undefined) h['x-amz-tagging'] = o.tagging;
  if (o.cacheControl !== undefined) h['cache-control'] = o.cacheControl;
  if (o.contentDisposition !== undefined) h['content-disposition'] = o.contentDisposition;
  if (o.contentEncoding !== undefined) h['content-encoding'] = o.contentEncoding;
  if (o.acl !== undefined) h['x-amz-acl'] = o.acl;
  const retention = o.objectLock?.retention;
  if (retention !== undefined) {
    h['x-amz-object-lock-mode'] = retention.mode;
    // ISO 8601 to the second, as the SDK writes it
    h['x-amz-object-lock-retain-until-date'] = retention.retainUntil
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }
  if (o.objectLock?.legalHold === true) h['x-amz-object-lock-legal-hold'] = 'ON';
  return h;
}
