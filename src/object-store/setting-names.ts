/**
 * How the person names each setting of a destination, so that the fix of an error (classify.ts)
 * speaks their language: the one-shot commands' options and environment ({@link CLI_SETTINGS}),
 * or the place in s3ferry.yaml where the agent's destination is written ({@link configSettings}).
 * Each name fits into a sentence of the fix, e.g. "create the bucket, or correct NAME".
 */
export interface SettingNames {
  /** e.g. 'the bucket name in --to s3://BUCKET', 'destinations.backups.bucket'. */
  readonly bucket: string;
  /** e.g. '--endpoint-url'. */
  readonly endpoint: string;
  /** e.g. '--region or AWS_REGION'. */
  readonly region: string;
  /** Where the access key ID comes from. */
  readonly accessKey: string;
  /** Where the secret access key comes from. */
  readonly secretKey: string;
  /** The whole sentence of how to give credentials. */
  readonly credentials: string;
  /** e.g. 'forcePathStyle (--force-path-style)'. */
  readonly pathStyle: string;
  /** e.g. 'caBundle (or AWS_CA_BUNDLE; --ca-bundle for one command)'. */
  readonly caBundle: string;
}

/** The names of `s3ferry upload`, `doctor` and `cleanup` (and of a target built without names). */
export const CLI_SETTINGS: SettingNames = {
  bucket: 'the bucket name in --to s3://BUCKET',
  endpoint: '--endpoint-url',
  region: '--region or AWS_REGION',
  accessKey: 'AWS_ACCESS_KEY_ID or the profile',
  secretKey: 'AWS_SECRET_ACCESS_KEY or the profile',
  credentials:
    'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or choose a profile with AWS_PROFILE or --profile',
  pathStyle: 'forcePathStyle (--force-path-style)',
  caBundle: 'caBundle (or AWS_CA_BUNDLE; --ca-bundle for one command)',
};

/** What of a destination's configuration decides where its credentials and region come from. */
export interface ConfiguredDestination {
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
  readonly accessKeyId?: string | undefined;
  readonly secretAccessKey?: string | undefined;
}

/**
 * The names of a destination written at `path` of s3ferry.yaml (`destinations.NAME` or
 * `jobs[i].destination`). A setting the file leaves out comes from the agent's environment (the
 * standard AWS chain): the names say so.
 */
export function configSettings(path: string, d: ConfiguredDestination): SettingNames {
  const keys = d.accessKeyId !== undefined;
  const profile =
    d.profile === undefined ? undefined : `the profile "${d.profile}" (${path}.profile)`;
  const chain = (variable: string): string =>
    `${path}.${variable === 'AWS_ACCESS_KEY_ID' ? 'accessKeyId' : 'secretAccessKey'}, or ${variable} or the profile of the agent's environment`;
  return {
    bucket: `${path}.bucket`,
    endpoint: `${path}.endpoint`,
    region:
      d.region === undefined ? `${path}.region (or AWS_REGION of the agent)` : `${path}.region`,
    accessKey: keys ? `${path}.accessKeyId` : (profile ?? chain('AWS_ACCESS_KEY_ID')),
    secretKey: keys ? `${path}.secretAccessKey` : (profile ?? chain('AWS_SECRET_ACCESS_KEY')),
    credentials: `set ${path}.accessKeyId and ${path}.secretAccessKey, or ${path}.profile (or give the agent AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)`,
    pathStyle: `${path}.forcePathStyle: true`,
    caBundle: `${path}.caBundle (or AWS_CA_BUNDLE of the agent)`,
  };
}
