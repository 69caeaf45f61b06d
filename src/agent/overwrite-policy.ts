/**
 * The overwrite policies of DESIGN.md item 8, decided before an upload: `never` (the transfer
 * service never replaces another writer's object: a conditional PUT, no request before it),
 * `if-changed` (skip when size and the sha256 kept in the object's metadata match), `always`,
 * `version-suffix` (name_1.ext, …).
 */
import type { JobConfig } from '../config/agent-config.js';
import type { ObjectHead, ObjectTarget } from '../object-store/object-target.js';

export type KeyChoice =
  { kind: 'skip'; reason: string } | { kind: 'upload'; key: string; ifNoneMatch: boolean };

/** Versions tried before giving up on version-suffix. */
const MAX_VERSIONS = 10_000;

/** `a/b/name.ext` -> `a/b/name_N.ext` (`name_N` without an extension). */
export function versionedKey(key: string, n: number): string {
  const slash = key.lastIndexOf('/');
  const dot = key.lastIndexOf('.');
  if (dot > slash + 1) return `${key.slice(0, dot)}_${n}${key.slice(dot)}`;
  return `${key}_${n}`;
}

/**
 * `isOurs` says whether an existing object was written by an earlier, interrupted attempt at this
 * same unchanged file (then it is replaced, whatever the policy: it holds these very bytes).
 * `guarded`: the write that follows goes through the transfer service, which keeps `never` itself
 * (transfer-types.ts UploadRequest.ifNoneMatch): then `never` costs no request here. A server-side
 * copy is not guarded.
 */
export async function chooseKey(
  target: ObjectTarget,
  key: string,
  policy: JobConfig['overwrite'],
  size: number,
  sha256: string | undefined,
  signal: AbortSignal,
  isOurs: (head: ObjectHead) => Promise<boolean> = () => Promise.resolve(false),
  guarded = false,
): Promise<KeyChoice> {
  if (policy === 'always') return { kind: 'upload', key, ifNoneMatch: false };
  // One request per small object: the PUT is conditional, and a key found taken is looked at then.
  if (policy === 'never' && guarded) return { kind: 'upload', key, ifNoneMatch: true };
  const head = await target.headObject(key, signal);
  if (head === undefined) return { kind: 'upload', key, ifNoneMatch: policy === 'never' };
  if (await isOurs(head)) return { kind: 'upload', key, ifNoneMatch: false };
  switch (policy) {
    case 'never':
      return {
        kind: 'skip',
        reason: `s3://${target.bucket}/${key} exists and the overwrite policy is never`,
      };
    case 'if-changed': {
      const same =
        head.size === size && sha256 !== undefined && head.metadata['s3ferry-sha256'] === sha256;
      return same
        ? {
            kind: 'skip',
            reason: `s3://${target.bucket}/${key} already holds this content (same size and sha256)`,
          }
        : { kind: 'upload', key, ifNoneMatch: false };
    }
    case 'version-suffix':
      for (let n = 1; n < MAX_VERSIONS; n += 1) {
        const candidate = versionedKey(key, n);
        if ((await target.headObject(candidate, signal)) === undefined)
          return { kind: 'upload', key: candidate, ifNoneMatch: false };
      }
      return { kind: 'skip', reason: `${MAX_VERSIONS} versions of ${key} exist` };
  }
}
