/**
 * Where the direct path sends a bucket's requests: the SDK's own endpoint rules, asked through the
 * client (nothing is sent). Virtual-hosted where the name can be a host label, path-style where it
 * cannot, the region's endpoint and partition, FIPS and dual-stack from the client's config, a
 * custom endpoint's base path; endpoints that need another signer stay with the SDK.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildS3Client, type S3ConnectionSettings } from '../../src/object-store/s3/s3-client.js';
import { resolveRoute } from '../../src/object-store/s3/s3-route.js';

async function route(settings: Partial<S3ConnectionSettings>, bucket: string) {
  const client = buildS3Client({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 's', ...settings });
  try {
    const r = await resolveRoute(client, bucket);
    return r === undefined
      ? undefined
      : `${r.protocol}//${r.host}${r.keyPrefix} ${r.signingRegion}`;
  } finally {
    client.destroy();
  }
}

describe('resolveRoute', () => {
  const cases: [string, Partial<S3ConnectionSettings>, string, string | undefined][] = [
    [
      'AWS, a region',
      { region: 'eu-west-1' },
      'media',
      'https://media.s3.eu-west-1.amazonaws.com/ eu-west-1',
    ],
    [
      'us-east-1 (the SDK names it by region)',
      { region: 'us-east-1' },
      'media',
      'https://media.s3.us-east-1.amazonaws.com/ us-east-1',
    ],
    [
      'a name with dots',
      { region: 'eu-west-1' },
      'my.media',
      'https://s3.eu-west-1.amazonaws.com/my.media/ eu-west-1',
    ],
    [
      'a name with capitals',
      { region: 'eu-west-1' },
      'Media',
      'https://s3.eu-west-1.amazonaws.com/Media/ eu-west-1',
    ],
    [
      'path-style asked for',
      { region: 'eu-west-1', forcePathStyle: true },
      'media',
      'https://s3.eu-west-1.amazonaws.com/media/ eu-west-1',
    ],
    [
      'China',
      { region: 'cn-north-1' },
      'media',
      'https://media.s3.cn-north-1.amazonaws.com.cn/ cn-north-1',
    ],
    [
      'a custom endpoint, virtual-hosted',
      { endpoint: 'https://s3.test:7443', forcePathStyle: false },
      'media',
      'https://media.s3.test:7443/ us-east-1',
    ],
    [
      'a custom endpoint, a name with dots',
      { endpoint: 'https://s3.test:7443', forcePathStyle: false },
      'my.media',
      'https://s3.test:7443/my.media/ us-east-1',
    ],
    [
      'a custom endpoint with a base path',
      { endpoint: 'http://127.0.0.1:7480/s3', region: 'eu-central-1' },
      'media',
      'http://127.0.0.1:7480/s3/media/ eu-central-1',
    ],
    [
      'S3 Express (its own session signer)',
      { region: 'us-east-1' },
      'media--use1-az4--x-s3',
      undefined,
    ],
  ];
  for (const [label, settings, bucket, expected] of cases) {
    it(`${label}: ${expected ?? 'left to the SDK'}`, async () => {
      assert.equal(await route(settings, bucket), expected);
    });
  }

  it("FIPS and dual-stack where the client's config asks for them (AWS_USE_FIPS_ENDPOINT, …)", async () => {
    const saved = { ...process.env };
    try {
      process.env.AWS_USE_FIPS_ENDPOINT = 'true';
      process.env.AWS_USE_DUALSTACK_ENDPOINT = 'true';
      assert.equal(
        await route({ region: 'us-east-1' }, 'media'),
        'https://media.s3-fips.dualstack.us-east-1.amazonaws.com/ us-east-1',
      );
    } finally {
      delete process.env.AWS_USE_FIPS_ENDPOINT;
      delete process.env.AWS_USE_DUALSTACK_ENDPOINT;
      Object.assign(process.env, saved);
    }
  });

  it('rejects as the SDK would before sending: an invalid bucket name', async () => {
    await assert.rejects(route({ region: 'eu-west-1' }, 'a/b'));
  });
});
