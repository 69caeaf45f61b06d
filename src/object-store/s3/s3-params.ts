/** The SDK command parameters s3-object-target.ts builds in more than one place. */
import type {
  ObjectCannedACL,
  ObjectLockLegalHoldStatus,
  ObjectLockMode,
  ServerSideEncryption,
  StorageClass,
} from '@aws-sdk/client-s3';
import type { ObjectLockSettings } from '../../domain/retention.js';
import type { WriteOptions } from '../object-target.js';

/** SDK call options: exactOptionalPropertyTypes forbids passing `abortSignal: undefined`. */
export function opts(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

/** The parameters of a write besides its bytes (PutObject, CreateMultipartUpload). */
export function writeParams(options: WriteOptions): {
  ContentType?: string;
  Metadata?: Record<string, string>;
  StorageClass?: StorageClass;
  ServerSideEncryption?: ServerSideEncryption;
  SSEKMSKeyId?: string;
  Tagging?: string;
  CacheControl?: string;
  ContentDisposition?: string;
  ContentEncoding?: string;
  ACL?: ObjectCannedACL;
  ObjectLockMode?: ObjectLockMode;
  ObjectLockRetainUntilDate?: Date;
  ObjectLockLegalHoldStatus?: ObjectLockLegalHoldStatus;
} {
  return {
    ...lockParams(options.objectLock),
    ...(options.cacheControl === undefined ? {} : { CacheControl: options.cacheControl }),
    ...(options.contentDisposition === undefined
      ? {}
      : { ContentDisposition: options.contentDisposition }),
    ...(options.contentEncoding === undefined ? {} : { ContentEncoding: options.contentEncoding }),
    ...(options.acl === undefined ? {} : { ACL: options.acl }),
    ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
    ...(options.metadata === undefined ? {} : { Metadata: { ...options.metadata } }),
    ...(options.storageClass === undefined
      ? {}
      : { StorageClass: options.storageClass as StorageClass }),
    ...(options.sse === undefined ? {} : { ServerSideEncryption: options.sse.mode }),
    ...(options.sse?.kmsKeyId === undefined ? {} : { SSEKMSKeyId: options.sse.kmsKeyId }),
    ...(options.tagging === undefined ? {} : { Tagging: options.tagging }),
  };
}

/** Retention and legal hold of a write (x-amz-object-lock-*). */
export function lockParams(lock: ObjectLockSettings | undefined): {
  ObjectLockMode?: ObjectLockMode;
  ObjectLockRetainUntilDate?: Date;
  ObjectLockLegalHoldStatus?: ObjectLockLegalHoldStatus;
} {
  return {
    ...(lock?.retention === undefined
      ? {}
      : {
          ObjectLockMode: lock.retention.mode,
          ObjectLockRetainUntilDate: lock.retention.retainUntil,
        }),
    ...(lock?.legalHold === true ? { ObjectLockLegalHoldStatus: 'ON' } : {}),
  };
}
