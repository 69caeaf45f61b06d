/**
 * Verification after an upload (DESIGN.md item 9). "Verified" means: every request carried
 * Content-MD5, the PUT or CompleteMultipartUpload succeeded, and the ETag it answered equals the one
 * computed from the bytes read (the MD5 for one part; the MD5 of the part MD5s plus "-N" for
 * multipart). Then no HeadObject is sent: one request per small object.
 *
 * HeadObject decides where the answer cannot:
 * - the answer's ETag is empty or another than computed. Ceph RGW answers every
 *   CompleteMultipartUpload with an empty `<ETag></ETag>`, so there each multipart object costs
 *   one HeadObject. The HEAD's ETag equal to the computed one verifies; another MD5-shaped ETag is
 *   a mismatch (ERR_VERIFY_FAILED); an empty or non-MD5 one means the store's ETags are not MD5s
 *   of the content, and from then on (in memory, for this destination) every object is verified
 *   with HeadObject, by size and by the journal intent in its metadata;
 * - ETags that are not MD5-based by configuration: SSE-KMS (and SSE-C, which s3ferry does not send);
 * - a store whose ETags the capability probe found not to be MD5s (domain/capabilities.ts);
 * - `verify: head` in the destination's configuration.
 */
import { AppError } from '../errors/app-error.js';
import type { PartRecord, UploadMode } from '../journal/journal-store.js';
import type { EndpointCapabilities } from '../domain/capabilities.js';
import type { ObjectHead, WriteOptions } from '../object-store/object-target.js';
import { multipartEtag } from '../domain/etag.js';
import { objectIntent, objectSource } from './ownership.js';
import type { VerifyMode } from './transfer-types.js';

/** What S3 computes for content it stores: a hex MD5, or for multipart a hex MD5 and "-N". */
const MD5_ETAG = /^[0-9a-f]{32}(-[0-9]+)?$/;

/** The ETag S3 should report for an object uploaded from these parts. */
export function expectedEtag(mode: UploadMode, parts: readonly PartRecord[]): string {
  if (mode === 'single') return parts[0]?.md5 ?? '';
  return multipartEtag(parts.map((p) => p.md5));
}

/** An object just written (or found completed), to be verified. */
export interface WrittenObject {
  /** `s3://bucket/key`, for messages. */
  readonly where: string;
  readonly size: number;
  /** The ETag computed from the bytes read. */
  readonly expected: string;
  /** The ETag the PUT or Complete answered; undefined when not known (found after a restart). */
  readonly answered: string | undefined;
  /** The journal intent the object was written under (its metadata says so): multipart. */
  readonly intentId?: number;
  /** The source token the object was written with (its metadata says so): single part. */
  readonly source?: string;
}

/** How an object was verified; its ETag as the store reports it. */
export interface Verification {
  readonly etag: string;
  readonly by: 'etag' | 'head';
  /** The version the HeadObject found, where one was sent and the bucket keeps versions. */
  readonly versionId?: string;
}

/** `v` with the version of the object the HeadObject found, if it names one. */
function withVersion(v: Verification, found: ObjectHead): Verification {
  return found.versionId === undefined ? v : { ...v, versionId: found.versionId };
}

/** Verifies the uploads of one destination; remembers when its store's ETags are not MD5s. */
export class Verifier {
  #opaqueEtags = false;

  constructor(
    private readonly mode: VerifyMode,
    /** Told once, when the store is found to give ETags that are not MD5s of the content. */
    private readonly onOpaqueEtags: (etag: string) => void = () => undefined,
    /** The store's probed capabilities, where it was probed. */
    private readonly capabilities: () => EndpointCapabilities | undefined = () => undefined,
  ) {}

  /** True once this destination is known to need HeadObject for every object. */
  get opaqueEtags(): boolean {
    return this.#opaqueEtags || this.capabilities()?.md5Etags === false;
  }

  /** Verifies `obj`; `head` sends the HeadObject when one is needed. Throws ERR_VERIFY_FAILED. */
  async verify(
    obj: WrittenObject,
    write: WriteOptions,
    head: () => Promise<ObjectHead | undefined>,
  ): Promise<Verification> {
    // With SSE-KMS the ETag is not an MD5 of the content: size and intent are all we can compare.
    const opaque = this.opaqueEtags || write.sse?.mode === 'aws:kms';
    if (this.mode === 'etag' && !opaque && obj.answered === obj.expected)
      return { etag: obj.answered, by: 'etag' };
    const found = await head();
    if (found === undefined) {
      throw new AppError(
        'ERR_VERIFY_FAILED',
        `${obj.where} is missing right after its upload was accepted`,
        {
          hint: 'something deleted it, or the store is eventually consistent; the file will be uploaded again',
        },
      );
    }
    if (found.size !== obj.size) {
      throw new AppError(
        'ERR_VERIFY_FAILED',
        `${obj.where} has ${found.size} bytes, the file ${obj.size}`,
        {
          hint: 'another writer replaced the object, or the store lost data; the file will be uploaded again',
        },
      );
    }
    if (found.etag === obj.expected) return withVersion({ etag: found.etag, by: 'head' }, found);
    if (!opaque && MD5_ETAG.test(found.etag)) {
      throw new AppError(
        'ERR_VERIFY_FAILED',
        `${obj.where} has ETag ${found.etag}, expected ${obj.expected} from the local file`,
        {
          hint: 'another writer replaced the object, or the bytes differ; the file will be uploaded again',
        },
      );
    }
    if (!opaque) {
      this.#opaqueEtags = true;
      this.onOpaqueEtags(found.etag);
    }
    return withVersion({ etag: this.#byIntent(obj, found), by: 'head' }, found);
  }

  /**
   * Where ETags cannot be compared: the object must carry this upload's intent or source token
   * (when it has one).
   */
  #byIntent(obj: WrittenObject, found: ObjectHead): string {
    const intent = objectIntent(found);
    const source = objectSource(found);
    const other =
      obj.intentId !== undefined && intent !== undefined && intent !== obj.intentId
        ? `intent ${intent}, ours ${obj.intentId}`
        : obj.source !== undefined && source !== undefined && source !== obj.source
          ? `another source (${source}, ours ${obj.source})`
          : undefined;
    if (other !== undefined) {
      throw new AppError(
        'ERR_VERIFY_FAILED',
        `${obj.where} was written by another upload (${other})`,
        {
          hint: 'another writer replaced the object; the file will be uploaded again',
        },
      );
    }
    return found.etag === '' ? obj.expected : found.etag;
  }
}
