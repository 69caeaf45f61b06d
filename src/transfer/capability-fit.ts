/**
 * A write as the store's capabilities allow it (domain/capabilities.ts): tags left out where the
 * store refuses them, the never-overwrite condition left out where the store does not keep it
 * (the key is then looked at first: single-upload.ts), and retention refused outright where the
 * bucket has no Object Lock (ERR_S3_NO_OBJECT_LOCK: the destination is held unhealthy, never an
 * object written without the retention it was asked to keep).
 */
import type { EndpointCapabilities } from '../domain/capabilities.js';
import { describeLockRule, type ObjectLockRule } from '../domain/retention.js';
import { AppError } from '../errors/app-error.js';
import type { WriteOptions } from '../object-store/object-target.js';

/** A write, with the never-overwrite condition where it is a PUT. */
export type FittableWrite = WriteOptions & { readonly ifNoneMatch?: boolean };

/**
 * `write` without what `caps` says the store refuses; the same object when nothing is left out.
 * Throws ERR_S3_NO_OBJECT_LOCK when it asks for retention or a legal hold the bucket cannot keep.
 */
export function fitWrite<T extends FittableWrite>(
  write: T,
  caps: EndpointCapabilities | undefined,
  bucket: string,
): T {
  if (caps === undefined) return write;
  if (write.objectLock !== undefined && !caps.objectLock) throw noObjectLock(bucket);
  const dropTags = write.tagging !== undefined && !caps.tagging;
  const dropCondition = write.ifNoneMatch === true && !caps.conditionalPut;
  if (!dropTags && !dropCondition) return write;
  const { tagging, ifNoneMatch, ...rest } = write;
  return {
    ...rest,
    ...(dropTags || tagging === undefined ? {} : { tagging }),
    ...(dropCondition || ifNoneMatch === undefined ? {} : { ifNoneMatch }),
  } as T;
}

/** The error of a bucket without Object Lock, where `rule` (when known) asks for it. */
export function noObjectLock(bucket: string, rule?: ObjectLockRule): AppError {
  const what = rule === undefined ? 'retention and legal holds' : describeLockRule(rule);
  return new AppError(
    'ERR_S3_NO_OBJECT_LOCK',
    `the bucket "${bucket}" has no Object Lock: the ${what} s3ferry is configured to set cannot be kept`,
    {
      hint: 'create the bucket with Object Lock enabled (most stores cannot turn it on later) and point the destination at it, or remove retention and legalHold from the configuration',
    },
  );
}
