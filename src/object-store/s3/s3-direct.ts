/**
 * The three requests that carry an upload's bytes and verify them (PutObject, UploadPart,
 * HeadObject), sent straight over node:http(s), signed by the SDK's own SigV4 signer
 * (@smithy/signature-v4) with the S3 client's credentials and region.
 *
 * Why: against a store on the local network, the SDK's command pipeline (middleware stack, endpoint
 * rules, schema serde) cost about 1.3 ms of CPU per request, four times the request itself; for
 * small files that CPU, not the store, set the pace (docs/benchmarks.md). These three requests are
 * simple: a path, a few headers, a body, and an answer whose status, ETag and metadata headers are
 * all we read. Everything else (multipart bookkeeping, listings, copies, probes) stays on the SDK.
 *
 * Used only where the request is plain: a custom endpoint with path-style addressing, no proxy, and
 * no SDK flexible checksums (checksumMode when-supported). AWS itself keeps the SDK, whose endpoint
 * rules and region redirects matter there. Integrity is unchanged: every body carries Content-MD5,
 * a signed header the store checks.
 *
 * Failures are thrown shaped like the SDK's (name, Code, message, $metadata.httpStatusCode,
 * $response.headers), so target/s3/classify.ts turns them into the same AppErrors.
 */
import type { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, Provider } from '@smithy/types';
import http from 'node:http';
import https from 'node:https';
import { addAbortSignal } from 'node:stream';
import type {
  ObjectHead,
  PutObjectInput,
  UploadPartInput,
  WriteOptions,
} from '../object-target.js';
import { sigV4 } from './aws-sdk.js';
import { writeBody, type Body } from './direct-body.js';
import { packageVersion } from '../../platform/package-version.js';

/** What the direct requests need from the connection. */
export interface S3DirectSettings {
  /** The custom endpoint, e.g. http://127.0.0.1:7480 (a base path is kept). */
  readonly endpoint: string;
  readonly region: Provider<string>;
  readonly credentials: AwsCredentialIdentityProvider;
  /** The hash the S3 client signs with (its config's sha256). */
  readonly sha256: ConstructorParameters<typeof SignatureV4>[0]['sha256'];
  /** The agent of the endpoint's protocol, shared with the SDK's handler. */
  readonly agent: http.Agent;
  readonly connectTimeoutMs: number;
  /** Inactivity limit on a request's socket. */
  readonly requestTimeoutMs: number;
}

/** SHA-256 of an empty payload: what a HEAD request signs. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const META_PREFIX = 'x-amz-meta-';
/** The headers a HEAD answer gives back as ObjectHead fields. */
const HEAD_HEADERS = [
  ['contentType', 'content-type'],
  ['cacheControl', 'cache-control'],
  ['contentDisposition', 'content-disposition'],
  ['contentEncoding', 'content-encoding'],
] as const;

/** S3's key encoding in a path (the SDK's extendedEncodeURIComponent, '/' kept). */
function encodeKey(key: string): string {
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
class DirectS3Error extends Error {
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

function timeoutError(message: string): Error {
  const err = new Error(message);
  err.name = 'TimeoutError';
  return err;
}

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
}

export class S3DirectRequests {
  readonly #url: URL;
  readonly #basePath: string;
  readonly #settings: S3DirectSettings;
  readonly #signer: SignatureV4;
  readonly #client: typeof http | typeof https;
  readonly #userAgent = `s3ferry/${packageVersion()}`;

  constructor(settings: S3DirectSettings) {
    this.#settings = settings;
    this.#url = new URL(settings.endpoint);
    this.#basePath = this.#url.pathname.replace(/\/+$/, '');
    this.#client = this.#url.protocol === 'https:' ? https : http;
    this.#signer = new sigV4.SignatureV4({
      service: 's3',
      region: settings.region,
      credentials: settings.credentials,
      sha256: settings.sha256,
      // S3 signs the path as sent (keys are encoded once, by encodeKey).
      uriEscapePath: false,
      applyChecksum: false,
    });
  }

  async putObject(bucket: string, input: PutObjectInput, signal?: AbortSignal): Promise<string> {
    const headers = writeHeaders(input);
    headers['content-md5'] = input.contentMd5;
    if (input.ifNoneMatch === true) headers['if-none-match'] = '*';
    const body = { bytes: input.body, onWritten: input.onWritten };
    const a = await this.#send('PUT', bucket, input.key, {}, headers, body, signal);
    return header(a, 'etag');
  }

  async uploadPart(bucket: string, input: UploadPartInput, signal?: AbortSignal): Promise<string> {
    const query = { partNumber: String(input.partNumber), uploadId: input.uploadId };
    const headers: Record<string, string> = { 'content-md5': input.contentMd5 };
    const body = { bytes: input.body, onWritten: input.onWritten };
    const a = await this.#send('PUT', bucket, input.key, query, headers, body, signal);
    return header(a, 'etag');
  }

  /** The object's head; rejects with a NotFound (404) error when it does not exist. */
  async headObject(bucket: string, key: string, signal?: AbortSignal): Promise<ObjectHead> {
    const a = await this.#send('HEAD', bucket, key, {}, {}, undefined, signal);
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(a.headers)) {
      if (name.startsWith(META_PREFIX) && typeof value === 'string')
        metadata[name.slice(META_PREFIX.length)] = value;
    }
    const modified = Date.parse(header(a, 'last-modified'));
    const written: Record<string, string> = {};
    for (const [field, name] of HEAD_HEADERS) {
      const value = a.headers[name];
      if (typeof value === 'string') written[field] = value;
    }
    return {
      size: Number(header(a, 'content-length') || 0),
      etag: header(a, 'etag'),
      metadata,
      lastModified: Number.isNaN(modified) ? null : modified,
      ...(written as Pick<ObjectHead, (typeof HEAD_HEADERS)[number][0]>),
    };
  }

  async #send(
    method: 'PUT' | 'HEAD',
    bucket: string,
    key: string,
    query: Record<string, string>,
    headers: Record<string, string>,
    body: Body | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Answer> {
    signal?.throwIfAborted();
    const path = `${this.#basePath}/${encodeKey(bucket)}/${encodeKey(key)}`;
    const signed = await this.#signer.sign({
      method,
      protocol: this.#url.protocol,
      hostname: this.#url.hostname,
      ...(this.#url.port === '' ? {} : { port: Number(this.#url.port) }),
      path,
      query,
      headers: {
        ...headers,
        host: this.#url.host,
        'user-agent': this.#userAgent,
        'content-length': String(body?.bytes.byteLength ?? 0),
        'x-amz-content-sha256': body === undefined ? EMPTY_SHA256 : 'UNSIGNED-PAYLOAD',
      },
    });
    const search = new URLSearchParams(query).toString();
    return this.#exchange(
      method,
      search === '' ? path : `${path}?${search}`,
      signed.headers,
      body,
      signal,
    );
  }

  #exchange(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Body | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Answer> {
    const { agent, connectTimeoutMs, requestTimeoutMs } = this.#settings;
    return new Promise<Answer>((resolve, reject) => {
      // Built without `signal`: node hooks the signal's abort listener before it checks the headers,
      // so a request refused while being built (a header HTTP cannot carry) would leave one listener
      // behind with every retry. The signal is attached once the request exists (below).
      const req = this.#client.request(
        {
          protocol: this.#url.protocol,
          hostname: this.#url.hostname,
          port: this.#url.port,
          method,
          path,
          headers,
          agent,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            res.resume();
            res.once('end', () => {
              resolve({ status, headers: res.headers });
            });
            res.once('error', reject);
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.once('error', reject);
          res.once('end', () => {
            reject(new DirectS3Error(status, res.headers, Buffer.concat(chunks).toString('utf8')));
          });
        },
      );
      req.once('error', reject);
      // What node does with a `signal` option: destroys the request with an AbortError on abort.
      if (signal !== undefined) addAbortSignal(signal, req);
      req.setTimeout(requestTimeoutMs, () => {
        req.destroy(timeoutError(`no answer for ${requestTimeoutMs} ms`));
      });
      req.once('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(() => {
          req.destroy(timeoutError(`could not connect within ${connectTimeoutMs} ms`));
        }, connectTimeoutMs);
        socket.once('connect', () => {
          clearTimeout(timer);
        });
        socket.once('close', () => {
          clearTimeout(timer);
        });
      });
      if (body === undefined) req.end();
      else writeBody(req, body);
    });
  }
}

function header(a: Answer, name: string): string {
  const v = a.headers[name];
  return typeof v === 'string' ? v : '';
}

/** The headers every write carries besides its bytes (PutObject; CreateMultipartUpload is SDK). */
function writeHeaders(o: WriteOptions): Record<string, string> {
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
  return h;
}
