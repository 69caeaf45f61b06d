/**
 * `s3ferry doctor --to s3://BUCKET ...`: checks, in order, the settings, the credentials, the
 * endpoint, the bucket, write permission (single and multipart), and what the store accepts (the
 * capability probe: conditional PUT, tags, Object Lock, versioning, CRC32 checksums, MD5 ETags),
 * with Object Lock required under --retention or --legal-hold, and prints each result with the
 * cause and the fix when it fails. Exit code: that of the first failure.
 */
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { describeCapabilities, probeKey } from '../domain/capabilities.js';
import { md5HexToBase64 } from '../domain/etag.js';
import { describeLockRule } from '../domain/retention.js';
import { systemClock } from '../platform/clock.js';
import { noObjectLock } from '../transfer/capability-fit.js';
import { AppError, toAppError } from '../errors/app-error.js';
import { md5Hex } from '../transfer/upload-run.js';
import {
  addCommonOptions,
  buildTarget,
  parseCommon,
  type CommonOptions,
} from './common-options.js';
import { addLockOptions, lockRuleOf, type LockOptions } from './lock-options.js';
import { endOutputQuietly, reportError } from './output.js';

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly error?: AppError;
}

export function registerDoctor(program: Command): void {
  addLockOptions(
    addCommonOptions(
      program
        .command('doctor')
        .description(
          'check credentials, endpoint, bucket, write permission and what the store accepts',
        ),
    ),
  ).action(async (opts: CommonOptions & LockOptions) => {
    process.exitCode = await runDoctor(opts);
  });
}

export async function runDoctor(opts: CommonOptions & LockOptions): Promise<number> {
  endOutputQuietly(); // `doctor | head -1`: the checks go on and the probe object is removed
  let settings;
  let rule;
  try {
    settings = parseCommon(opts);
    rule = lockRuleOf(opts);
  } catch (err) {
    return reportError(err, opts.json === true);
  }
  const target = buildTarget(settings);
  const checks: Check[] = [];
  const print = (c: Check): void => {
    checks.push(c);
    if (settings.json) {
      process.stdout.write(
        `${JSON.stringify({ type: 'check', name: c.name, ok: c.ok, detail: c.detail, ...(c.error === undefined ? {} : { error: c.error.toJSON() }) })}\n`,
      );
      return;
    }
    process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(12)} ${c.detail}\n`);
    if (c.error?.hint !== undefined)
      process.stdout.write(`${' '.repeat(19)}fix: ${c.error.hint}\n`);
  };
  const step = async (
    name: string,
    okDetail: string,
    run: () => Promise<unknown>,
  ): Promise<boolean> => {
    try {
      const detail = await run();
      print({ name, ok: true, detail: typeof detail === 'string' ? detail : okDetail });
      return true;
    } catch (raw) {
      const error = toAppError(raw);
      print({ name, ok: false, detail: error.message, error });
      return false;
    }
  };
  const where = target.endpoint || 'AWS S3';
  print({
    name: 'settings',
    ok: true,
    detail: `s3://${settings.url.bucket}/${settings.url.prefix} at ${where}, region ${settings.connection.region ?? '(from the AWS config)'}${settings.caBundle === undefined ? '' : `, CAs of ${settings.caBundle}`}`,
  });
  try {
    const probeKey = `${settings.url.prefix}.s3ferry-doctor-${randomUUID()}`;
    const ok =
      (await step('credentials', 'found', async () => maskKey(await target.credentials()))) &&
      (await step(
        'bucket',
        `s3://${settings.url.bucket} exists and these credentials may use it`,
        () => target.probe(),
      )) &&
      (await step(
        'write',
        `PutObject and DeleteObject work under s3://${settings.url.bucket}/${settings.url.prefix}`,
        async () => {
          const body = Buffer.from('s3ferry doctor probe\n');
          await target.putObject({ key: probeKey, body, contentMd5: md5HexToBase64(md5Hex(body)) });
          await target.deleteObject(probeKey);
        },
      )) &&
      (await step(
        'multipart',
        'CreateMultipartUpload, ListParts and AbortMultipartUpload work',
        async () => {
          const id = await target.createMultipartUpload(probeKey, {});
          try {
            await target.listParts(probeKey, id);
          } finally {
            await target.abortMultipartUpload(probeKey, id);
          }
        },
      )) &&
      (await step('capabilities', '', async () => {
        const scratch = capabilityKey(settings.url.prefix);
        const { capabilities, leftover } = await target.probeCapabilities(
          scratch,
          systemClock.now(),
        );
        const accepted = `the store accepts ${describeCapabilities(capabilities)}`;
        if (rule !== undefined && !capabilities.objectLock)
          throw noObjectLock(settings.url.bucket, rule);
        const lock = rule === undefined ? '' : `; Object Lock keeps ${describeLockRule(rule)}`;
        return `${accepted}${lock}${leftover === undefined ? '' : ` (${leftover})`}`;
      }));
    const failed = checks.find((c) => !c.ok);
    if (!settings.json) process.stdout.write(ok ? 'everything s3ferry needs works\n' : '');
    return failed?.error?.exitCode ?? 0;
  } finally {
    target.destroy();
  }
}

/** The capability probe's scratch key (not the write check's: each is removed by its own). */
function capabilityKey(prefix: string): string {
  return probeKey(prefix, randomUUID());
}

function maskKey(creds: { accessKeyId: string; source: string }): string {
  const id = creds.accessKeyId;
  const shown = id.length > 8 ? `${id.slice(0, 4)}…${id.slice(-4)}` : '…';
  return `${shown} (from ${creds.source}; the secret is never shown)`;
}
