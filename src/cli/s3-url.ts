/** Parsing of `s3://BUCKET[/PREFIX]` destinations and key rules. */
import { AppError } from '../errors/app-error.js';

export interface S3Url {
  readonly bucket: string;
  /** '' or a prefix ending in '/' (or any prefix the user gave, kept as is). */
  readonly prefix: string;
  /**
   * The key the URL names, when it names one: a path without a trailing slash
   * (`s3://b/name.ext`). `upload` stores a single file (or standard input) under it, as
   * `aws s3 cp` does; several files go under it as a folder (`prefix`).
   */
  readonly key: string | undefined;
}

/** Parses `s3://bucket/prefix`. A prefix without a trailing slash gets one (a folder). */
export function parseS3Url(text: string): S3Url {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(text);
  const bucket = m?.[1];
  if (m === null || bucket === undefined) {
    throw new AppError('ERR_USAGE', `"${text}" is not an S3 URL`, {
      hint: 'write the destination as s3://BUCKET or s3://BUCKET/PREFIX/',
    });
  }
  if (!/^[a-z0-9][a-z0-9.\-_]{1,253}[a-z0-9]$/i.test(bucket)) {
    throw new AppError('ERR_USAGE', `"${bucket}" is not a valid bucket name`, {
      hint: 'bucket names are 3-255 letters, digits, dots, hyphens or underscores',
    });
  }
  const rawPrefix = m[2] ?? '';
  const prefix = rawPrefix === '' || rawPrefix.endsWith('/') ? rawPrefix : `${rawPrefix}/`;
  const key = rawPrefix === '' || rawPrefix.endsWith('/') ? undefined : rawPrefix;
  return { bucket, prefix, key };
}

/** Throws ERR_KEY_INVALID for keys S3 refuses or that would be dangerous to write. */
export function checkKey(key: string, path: string): void {
  const fail = (why: string): never => {
    throw new AppError('ERR_KEY_INVALID', `the key for ${path} is invalid: ${why}`, {
      hint: 'rename the file or change the prefix',
    });
  };
  if (key === '') fail('it is empty');
  if (Buffer.byteLength(key, 'utf8') > 1024)
    fail(`it is ${Buffer.byteLength(key, 'utf8')} bytes long; S3 keys are at most 1,024 bytes`);
  if (key.startsWith('/')) fail('it starts with "/"');
  if (key.split('/').some((seg) => seg === '..' || seg === '.'))
    fail('it has a "." or ".." segment');
  if (key.includes('\uFFFD')) fail('the file name is not valid UTF-8');
}
