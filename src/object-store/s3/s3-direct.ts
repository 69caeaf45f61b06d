/**
 * The three requests that carry an upload's bytes and verify them (PutObject, UploadPart,
 * HeadObject), sent straight over node:http(s), signed by the SDK's own SigV4 signer
 * (@smithy/signature-v4) with the S3 client's credentials.
 *
 * Why: the SDK's command pipeline (middleware stack, endpoint rules, schema serde) cost about
 * 1.3 ms of CPU per request, four times the request itself; for small files that CPU, not the
 * store, set the pace (docs/benchmarks.md). These three requests are simple: a path, a few headers,
 * a body, and an answer whose status, ETag and metadata headers are all we read. Everything else
 * (multipart bookkeeping, listings, copies, probes) stays on the SDK.
 *
 * Where: Amazon S3 and custom endpoints alike, path-style or virtual-hosted, http or https (the CA
 * bundle of the transport), straight or through the proxy: each bucket's address and signing
 * region are the SDK's own (s3-route.ts), and the sockets are the SDK handler's (transport.ts).
 * A bucket whose endpoint needs another signer (S3 Express, multi-region access points) is left
 * to the SDK; so is the client with SDK flexible checksums (checksumMode when-supported).
 *
 * Redirects and region errors (301 PermanentRedirect, 307 TemporaryRedirect, 400
 * AuthorizationHeaderMalformed) are not followed here: the request is handed to the SDK, whose
 * answer (and error) is the one the caller gets, and the bucket stays with the SDK from then on.
 * So such an answer costs one extra request, once, and can never loop.
 *
 * Integrity is unchanged: every body carries Content-MD5, a signed header the store checks.
 * Failures are thrown shaped like the SDK's (name, Code, message, $metadata.httpStatusCode,
 * $response.headers), so classify.ts turns them into the same AppErrors.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import http from 'node:http';
import https from 'node:https';
import { addAbortSignal } from 'node:stream';
import type {
  ObjectHead,
  PutObjectInput,
  UploadPartInput,
  VersionOption,
  WriteAnswer,
} from '../object-target.js';
import { sigV4 } from './aws-sdk.js';
import {
  DirectS3Error,
  EMPTY_SHA256,
  META_PREFIX,
  encodeKey,
  header,
  isRedirect,
  timeoutError,
  writeHeaders,
  type Answer,
} from './s3-direct-wire.js';
import { resolveRoute, type S3Route } from './s3-route.js';
import { versionIdOf, writeAnswer } from './s3-version.js';
import { tagHost, type Agents } from './transport.js';
import { writeBody, type Body } from './direct-body.js';
import { packageVersion } from '../../platform/package-version.js';

/** What the direct requests need from the connection. */
export interface S3DirectSettings {
  /** The SDK client: its endpoint rules, credentials and hash. */
  readonly client: S3Client;
  /** The agents, shared with the SDK's handler. */
  readonly agents: Agents;
  readonly connectTimeoutMs: number;
  /** Inactivity limit on a request's socket. */
  readonly requestTimeoutMs: number;
}

type Signer = InstanceType<typeof sigV4.SignatureV4>;

/** The headers a HEAD answer gives back as ObjectHead fields. */
const HEAD_HEADERS = [
  ['contentType', 'content-type'],
  ['cacheControl', 'cache-control'],
  ['contentDisposition', 'content-disposition'],
  ['contentEncoding', 'content-encoding'],
] as const;

/**
 * PutObject, UploadPart and HeadObject of any bucket, each resolving to the value the caller wants,
 * or to undefined when the request is the SDK's to send (see the module comment).
 */
export class S3DirectRequests {
  readonly #settings: S3DirectSettings;
  /** Per bucket; a resolution that failed is forgotten, so the next request asks again. */
  readonly #routes = new Map<string, Promise<S3Route | undefined>>();
  /** Per signing region. */
  readonly #signers = new Map<string, Signer>();
  readonly #userAgent = `s3ferry/${packageVersion()}`;

  constructor(settings: S3DirectSettings) {
    this.#settings = settings;
  }

  /** The ETag and version id, or undefined: send it with the SDK. */
  async putObject(
    bucket: string,
    input: PutObjectInput,
    signal?: AbortSignal,
  ): Promise<WriteAnswer | undefined> {
    const headers = writeHeaders(input);
    headers['content-md5'] = input.contentMd5;
    if (input.ifNoneMatch === true) headers['if-none-match'] = '*';
    const body = { bytes: input.body, onWritten: input.onWritten };
    const a = await this.#send('PUT', bucket, input.key, {}, headers, body, signal);
    return a === undefined
      ? undefined
      : writeAnswer(header(a, 'etag'), header(a, 'x-amz-version-id'));
  }

  /** The ETag, or undefined: send it with the SDK. */
  async uploadPart(
    bucket: string,
    input: UploadPartInput,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const query = { partNumber: String(input.partNumber), uploadId: input.uploadId };
    const headers: Record<string, string> = { 'content-md5': input.contentMd5 };
    const body = { bytes: input.body, onWritten: input.onWritten };
    const a = await this.#send('PUT', bucket, input.key, query, headers, body, signal);
    return a === undefined ? undefined : header(a, 'etag');
  }

  /**
   * The object's head (of one version: `options.versionId`), or undefined: send it with the SDK.
   * Rejects with a NotFound (404) error when the object does not exist.
   */
  async headObject(
    bucket: string,
    key: string,
    signal?: AbortSignal,
    options?: VersionOption,
  ): Promise<ObjectHead | undefined> {
    const query = options?.versionId === undefined ? {} : { versionId: options.versionId };
    const a = await this.#send('HEAD', bucket, key, query, {}, undefined, signal);
    if (a === undefined) return undefined;
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
    const versionId = versionIdOf(header(a, 'x-amz-version-id'));
    return {
      size: Number(header(a, 'content-length') || 0),
      etag: header(a, 'etag'),
      metadata,
      lastModified: Number.isNaN(modified) ? null : modified,
      ...(written as Pick<ObjectHead, (typeof HEAD_HEADERS)[number][0]>),
      ...(versionId === undefined ? {} : { versionId }),
    };
  }

  #route(bucket: string): Promise<S3Route | undefined> {
    let route = this.#routes.get(bucket);
    if (route === undefined) {
      route = resolveRoute(this.#settings.client, bucket);
      this.#routes.set(bucket, route);
      route.catch(() => this.#routes.delete(bucket));
    }
    return route;
  }

  #signer(region: string): Signer {
    let signer = this.#signers.get(region);
    if (signer === undefined) {
      const { config } = this.#settings.client;
      signer = new sigV4.SignatureV4({
        service: 's3',
        region,
        credentials: config.credentials,
        sha256: config.sha256,
        // S3 signs the path as sent (keys are encoded once, by encodeKey).
        uriEscapePath: false,
        applyChecksum: false,
      });
      this.#signers.set(region, signer);
    }
    return signer;
  }

  async #send(
    method: 'PUT' | 'HEAD',
    bucket: string,
    key: string,
    query: Record<string, string>,
    headers: Record<string, string>,
    body: Body | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Answer | undefined> {
    signal?.throwIfAborted();
    const route = await this.#route(bucket);
    if (route === undefined) return undefined;
    const path = `${route.keyPrefix}${encodeKey(key)}`;
    const signed = await this.#signer(route.signingRegion).sign({
      method,
      protocol: route.protocol,
      hostname: route.hostname,
      ...(route.port === '' ? {} : { port: Number(route.port) }),
      path,
      query,
      headers: {
        ...headers,
        host: route.host,
        'user-agent': this.#userAgent,
        'content-length': String(body?.bytes.byteLength ?? 0),
        'x-amz-content-sha256': body === undefined ? EMPTY_SHA256 : 'UNSIGNED-PAYLOAD',
      },
    });
    const search = new URLSearchParams(query).toString();
    try {
      return await this.#exchange(
        route,
        method,
        search === '' ? path : `${path}?${search}`,
        signed.headers,
        body,
        signal,
      );
    } catch (err) {
      if (!isRedirect(err)) throw err;
      // The SDK answers this one, and every later request for the bucket: no second redirect.
      this.#routes.set(bucket, Promise.resolve(undefined));
      return undefined;
    }
  }

  #exchange(
    route: S3Route,
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Body | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Answer> {
    const { agents, connectTimeoutMs, requestTimeoutMs } = this.#settings;
    const secure = route.protocol === 'https:';
    return new Promise<Answer>((resolve, reject) => {
      // Built without `signal`: node hooks the signal's abort listener before it checks the headers,
      // so a request refused while being built (a header HTTP cannot carry) would leave one listener
      // behind with every retry. The signal is attached once the request exists (below).
      const req = (secure ? https : http).request(
        {
          protocol: route.protocol,
          hostname: route.hostname,
          port: route.port,
          method,
          path,
          headers,
          agent: secure ? agents.https : agents.http,
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
      req.once('error', (err) => {
        tagHost(err, route.hostname);
        reject(err);
      });
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
