/**
 * Where a connection's CA bundle comes from, in the AWS CLI's order (the explicit option,
 * AWS_CA_BUNDLE, ca_bundle of the profile), what makes a file unusable, and S3FERRY_RESOLVE.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  connectionEnvironment,
  findCaBundle,
  parseResolve,
  profileCaBundle,
} from '../../src/config/connection-env.js';
import { readEnvironment } from '../../src/config/environment.js';
import { isAppError } from '../../src/errors/app-error.js';
import { makeTestCa } from '../support/s3-server.js';

/** Shaped like a certificate, but its contents are not one. */
const BROKEN_PEM = `-----BEGIN CERTIFICATE-----
MIIBfTCCASOgAwIBAgIUYb1dR5vK0W4nW7nD2Vv8h3mOiW4wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJczNmZXJyeS1jYTAeFw0yNDAxMDEwMDAwMDBaFw0zNDAxMDEw
MDAwMDBaMBQxEjAQBgNVBAMMCXMzZmVycnktY2EwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQ2QeH4rFHS8n7U1r1kGvD1p8dT4Ffi1CqFjHl4wtV5i1cQ4xW2Y8oL
m2nE7g3kq0k1m8v8sQ5D0lWQm4b5Xy3Ro1MwUTAdBgNVHQ4EFgQU9m3R6p6o3b6m
-----END CERTIFICATE-----
`;

describe('CA bundle and resolve settings', () => {
  let dir: string;
  let good: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 's3ferry-conn-env-'));
    good = (await makeTestCa(join(dir, 'ca'))).caFile;
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (vars: Record<string, string>) =>
    readEnvironment({ AWS_CONFIG_FILE: join(dir, 'aws-config'), ...vars }, false);

  it('reads ca_bundle of the chosen profile only, skipping nested sections', () => {
    const text = [
      '[default]',
      'ca_bundle = /default.pem',
      's3 =',
      '  ca_bundle = /nested.pem',
      '[profile store]',
      'region = eu-west-1',
      'ca_bundle=/store.pem',
      '[profile other]',
      'region = x',
    ].join('\n');
    assert.equal(profileCaBundle(text, 'default'), '/default.pem');
    assert.equal(profileCaBundle(text, 'store'), '/store.pem');
    assert.equal(profileCaBundle(text, 'other'), undefined);
    assert.equal(profileCaBundle(text, 'missing'), undefined);
  });

  it('takes the explicit path, then AWS_CA_BUNDLE, then the profile (AWS_PROFILE or default)', () => {
    writeFileSync(
      join(dir, 'aws-config'),
      '[default]\nca_bundle = /d.pem\n[profile p]\nca_bundle = /p.pem\n',
    );
    const bundle = { AWS_CA_BUNDLE: '/env.pem' };
    assert.deepEqual(findCaBundle('/x.pem', 'caBundle', 'p', env(bundle)), {
      path: '/x.pem',
      origin: 'caBundle',
    });
    assert.deepEqual(findCaBundle(undefined, 'caBundle', 'p', env(bundle)), {
      path: '/env.pem',
      origin: 'AWS_CA_BUNDLE',
    });
    assert.equal(findCaBundle(undefined, 'caBundle', 'p', env({}))?.path, '/p.pem');
    assert.equal(
      findCaBundle(undefined, 'caBundle', undefined, env({ AWS_PROFILE: 'p' }))?.path,
      '/p.pem',
    );
    assert.match(
      findCaBundle(undefined, 'caBundle', undefined, env({}))?.origin ?? '',
      /^ca_bundle of profile "default" in .*aws-config$/,
    );
    const none = readEnvironment({ AWS_CONFIG_FILE: join(dir, 'no-such-config') }, false);
    assert.equal(findCaBundle(undefined, 'caBundle', undefined, none), undefined);
  });

  it('reads the PEM; a missing or certificate-less file is a config error naming path and origin', () => {
    writeFileSync(join(dir, 'aws-config'), '');
    const ok = connectionEnvironment(good, '--ca-bundle', undefined, env({}));
    assert.equal(ok.ca?.pem, readFileSync(good, 'utf8'));
    assert.equal(ok.ca.origin, '--ca-bundle');
    const missing = join(dir, 'missing.pem');
    assert.throws(
      () =>
        connectionEnvironment(undefined, 'caBundle', undefined, env({ AWS_CA_BUNDLE: missing })),
      (e) =>
        isAppError(e, 'ERR_CONFIG_INVALID') &&
        e.message === `the CA bundle ${missing} does not exist (set by AWS_CA_BUNDLE)` &&
        /point AWS_CA_BUNDLE at the PEM file/.test(e.hint ?? ''),
    );
    const empty = join(dir, 'empty.pem');
    writeFileSync(empty, 'not a certificate\n');
    assert.throws(
      () => connectionEnvironment(empty, 'caBundle', undefined, env({})),
      (e) => isAppError(e, 'ERR_CONFIG_INVALID') && /holds no PEM certificate/.test(e.message),
    );
    const broken = join(dir, 'broken.pem');
    writeFileSync(broken, BROKEN_PEM);
    assert.throws(
      () => connectionEnvironment(broken, 'caBundle', undefined, env({})),
      (e) => isAppError(e, 'ERR_CONFIG_INVALID') && /does not parse/.test(e.message),
    );
  });

  it('parses S3FERRY_RESOLVE, refusing what is not HOST=ADDRESS', () => {
    assert.deepEqual(parseResolve(undefined), []);
    assert.deepEqual(parseResolve('S3.test=127.0.0.1, other.test=::1'), [
      { host: 's3.test', address: '127.0.0.1' },
      { host: 'other.test', address: '::1' },
    ]);
    for (const bad of ['s3.test', 's3.test=localhost', '=127.0.0.1', 'a b=127.0.0.1'])
      assert.throws(
        () => parseResolve(bad),
        (e) => isAppError(e, 'ERR_CONFIG_INVALID') && e.message.includes('S3FERRY_RESOLVE'),
        bad,
      );
  });
});
