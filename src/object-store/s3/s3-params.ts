/** The SDK command parameters s3-object-target.ts builds in more than one place. */
import type { ObjectCannedACL, ServerSideEncryption, StorageClass } from '@aws-sdk/client-s3';
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
} {
  return {
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
