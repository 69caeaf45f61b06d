/**
 * The wire side of the fault proxy (fault-proxy.ts): which S3 operation a path-style request is,
 * S3's XML error bodies, raw HTTP answers for faults that cut them short, and a seeded generator.
 */
import type http from 'node:http';

/** The S3 operation of a path-style request, from its method and query. */
export type S3Operation =
  | 'PutObject'
  | 'UploadPart'
  | 'CopyObject'
  | 'CreateMultipartUpload'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'ListMultipartUploads'
  | 'ListObjects'
  | 'HeadObject'
  | 'HeadBucket'
  | 'GetObject'
  | 'DeleteObject'
  | 'Other';

/** What a request is, as rules see it. */
export interface RequestInfo {
  readonly method: string;
  readonly operation: S3Operation;
  readonly bucket: string;
  /** Decoded object key ('' for bucket requests). */
  readonly key: string;
  readonly partNumber: number | undefined;
  readonly uploadId: string | undefined;
  /** Content-Length of the request body (0 when absent). */
  readonly contentLength: number;
  /** The request carries If-None-Match (a conditional PUT). */
  readonly conditional: boolean;
}

/** mulberry32: small, fast, seedable; good enough to pick faults reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function operationOf(method: string, key: string, q: URLSearchParams, copy: boolean): S3Operation {
  const object = key !== '';
  switch (method) {
    case 'PUT':
      if (q.has('partNumber') && q.has('uploadId')) return 'UploadPart';
      if (!object) return 'Other';
      return copy ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (q.has('uploads')) return 'CreateMultipartUpload';
      if (q.has('uploadId')) return 'CompleteMultipartUpload';
      return 'Other';
    case 'DELETE':
      if (q.has('uploadId')) return 'AbortMultipartUpload';
      return object ? 'DeleteObject' : 'Other';
    case 'GET':
      if (q.has('uploadId')) return 'ListParts';
      if (!object && q.has('uploads')) return 'ListMultipartUploads';
      return object ? 'GetObject' : 'ListObjects';
    case 'HEAD':
      return object ? 'HeadObject' : 'HeadBucket';
    default:
      return 'Other';
  }
}

/** Parses a path-style S3 request. */
export function describeRequest(req: http.IncomingMessage): RequestInfo {
  const url = new URL(req.url ?? '/', 'http://proxy');
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const method = req.method ?? 'GET';
  const part = url.searchParams.get('partNumber');
  return {
    method,
    operation: operationOf(
      method,
      key,
      url.searchParams,
      req.headers['x-amz-copy-source'] !== undefined,
    ),
    bucket: decodeURIComponent(bucket),
    key,
    partNumber: part === null ? undefined : Number(part),
    uploadId: url.searchParams.get('uploadId') ?? undefined,
    contentLength: Number(req.headers['content-length'] ?? 0) || 0,
    conditional: req.headers['if-none-match'] !== undefined,
  };
}

/** The statuses an 'error' fault answers with. */
export type ErrorStatus = 500 | 501 | 503 | 429;

const ERROR_BODIES: Record<ErrorStatus, { code: string; message: string }> = {
  500: { code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
  // what a store without conditional writes answers a PUT with If-None-Match
  501: {
    code: 'NotImplemented',
    message: 'A header you provided implies functionality that is not implemented.',
  },
  503: { code: 'SlowDown', message: 'Please reduce your request rate.' },
  429: { code: 'TooManyRequests', message: 'Too many requests, please slow down.' },
};

export function errorXml(status: ErrorStatus, resource: string): string {
  const { code, message } = ERROR_BODIES[status];
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message>` +
    `<Resource>${resource.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Resource>` +
    '<RequestId>fault-proxy</RequestId></Error>'
  );
}

/** A relayed answer, buffered, for faults that tamper with it. */
export interface Answer {
  readonly status: number;
  readonly statusMessage: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The raw HTTP/1.1 bytes of an answer, always with Content-Length (never chunked). */
export function rawAnswer(a: Answer): Buffer {
  const lines = [`HTTP/1.1 ${a.status} ${a.statusMessage}`];
  for (const [name, value] of Object.entries(a.headers)) {
    if (value === undefined || /^(transfer-encoding|content-length|connection)$/i.test(name))
      continue;
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  }
  lines.push(`content-length: ${a.body.length}`, 'connection: close', '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), a.body]);
}
