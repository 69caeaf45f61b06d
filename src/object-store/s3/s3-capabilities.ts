/**
 * The capability probe (domain/capabilities.ts): what a store accepts, found with as few requests
 * as it can on one scratch key, removed afterwards. Each request costs the store CPU, so the probe
 * asks each question of a request it needs anyway:
 *
 * 1. GetObjectLockConfiguration: Object Lock enabled, and whether the bucket puts a default
 *    retention on new objects (then the scratch objects get a short governance retention of their
 *    own, which their removal bypasses: no scratch object is kept for the bucket's default time).
 * 2. PutObject with `x-amz-tagging` and `x-amz-checksum-crc32`: accepted or not, the ETag (an MD5
 *    of the bytes or not), the version id (a versioned bucket), the checksum answered back.
 *    Refused (400, 501): again without the checksum, then without the tags, to tell which.
 * 3. PutObject with `If-None-Match: *` on the now taken key: 412 means the store keeps the
 *    condition; 2xx means it ignores it (Ceph RGW on a versioned bucket stores a second version);
 *    400 or 501 means it has none (Swift's s3api).
 * 4. DeleteObject of each version written (or of the key, unversioned).
 *
 * Four requests on Ceph RGW (five on a versioned bucket), six on Swift's s3api.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { normalizeEtag } from '../../domain/etag.js';
import type { ObjectLockSettings } from '../../domain/retention.js';
import { isAppError, toAppError, type AppError } from '../../errors/app-error.js';
import type { CapabilityProbeResult } from '../object-target.js';
import { s3 } from './aws-sdk.js';
import { lockParams, opts } from './s3-params.js';

/** Runs one S3 call of `operation` and classifies its failure (S3ObjectTarget's #call). */
export type ClassifiedCall = <T>(
  operation: string,
  key: string | undefined,
  run: () => Promise<T>,
) => Promise<T>;

/** How long the scratch objects of a bucket with a default retention are retained, ms. */
const SCRATCH_RETENTION_MS = 60_000;

const BODY = Buffer.from('s3ferry capability probe: this object is removed at once\n');
const MD5_HEX = createHash('md5').update(BODY).digest('hex');
const MD5_BASE64 = Buffer.from(MD5_HEX, 'hex').toString('base64');
const CRC32_BASE64 = (() => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(BODY));
  return b.toString('base64');
})();

interface Probe {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly call: ClassifiedCall;
  readonly signal: AbortSignal | undefined;
  /** The retention of the scratch objects, on a bucket with a default one. */
  readonly lock: ObjectLockSettings | undefined;
  /** Version ids written (undefined: the bucket answered none). */
  readonly versions: (string | undefined)[];
  /** A PUT was sent: the key may hold a scratch object even when no answer said so. */
  sent: boolean;
}

/** Probes the bucket on `key` (see the module comment). `now`: for the scratch retention. */
export async function probeS3Capabilities(
  client: S3Client,
  bucket: string,
  key: string,
  call: ClassifiedCall,
  now: number,
  signal?: AbortSignal,
): Promise<CapabilityProbeResult> {
  const lockConfig = await objectLockConfig({ client, bucket, call, signal });
  const p: Probe = {
    client,
    bucket,
    key,
    call,
    signal,
    lock: lockConfig.defaultRetention
      ? { retention: { mode: 'GOVERNANCE', retainUntil: new Date(now + SCRATCH_RETENTION_MS) } }
      : undefined,
    versions: [],
    sent: false,
  };
  try {
    const first = await firstPut(p);
    const conditionalPut = await conditionalRefused(p);
    return {
      capabilities: {
        conditionalPut,
        tagging: first.tagging,
        objectLock: lockConfig.enabled,
        versioning: first.versionId !== undefined && first.versionId !== 'null',
        checksumCrc32: first.checksumCrc32,
        md5Etags: normalizeEtag(first.etag) === MD5_HEX,
      },
      ...(await removeScratch(p)),
    };
  } catch (err) {
    await removeScratch(p);
    throw err;
  }
}

/** Whether the bucket has Object Lock, and a default retention for new objects. */
async function objectLockConfig(
  p: Pick<Probe, 'client' | 'bucket' | 'call' | 'signal'>,
): Promise<{ enabled: boolean; defaultRetention: boolean }> {
  try {
    const out = await p.call('GetObjectLockConfiguration', undefined, () =>
      p.client.send(new s3.GetObjectLockConfigurationCommand({ Bucket: p.bucket }), opts(p.signal)),
    );
    const config = out.ObjectLockConfiguration;
    return {
      enabled: config?.ObjectLockEnabled === 'Enabled',
      defaultRetention: config?.Rule?.DefaultRetention !== undefined,
    };
  } catch (err) {
    // 404 ObjectLockConfigurationNotFoundError (none), 400/501 (the store has no such thing), or
    // 403: these credentials may not read it. Anything about the bucket itself is the probe's.
    if (isAppError(err, 'ERR_S3_NOT_FOUND', 'ERR_S3_BAD_REQUEST', 'ERR_S3_ACCESS_DENIED'))
      return { enabled: false, defaultRetention: false };
    throw err;
  }
}

interface FirstPut {
  readonly etag: string;
  readonly versionId: string | undefined;
  readonly tagging: boolean;
  readonly checksumCrc32: boolean;
}

/** The first PUT, with tags and a CRC32, then without what the store refuses. */
async function firstPut(p: Probe): Promise<FirstPut> {
  const tries = [
    { tagging: true, crc: true },
    { tagging: true, crc: false },
    { tagging: false, crc: false },
  ];
  let refusal: AppError | undefined;
  for (const t of tries) {
    try {
      const out = await put(p, t.tagging, t.crc, false);
      return {
        etag: out.ETag ?? '',
        versionId: out.VersionId,
        tagging: t.tagging,
        checksumCrc32: t.crc && out.ChecksumCRC32 === CRC32_BASE64,
      };
    } catch (err) {
      if (!isRefusal(err)) throw err;
      refusal = toAppError(err);
    }
  }
  throw refusal ?? new Error('unreachable');
}

/** True when the store refuses the taken key to a PUT with `If-None-Match: *`. */
async function conditionalRefused(p: Probe): Promise<boolean> {
  try {
    await put(p, false, false, true);
    return false; // the condition was ignored
  } catch (err) {
    if (isAppError(err, 'ERR_S3_PRECONDITION_FAILED')) return true;
    if (isRefusal(err)) return false;
    throw err;
  }
}

/** A store without the feature: 400 (InvalidArgument, InvalidRequest, …) or 501 NotImplemented. */
function isRefusal(err: unknown): boolean {
  return isAppError(err, 'ERR_S3_BAD_REQUEST');
}

async function put(
  p: Probe,
  tagging: boolean,
  crc: boolean,
  conditional: boolean,
): Promise<{
  ETag?: string | undefined;
  VersionId?: string | undefined;
  ChecksumCRC32?: string | undefined;
}> {
  p.sent = true;
  const out = await p.call('PutObject', p.key, () =>
    p.client.send(
      new s3.PutObjectCommand({
        Bucket: p.bucket,
        Key: p.key,
        Body: BODY,
        ContentLength: BODY.byteLength,
        ContentMD5: MD5_BASE64,
        ContentType: 'text/plain',
        ...(tagging ? { Tagging: 's3ferry=probe' } : {}),
        ...(crc ? { ChecksumCRC32: CRC32_BASE64 } : {}),
        ...(conditional ? { IfNoneMatch: '*' } : {}),
        ...lockParams(p.lock),
      }),
      opts(p.signal),
    ),
  );
  // A PUT that went through wrote a version to remove (the last one's answer may have been lost).
  p.versions.push(out.VersionId);
  return out;
}

/** Removes every version the probe wrote; says why when one stays. */
async function removeScratch(p: Probe): Promise<{ leftover?: string }> {
  if (!p.sent) return {};
  const ids = [...new Set(p.versions.filter((v): v is string => v !== undefined))];
  const deletes: (string | undefined)[] = ids.length === 0 ? [undefined] : ids;
  const failures: string[] = [];
  for (const versionId of deletes) {
    try {
      await p.call('DeleteObject', p.key, () =>
        p.client.send(
          new s3.DeleteObjectCommand({
            Bucket: p.bucket,
            Key: p.key,
            ...(versionId === undefined ? {} : { VersionId: versionId }),
            ...(p.lock === undefined ? {} : { BypassGovernanceRetention: true }),
          }),
          opts(undefined), // removed even when the probe was cancelled
        ),
      );
    } catch (err) {
      failures.push(toAppError(err).message);
    }
  }
  return failures.length === 0
    ? {}
    : { leftover: `s3://${p.bucket}/${p.key} could not be removed: ${failures.join('; ')}` };
}
