/**
 * Where the SDK sends an object request for a bucket, asked of the SDK itself: its endpoint rules
 * decide virtual-hosted or path-style addressing (a bucket name that cannot be a host label, such
 * as one with dots over TLS, goes path-style), the region's endpoint (s3.REGION.amazonaws.com, the
 * partitions, FIPS and dual-stack where the client's config asks for them), a custom endpoint and
 * its base path, and the region to sign for. The direct path (s3-direct.ts) then sends its
 * requests exactly there, so the two paths cannot disagree on an address.
 *
 * How: a HeadObject for the bucket runs through the client's own middleware stack up to the point
 * where the request is built, and stops there (nothing is sent). Once per bucket.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { s3 } from './aws-sdk.js';

/** An object request's destination, for any key of one bucket. */
export interface S3Route {
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  /** '' for the protocol's default port. */
  readonly port: string;
  /** The Host header: hostname, with the port when it is not the default. */
  readonly host: string;
  /** The path up to the key, ending in '/': '/BUCKET/' path-style, '/' virtual-hosted. */
  readonly keyPrefix: string;
  /** The region SigV4 signs for (the endpoint's, which may differ from the client's). */
  readonly signingRegion: string;
}

/** The key the route is resolved with; the path ends with it. */
const PLACEHOLDER_KEY = 'k';

/** Thrown by the capturing middleware: the request as built, before signing or sending. */
class Captured extends Error {
  constructor(
    readonly request: { protocol?: string; hostname?: string; port?: number; path?: string },
    readonly endpoint: { headers?: Record<string, unknown>; properties?: Record<string, unknown> },
  ) {
    super('route captured');
  }
}

/** The first auth scheme of the endpoint, when it is plain SigV4 for S3. */
function plainSigV4Region(properties: Record<string, unknown> | undefined): string | undefined {
  const schemes = properties?.authSchemes;
  const first: unknown = Array.isArray(schemes) ? schemes[0] : undefined;
  if (typeof first !== 'object' || first === null) return undefined;
  const { name, signingName, signingRegion } = first as Record<string, unknown>;
  // sigv4a (multi-region access points) and S3 Express sessions need the SDK's own signers
  if (name !== 'sigv4' || signingName !== 's3' || typeof signingRegion !== 'string')
    return undefined;
  return signingRegion;
}

/**
 * The route of `bucket`'s object requests as `client` would send them, or undefined where the
 * direct path must leave the request to the SDK (another signer, endpoint headers). Rejects as the
 * SDK's own send would before sending (no credentials, no region, an invalid bucket name).
 */
export async function resolveRoute(client: S3Client, bucket: string): Promise<S3Route | undefined> {
  const command = new s3.HeadObjectCommand({ Bucket: bucket, Key: PLACEHOLDER_KEY });
  command.middlewareStack.add(
    (_next, context) => (args) => {
      throw new Captured(args.request as Captured['request'], context.endpointV2 ?? {});
    },
    { step: 'build', priority: 'high', name: 's3ferryCaptureRoute' },
  );
  let captured: Captured;
  try {
    await client.send(command);
    return undefined;
  } catch (err) {
    if (!(err instanceof Captured)) throw err;
    captured = err;
  }
  const { request, endpoint } = captured;
  const signingRegion = plainSigV4Region(endpoint.properties);
  const path = request.path ?? '';
  if (
    signingRegion === undefined ||
    Object.keys(endpoint.headers ?? {}).length > 0 ||
    (request.protocol !== 'http:' && request.protocol !== 'https:') ||
    request.hostname === undefined ||
    !path.endsWith(`/${PLACEHOLDER_KEY}`)
  )
    return undefined;
  const port = request.port === undefined ? '' : String(request.port);
  return {
    protocol: request.protocol,
    hostname: request.hostname,
    port,
    host: port === '' ? request.hostname : `${request.hostname}:${port}`,
    keyPrefix: path.slice(0, -PLACEHOLDER_KEY.length),
    signingRegion,
  };
}
