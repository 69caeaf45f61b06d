/**
 * `--retention MODE:DURATION` and `--legal-hold` of `s3ferry upload` and `doctor` (write-once
 * retention, domain/retention.ts), and the capability probe (domain/capabilities.ts) that
 * `upload` runs once before the first file where they or `--if-none-match` are asked for.
 */
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { probeKey, type EndpointCapabilities } from '../domain/capabilities.js';
import type { ObjectLockRule } from '../domain/retention.js';
import { AppError } from '../errors/app-error.js';
import type { ObjectTarget } from '../object-store/object-target.js';
import type { Clock } from '../platform/clock.js';
import { noObjectLock } from '../transfer/capability-fit.js';
import type { CapabilitySource } from '../transfer/transfer-types.js';
import { durationOption } from './common-options.js';

/** The flags as commander gives them. */
export interface LockOptions {
  retention?: string;
  legalHold?: boolean;
}

/** Adds --retention and --legal-hold. */
export function addLockOptions(cmd: Command): Command {
  return cmd
    .option(
      '--retention <mode:duration>',
      'write-once retention of every object (S3 Object Lock), e.g. governance:30d or compliance:365d; the bucket must have Object Lock',
    )
    .option(
      '--legal-hold',
      'a legal hold on every object (S3 Object Lock); the bucket must have Object Lock',
    );
}

/** The rule the flags ask for; undefined for none. Throws ERR_USAGE for a malformed value. */
export function lockRuleOf(opts: LockOptions): ObjectLockRule | undefined {
  const legalHold = opts.legalHold === true;
  if (opts.retention === undefined) return legalHold ? { legalHold } : undefined;
  const m = /^(governance|compliance):(.+)$/i.exec(opts.retention.trim());
  if (m?.[1] === undefined || m[2] === undefined)
    throw new AppError('ERR_USAGE', `--retention "${opts.retention}" is not MODE:DURATION`, {
      hint: 'write it like governance:30d or compliance:365d',
    });
  const ms = durationOption('--retention', m[2]);
  if (ms < 1000)
    throw new AppError('ERR_USAGE', `--retention "${opts.retention}" is shorter than 1s`, {
      hint: 'write it like governance:30d or compliance:365d',
    });
  const mode = m[1].toLowerCase() === 'compliance' ? 'compliance' : 'governance';
  return { retention: { mode, for: ms }, legalHold };
}

/**
 * Probes what the store accepts (on a scratch key under `prefix`), once `probe` (the caller's
 * retries around it) answers, and refuses a bucket without Object Lock where `rule` asks for it
 * (ERR_S3_NO_OBJECT_LOCK). The answer then serves the run's transfer service (the never-overwrite
 * guard where the store does not keep If-None-Match: Ceph RGW on a versioned bucket), and is
 * asked again when the store refuses a write.
 */
export async function probedCapabilities(
  target: Pick<ObjectTarget, 'probeCapabilities' | 'bucket'>,
  prefix: string,
  rule: ObjectLockRule | undefined,
  clock: Clock,
  retried: <T>(operation: string, fn: () => Promise<T>) => Promise<T>,
  signal?: AbortSignal,
): Promise<CapabilitySource> {
  const probe = (): Promise<EndpointCapabilities> =>
    retried('capability probe', async () => {
      const key = probeKey(prefix, randomUUID());
      return (await target.probeCapabilities(key, clock.now(), signal)).capabilities;
    });
  let caps = await probe();
  if (rule !== undefined && !caps.objectLock) throw noObjectLock(target.bucket, rule);
  return {
    current: () => caps,
    reprobe: async () => (caps = await probe()),
  };
}
