/** loadConfig: defaults < file < environment < flags, files on disk, readConfigEnvironment. */
import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readConfigEnvironment } from '../../src/config/environment.js';
import { loadConfig } from '../../src/config/load.js';
import { AppError, isAppError } from '../../src/errors/app-error.js';
import { makeTmpDir } from '../support/tmp.js';

const FILE_TEXT = `journal: /var/lib/s3ferry/file.db
api:
  host: 127.0.0.1
  port: 9001
log:
  level: warn
jobs:
  - name: inbox
    sources: [/data/inbox]
    destination: s3://uploads
`;

/** The ERR_CONFIG_INVALID `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isAppError(err, 'ERR_CONFIG_INVALID'), `expected ERR_CONFIG_INVALID: ${String(err)}`);
    return err;
  }
  assert.fail('expected ERR_CONFIG_INVALID');
}

describe('loadConfig layers', () => {
  let dir: { path: string; cleanup(): Promise<void> };
  let file: string;
  before(async () => {
    dir = await makeTmpDir('config-load');
    file = path.join(dir.path, 's3ferry.yaml');
    await writeFile(file, FILE_TEXT);
  });
  after(() => dir.cleanup());

  it('uses the defaults without a file', async () => {
    const config = await loadConfig({ env: {} });
    assert.equal(config.journal, './.s3ferry/journal.db');
    assert.deepEqual(config.api, {
      host: '127.0.0.1',
      port: 7317,
      auth: 'token',
      allowedHosts: [],
      metricsAuth: 'none',
    });
    assert.equal(config.log.level, 'info');
    assert.deepEqual(config.jobs, []);
  });

  it('the file overrides the defaults', async () => {
    const config = await loadConfig({ file, env: {} });
    assert.equal(config.journal, '/var/lib/s3ferry/file.db');
    assert.equal(config.api.port, 9001);
    assert.equal(config.log.level, 'warn');
    assert.equal(config.jobs[0]?.destination.bucket, 'uploads');
    assert.ok(Object.isFrozen(config.jobs[0].destination));
  });

  it('the environment overrides the file', async () => {
    const config = await loadConfig({
      file,
      env: {
        journal: '/env/journal.db',
        apiHost: '::1',
        apiPort: '9002',
        apiToken: 'env-token',
        logLevel: 'debug',
      },
    });
    assert.equal(config.journal, '/env/journal.db');
    assert.deepEqual(config.api, {
      host: '::1',
      port: 9002,
      token: 'env-token',
      auth: 'token',
      allowedHosts: [],
      metricsAuth: 'none',
    });
    assert.equal(config.log.level, 'debug');
  });

  it('flags override the environment', async () => {
    const config = await loadConfig({
      file,
      env: { journal: '/env/journal.db', apiPort: '9002', logLevel: 'debug' },
      flags: {
        journal: '/flag/journal.db',
        apiHost: 'localhost',
        apiPort: '9003',
        logLevel: 'error',
      },
    });
    assert.equal(config.journal, '/flag/journal.db');
    assert.deepEqual(config.api, {
      host: 'localhost',
      port: 9003,
      auth: 'token',
      allowedHosts: [],
      metricsAuth: 'none',
    });
    assert.equal(config.log.level, 'error');
    const numeric = await loadConfig({ env: { apiPort: '9002' }, flags: { apiPort: 9004 } });
    assert.equal(numeric.api.port, 9004);
  });

  it('leaves out flags given as undefined', async () => {
    const config = await loadConfig({ file, env: {}, flags: { journal: undefined } });
    assert.equal(config.journal, '/var/lib/s3ferry/file.db');
  });

  it('reads the file S3FERRY_CONFIG names when no file is given', async () => {
    const config = await loadConfig({ env: { configFile: file } });
    assert.equal(config.api.port, 9001);
  });

  it('validates the merged result: a public host from the environment needs a token', async () => {
    const err = await rejection(loadConfig({ file, env: { apiHost: '0.0.0.0' } }));
    assert.match(
      err.message,
      /^api\.token: api\.token is required when api\.host is not a loopback address/m,
    );
    const ok = await loadConfig({ file, env: { apiHost: '0.0.0.0', apiToken: 't0ken' } });
    assert.equal(ok.api.host, '0.0.0.0');
  });

  it('names the variable or the command line behind a bad value', async () => {
    const err = await rejection(loadConfig({ env: { apiPort: 'http', logLevel: 'loud' } }));
    const lines = err.message.split('\n');
    assert.ok(lines.includes('api.port: expected a number, got a string (from S3FERRY_API_PORT)'));
    assert.ok(
      lines.includes(
        'log.level: expected one of debug, info, warn, error, got "loud" (from S3FERRY_LOG_LEVEL)',
      ),
    );
    const flagErr = await rejection(loadConfig({ env: {}, flags: { apiPort: 70_000 } }));
    assert.match(flagErr.message, /^api\.port: must be at most 65535 \(from the command line\)$/m);
  });

  it('reports a missing file with its path and the example to start from', async () => {
    const missing = path.join(dir.path, 'nope.yaml');
    const err = await rejection(loadConfig({ file: missing, env: {} }));
    assert.ok(err.message.includes(missing));
    assert.ok(err.hint?.includes('s3ferry.example.yaml'));
  });

  it('reports a file that cannot be read', async () => {
    const err = await rejection(loadConfig({ file: dir.path, env: {} }));
    assert.match(err.message, /cannot read configuration file .*: EISDIR/);
    if (process.getuid?.() !== 0) {
      const locked = path.join(dir.path, 'locked.yaml');
      await writeFile(locked, FILE_TEXT);
      await chmod(locked, 0o000);
      const denied = await rejection(loadConfig({ file: locked, env: {} }));
      assert.match(denied.message, /EACCES/);
    }
  });

  it('reports YAML errors with the file path, line and column', async () => {
    const bad = path.join(dir.path, 'bad.yaml');
    await writeFile(bad, 'api:\n  port: 1\n  port: 2\n');
    const err = await rejection(loadConfig({ file: bad, env: {} }));
    assert.ok(err.message.includes(`${bad}:3:3: Map keys must be unique`));
  });
});

describe('readConfigEnvironment', () => {
  it('reads the S3FERRY_* overrides, trimmed, leaving out blank ones', () => {
    const env = readConfigEnvironment({
      S3FERRY_CONFIG: '/etc/s3ferry.yaml',
      S3FERRY_JOURNAL: ' /j.db ',
      S3FERRY_API_HOST: '0.0.0.0',
      S3FERRY_API_PORT: '8080',
      S3FERRY_API_TOKEN: 'secret',
      S3FERRY_LOG_LEVEL: '  ',
      AWS_REGION: 'eu-west-1',
    });
    assert.deepEqual(env, {
      configFile: '/etc/s3ferry.yaml',
      journal: '/j.db',
      apiHost: '0.0.0.0',
      apiPort: '8080',
      apiToken: 'secret',
    });
    assert.deepEqual(readConfigEnvironment({}), {});
  });
});
