/**
 * Builds the S3Client from connection settings: the standard AWS credential chain or explicit
 * keys, region, custom endpoint with path-style, an HTTP(S) proxy with a bypass list, the CA
 * bundle of HTTPS stores, and the checksum mode that S3-compatible stores need.
 *
 * Each byte is hashed once: uploads carry Content-MD5 (computed by the transfer engine, checked by
 * the store, and covered by the signature), so the payload is signed as UNSIGNED-PAYLOAD instead of
 * with a second full SHA-256 pass, and the SDK adds no CRC32 of its own unless asked to
 * (`checksumMode: when-supported`).
 */
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { httpHandler, s3 } from './aws-sdk.js';
import { S3DirectRequests } from './s3-direct.js';
import { makeAgents, tagHost, type Agents, type ResolveEntry } from './transport.js';

export { bypassesProxy, type ResolveEntry } from './transport.js';

/** How to reach the store. Secrets live here and nowhere else. */
export interface S3ConnectionSettings {
  /** Custom endpoint URL (S3-compatible stores); undefined for AWS. */
  readonly endpoint?: string;
  /** Region; defaults to the SDK's chain, then us-east-1. */
  readonly region?: string;
  /** Path-style addressing; defaults to true when an endpoint is given. */
  readonly forcePathStyle?: boolean;
  /** Explicit keys; otherwise the standard AWS credential chain is used. */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly sessionToken?: string;
  /** A profile of the shared config files (~/.aws/config, ~/.aws/credentials). */
  readonly profile?: string;
  /** Proxy URL for all requests, and hosts that bypass it (NO_PROXY syntax). */
  readonly proxy?: string;
  readonly noProxy?: readonly string[];
  /**
   * 'auto' (default): requests carry only Content-MD5 (never the SDK's CRC32 on top of it: Ceph
   * RGW and Swift refuse its aws-chunked trailers, and on AWS it would hash every byte again);
   * response checksums are validated on AWS. 'when-supported' adds the SDK's flexible checksums
   * to every request that can carry one.
   */
  readonly checksumMode?: 'auto' | 'when-required' | 'when-supported';
  /** Socket connect timeout, ms (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Inactivity timeout on a request's socket, ms (default 120 s). */
  readonly requestTimeoutMs?: number;
  /** Sockets per host (default 64). */
  readonly maxSockets?: number;
  /**
   * PEM of the CAs that HTTPS servers' certificates must chain to, instead of Node's list (as the
   * AWS CLI's ca_bundle); config/ca-bundle.ts reads it from caBundle, AWS_CA_BUNDLE or the profile.
   */
  readonly ca?: string;
  /** Names reached at a given address without asking DNS (S3FERRY_RESOLVE: tests, the bench). */
  readonly resolve?: readonly ResolveEntry[];
}

/** Default of {@link S3ConnectionSettings.requestTimeoutMs}. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;

/** Default of {@link S3ConnectionSettings.connectTimeoutMs}. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The region used when none is configured anywhere. */
export const FALLBACK_REGION = 'us-east-1';

interface Transport {
  readonly handler: NodeHttpHandler;
  readonly agents: Agents;
}

function makeTransport(settings: S3ConnectionSettings): Transport {
  const agents = makeAgents({
    maxSockets: settings.maxSockets ?? 64,
    ...(settings.proxy === undefined ? {} : { proxy: settings.proxy }),
    ...(settings.noProxy === undefined ? {} : { noProxy: settings.noProxy }),
    ...(settings.ca === undefined ? {} : { ca: settings.ca }),
    ...(settings.resolve === undefined ? {} : { resolve: settings.resolve }),
  });
  const handler = new httpHandler.NodeHttpHandler({
    httpAgent: agents.http,
    httpsAgent: agents.https,
    connectionTimeout: settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // An inactivity timeout: a request whose socket stays silent this long fails (and is retried),
    // however long a big part takes to send. (The handler's `requestTimeout` is a wall-clock limit
    // that, without throwOnRequestTimeout, only prints a warning: a server that accepts a request
    // and never answers would hold it forever.)
    socketTimeout: settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  });
  return { handler, agents };
}

/** The operations whose bodies always carry Content-MD5 (see ObjectTarget): signed unsigned. */
const MD5_PROTECTED_COMMANDS: ReadonlySet<string> = new Set([
  'PutObjectCommand',
  'UploadPartCommand',
]);

/** The SigV4 header naming the payload hash; its value is what the signer signs. */
const CONTENT_SHA256_HEADER = 'x-amz-content-sha256';

/**
 * Signs uploads with UNSIGNED-PAYLOAD. The SigV4 signer hashes the whole body with SHA-256 unless
 * the request already names its payload hash (@smithy/signature-v4 getPayloadHash): on plain-http
 * endpoints that was a second full pass over every byte, on the main thread. The bytes stay
 * protected: Content-MD5 is a signed header and the store rejects a body that does not match it;
 * a request without Content-MD5 keeps its signed payload.
 */
function signUnsignedPayload(commandName: string | undefined, request: unknown): void {
  if (!MD5_PROTECTED_COMMANDS.has(commandName ?? '')) return;
  const headers = (request as { headers?: Record<string, string> }).headers;
  if (headers === undefined) return;
  const names = Object.keys(headers).map((h) => h.toLowerCase());
  if (!names.includes('content-md5') || names.includes(CONTENT_SHA256_HEADER)) return;
  headers[CONTENT_SHA256_HEADER] = 'UNSIGNED-PAYLOAD';
}

/**
 * A client with the SDK's own retries off (maxAttempts 1): s3ferry retries with its own policy,
 * which understands the errors, so the two layers never multiply.
 */
export function buildS3Client(settings: S3ConnectionSettings): S3Client {
  return buildS3Connection(settings).client;
}

/** The SDK client and, where the requests are plain enough, the direct path beside it. */
export interface S3Connection {
  readonly client: S3Client;
  /** PutObject, UploadPart and HeadObject without the SDK's pipeline (s3-direct.ts). */
  readonly direct: S3DirectRequests | undefined;
}

/**
 * The client (see {@link buildS3Client}) and the direct requests, which serve every endpoint,
 * addressing style, protocol and proxy the client does, unless the SDK's flexible checksums are
 * asked for (checksumMode when-supported), which only the SDK computes.
 */
export function buildS3Connection(settings: S3ConnectionSettings): S3Connection {
  const transport = makeTransport(settings);
  const client = sdkClient(settings, transport.handler);
  const direct =
    settings.checksumMode === 'when-supported'
      ? undefined
      : new S3DirectRequests({
          client,
          agents: transport.agents,
          connectTimeoutMs: settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
          requestTimeoutMs: settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        });
  return { client, direct };
}

function sdkClient(settings: S3ConnectionSettings, requestHandler: NodeHttpHandler): S3Client {
  const custom = settings.endpoint !== undefined;
  const mode = settings.checksumMode ?? 'auto';
  const config: S3ClientConfig = {
    maxAttempts: 1,
    requestHandler,
    forcePathStyle: settings.forcePathStyle ?? custom,
    requestChecksumCalculation: mode === 'when-supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
    responseChecksumValidation:
      mode === 'when-supported' || (mode === 'auto' && !custom)
        ? 'WHEN_SUPPORTED'
        : 'WHEN_REQUIRED',
  };
  if (settings.endpoint !== undefined) config.endpoint = settings.endpoint;
  // A custom endpoint rarely cares about the region, but SigV4 needs one.
  if (settings.region !== undefined) config.region = settings.region;
  else if (custom) config.region = FALLBACK_REGION;
  if (settings.profile !== undefined) config.profile = settings.profile;
  if (settings.accessKeyId !== undefined && settings.secretAccessKey !== undefined) {
    config.credentials = {
      accessKeyId: settings.accessKeyId,
      secretAccessKey: settings.secretAccessKey,
      ...(settings.sessionToken === undefined ? {} : { sessionToken: settings.sessionToken }),
    };
  }
  const client = new s3.S3Client(config);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      signUnsignedPayload(context.commandName, args.request);
      try {
        return await next(args);
      } catch (err) {
        // which host's certificate failed, for the classifier (the error does not say)
        tagHost(err, (args.request as { hostname?: string }).hostname ?? '');
        throw err;
      }
    },
    { step: 'build', name: 's3ferryUnsignedPayload', override: true },
  );
  // The SDK's logger middleware filters every input and output for secrets even when nothing is
  // logged (no logger is configured here): measurable work on each small-file request.
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
