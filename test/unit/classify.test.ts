/**
 * The classification table on error shapes the SDK and Node produce (plain values built here, the
 * SDK itself is not involved). The codes real servers send are covered against RGW and Swift in
 * the e2e and conformance suites.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyS3Error } from '../../src/object-store/s3/classify.js';
import { configSettings } from '../../src/object-store/setting-names.js';

const ctx = {
  operation: 'UploadPart',
  endpoint: 'http://127.0.0.1:9',
  bucket: 'b',
  key: 'k',
  region: 'us-east-1',
};

function sdkError(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode: status },
    $fault: status >= 500 ? 'server' : 'client',
  });
}

function sysError(code: string): Error {
  return Object.assign(new Error(`socket ${code}`), { code });
}

describe('classifyS3Error', () => {
  const cases: [string, unknown, string, string][] = [
    ['503 SlowDown', sdkError('SlowDown', 503), 'ERR_S3_THROTTLED', 'transient'],
    ['429', sdkError('TooManyRequestsException', 429), 'ERR_S3_THROTTLED', 'transient'],
    ['500 InternalError', sdkError('InternalError', 500), 'ERR_S3_SERVER', 'transient'],
    ['502 without a code', sdkError('Unknown', 502), 'ERR_S3_SERVER', 'transient'],
    ['RequestTimeout', sdkError('RequestTimeout', 400), 'ERR_S3_TIMEOUT', 'transient'],
    ['BadDigest', sdkError('BadDigest', 400), 'ERR_S3_BAD_DIGEST', 'transient'],
    ['connection reset', sysError('ECONNRESET'), 'ERR_NETWORK', 'transient'],
    [
      'reset wrapped as cause',
      Object.assign(new Error('outer'), { cause: sysError('EPIPE') }),
      'ERR_NETWORK',
      'transient',
    ],
    [
      'socket timeout',
      Object.assign(new Error('x'), { name: 'TimeoutError' }),
      'ERR_S3_TIMEOUT',
      'transient',
    ],
    ['refused', sysError('ECONNREFUSED'), 'ERR_S3_ENDPOINT_UNREACHABLE', 'fatal'],
    ['unknown host', sysError('ENOTFOUND'), 'ERR_S3_ENDPOINT_UNREACHABLE', 'fatal'],
    ['AccessDenied', sdkError('AccessDenied', 403), 'ERR_S3_ACCESS_DENIED', 'fatal'],
    ['bare 403 (HEAD)', sdkError('403', 403), 'ERR_S3_ACCESS_DENIED', 'fatal'],
    ['PermanentRedirect', sdkError('PermanentRedirect', 301), 'ERR_S3_WRONG_REGION', 'fatal'],
    ['TemporaryRedirect', sdkError('TemporaryRedirect', 307), 'ERR_S3_WRONG_REGION', 'fatal'],
    ['bare 307 (HEAD)', sdkError('307', 307), 'ERR_S3_WRONG_REGION', 'fatal'],
    [
      'AuthorizationHeaderMalformed',
      sdkError('AuthorizationHeaderMalformed', 400),
      'ERR_S3_WRONG_REGION',
      'fatal',
    ],
    [
      'certificate of an unknown CA',
      sysError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      'ERR_S3_TLS_UNTRUSTED',
      'fatal',
    ],
    ['self-signed CA', sysError('SELF_SIGNED_CERT_IN_CHAIN'), 'ERR_S3_TLS_UNTRUSTED', 'fatal'],
    ['self-signed', sysError('DEPTH_ZERO_SELF_SIGNED_CERT'), 'ERR_S3_TLS_UNTRUSTED', 'fatal'],
    [
      'certificate for another name',
      sysError('ERR_TLS_CERT_ALTNAME_INVALID'),
      'ERR_S3_TLS_UNTRUSTED',
      'fatal',
    ],
    ['expired certificate', sysError('CERT_HAS_EXPIRED'), 'ERR_S3_TLS_UNTRUSTED', 'fatal'],
    ['RequestTimeTooSkewed', sdkError('RequestTimeTooSkewed', 403), 'ERR_S3_CLOCK_SKEW', 'fatal'],
    ['NoSuchUpload', sdkError('NoSuchUpload', 404), 'ERR_S3_UPLOAD_GONE', 'permanent'],
    ['bare 404 (HEAD)', sdkError('NotFound', 404), 'ERR_S3_NOT_FOUND', 'permanent'],
    ['EntityTooSmall', sdkError('EntityTooSmall', 400), 'ERR_S3_INVALID_PART', 'permanent'],
    ['KeyTooLongError', sdkError('KeyTooLongError', 400), 'ERR_KEY_INVALID', 'permanent'],
    ['unknown 400', sdkError('WeirdThing', 400), 'ERR_S3_BAD_REQUEST', 'permanent'],
    [
      'aborted',
      Object.assign(new Error('aborted'), { name: 'AbortError' }),
      'ERR_CANCELLED',
      'cancelled',
    ],
  ];
  for (const [label, err, code, kind] of cases) {
    it(`${label} -> ${code} (${kind})`, () => {
      const out = classifyS3Error(err, ctx);
      assert.equal(out.code, code);
      assert.equal(out.kind, kind);
      assert.ok(
        out.message.length > 10 && out.hint !== undefined && out.hint.length > 5,
        'a cause and a fix',
      );
    });
  }
  it('names the region a bucket lives in when the store says it', () => {
    const err = Object.assign(sdkError('PermanentRedirect', 301), {
      $response: { headers: { 'x-amz-bucket-region': 'eu-west-3' } },
    });
    const out = classifyS3Error(err, ctx);
    assert.match(out.message, /is in eu-west-3, not us-east-1/);
    assert.match(out.hint ?? '', /set the region to eu-west-3/);
    const malformed = Object.assign(sdkError('AuthorizationHeaderMalformed', 400), {
      Region: 'ap-south-1',
    });
    assert.match(classifyS3Error(malformed, ctx).hint ?? '', /set the region to ap-south-1/);
  });

  it('an untrusted certificate names its host, the CA bundle in use, and the fix', () => {
    const tagged = Object.assign(sysError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), {
      host: 'b.s3.example.net',
    });
    const out = classifyS3Error(tagged, { ...ctx, caBundle: '/etc/ca.pem (from caBundle)' });
    assert.match(out.message, /^the certificate of b\.s3\.example\.net is not trusted/);
    assert.match(
      out.hint ?? '',
      /set caBundle \(or AWS_CA_BUNDLE.*to the PEM of the CA that signed it; the CA bundle in use, \/etc\/ca\.pem \(from caBundle\), does not hold that CA/,
    );
    // untagged (an SDK error without its host): the endpoint's
    const plain = classifyS3Error(sysError('SELF_SIGNED_CERT_IN_CHAIN'), ctx);
    assert.match(plain.message, /^the certificate of 127\.0\.0\.1 is not trusted/);
    assert.equal(plain.exitCode, 3);
  });

  it('the fixes name the options of the one-shot CLI, or the configuration path of the setting', () => {
    const hints = (settings?: ReturnType<typeof configSettings>) =>
      [
        sdkError('NoSuchBucket', 404),
        sysError('ECONNREFUSED'),
        sdkError('SignatureDoesNotMatch', 403),
        sdkError('InvalidAccessKeyId', 403),
        sdkError('PermanentRedirect', 301),
        sysError('SELF_SIGNED_CERT_IN_CHAIN'),
      ].map((e) => classifyS3Error(e, settings === undefined ? ctx : { ...ctx, settings }).hint);
    const cli = hints();
    assert.match(cli[0] ?? '', /correct the bucket name in --to s3:\/\/BUCKET$/);
    assert.match(cli[1] ?? '', /\(--endpoint-url\)/);
    assert.match(cli[2] ?? '', /\(AWS_SECRET_ACCESS_KEY or the profile\)/);

    const keyed = hints(
      configSettings('destinations.backups', { accessKeyId: 'AK', secretAccessKey: 'S' }),
    );
    assert.match(keyed[0] ?? '', /^create the bucket, or correct destinations\.backups\.bucket$/);
    assert.match(keyed[1] ?? '', /check the endpoint URL \(destinations\.backups\.endpoint\)/);
    assert.match(
      keyed[2] ?? '',
      /check the secret access key \(destinations\.backups\.secretAccessKey\)/,
    );
    assert.match(keyed[3] ?? '', /the access key ID \(destinations\.backups\.accessKeyId\)/);
    assert.match(
      keyed[4] ?? '',
      /\(destinations\.backups\.region \(or AWS_REGION of the agent\)\)/,
    );
    assert.match(keyed[5] ?? '', /^set destinations\.backups\.caBundle/);
    for (const h of keyed) assert.doesNotMatch(h ?? '', /--to|--endpoint-url|--region|--ca-bundle/);

    const profiled = hints(
      configSettings('jobs[0].destination', { profile: 'writer', region: 'eu-west-1' }),
    );
    assert.match(profiled[2] ?? '', /the profile "writer" \(jobs\[0\]\.destination\.profile\)/);
    assert.match(profiled[4] ?? '', /\(jobs\[0\]\.destination\.region\)$/);
    const chain = hints(configSettings('jobs[1].destination', {}));
    assert.match(
      chain[2] ?? '',
      /jobs\[1\]\.destination\.secretAccessKey, or AWS_SECRET_ACCESS_KEY or the profile of the agent/,
    );
  });
});
