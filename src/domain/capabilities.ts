/**
 * What an S3 endpoint accepts, found by a probe on a scratch key (object-store/s3/s3-capabilities.ts)
 * at the agent's start, in `doctor`, and again when the store refuses something the last probe
 * said it accepts. The agent uses the answer instead of guessing: a conditional PUT only where the
 * store refuses a taken key with it, tags only where it keeps them, a HeadObject after each upload
 * only where ETags are not MD5s of the content, retention only on a bucket with Object Lock.
 */

/** The answers of one probe. */
export interface EndpointCapabilities {
  /** A PUT with `If-None-Match: *` on a taken key is refused (412): the never-overwrite guard. */
  readonly conditionalPut: boolean;
  /** A PUT with `x-amz-tagging` is accepted. */
  readonly tagging: boolean;
  /** The bucket has Object Lock enabled: retention and legal holds can be set. */
  readonly objectLock: boolean;
  /** The bucket keeps versions: a PUT answers a version id. */
  readonly versioning: boolean;
  /** A PUT with `x-amz-checksum-crc32` is accepted and the checksum answered back (checked). */
  readonly checksumCrc32: boolean;
  /** A single PUT's ETag is the MD5 of its bytes. */
  readonly md5Etags: boolean;
}

/** The capabilities in the order they are shown, with their names. */
export const CAPABILITY_NAMES: readonly (readonly [keyof EndpointCapabilities, string])[] = [
  ['conditionalPut', 'conditional PUT'],
  ['tagging', 'tags'],
  ['objectLock', 'Object Lock'],
  ['versioning', 'versioning'],
  ['checksumCrc32', 'CRC32 checksums'],
  ['md5Etags', 'MD5 ETags'],
];

/** "conditional PUT, tags, MD5 ETags; not: Object Lock, versioning, CRC32 checksums". */
export function describeCapabilities(c: EndpointCapabilities): string {
  const yes = CAPABILITY_NAMES.filter(([k]) => c[k]).map(([, name]) => name);
  const no = CAPABILITY_NAMES.filter(([k]) => !c[k]).map(([, name]) => name);
  return `${yes.length === 0 ? 'none' : yes.join(', ')}${no.length === 0 ? '' : `; not: ${no.join(', ')}`}`;
}

/** What changed between two answers, e.g. ["conditional PUT: no (was yes)"]; [] when nothing. */
export function capabilityChanges(
  before: EndpointCapabilities | undefined,
  after: EndpointCapabilities,
): string[] {
  if (before === undefined) return [];
  return CAPABILITY_NAMES.filter(([k]) => before[k] !== after[k]).map(
    ([k, name]) => `${name}: ${after[k] ? 'yes' : 'no'} (was ${before[k] ? 'yes' : 'no'})`,
  );
}

/** The scratch keys of the probes start so, under the destination's prefix. */
export const PROBE_KEY_MARK = '.s3ferry-probe-';

/** The scratch key of one probe: `PREFIX.s3ferry-probe-ID`. */
export function probeKey(prefix: string, id: string): string {
  return `${prefix}${PROBE_KEY_MARK}${id}`;
}

/** True for a key a probe wrote (tests and listings leave them out). */
export function isProbeKey(key: string): boolean {
  return key.slice(key.lastIndexOf('/') + 1).startsWith(PROBE_KEY_MARK);
}
