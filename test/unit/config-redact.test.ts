/** redactConfig: secrets never leave the process through config check, the API or logs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { REDACTED, redactConfig } from '../../src/config/redact.js';

const SECRETS = [
  'SECRET-KEY-1',
  'SESSION-TOKEN-1',
  'API-TOKEN-1',
  'HOOK-SECRET-1',
  'proxy-pw-1',
  'journal-pw-1',
];

const TEXT = `journal: postgres://s3ferry:journal-pw-1@db.example.com:5432/s3ferry
api: {host: 0.0.0.0, token: API-TOKEN-1}
events:
  webhook:
    url: https://hooks.example.com/s3ferry
    headers: {Authorization: Bearer HOOK-SECRET-1, X-Team: HOOK-SECRET-1}
jobs:
  - name: a
    sources: [/a]
    destination:
      bucket: b
      accessKeyId: AKIAEXAMPLE
      secretAccessKey: SECRET-KEY-1
      sessionToken: SESSION-TOKEN-1
      proxy: http://user:proxy-pw-1@proxy.example.com:3128
  - name: b
    sources: [/b]
    destination: {bucket: c, profile: writer}
`;

describe('redactConfig', () => {
  const config = parseConfig(TEXT, 's3ferry.yaml');
  const redacted = redactConfig(config);

  it('replaces every secret', () => {
    const text = JSON.stringify(redacted);
    for (const secret of SECRETS) assert.ok(!text.includes(secret), secret);
    assert.equal(redacted.api.token, REDACTED);
    assert.deepEqual(redacted.events.webhook?.headers, {
      Authorization: REDACTED,
      'X-Team': REDACTED,
    });
    const d = redacted.jobs[0]?.destination;
    assert.equal(d?.secretAccessKey, REDACTED);
    assert.equal(d.sessionToken, REDACTED);
    assert.equal(d.proxy, `http://user:${encodeURIComponent(REDACTED)}@proxy.example.com:3128/`);
    assert.equal(redacted.journal, `postgres://s3ferry:${REDACTED}@db.example.com:5432/s3ferry`);
  });

  it('redacts a journal password given as a URL parameter, and leaves a journal file alone', () => {
    const inQuery = parseConfig(
      'journal: postgresql://db.example.com/j?password=journal-pw-1',
      'x',
    );
    assert.ok(!redactConfig(inQuery).journal.includes('journal-pw-1'));
    const file = parseConfig('journal: /var/lib/s3ferry/journal.db', 'x');
    assert.equal(redactConfig(file).journal, '/var/lib/s3ferry/journal.db');
  });

  it('keeps everything else, and absent secrets absent', () => {
    assert.equal(redacted.api.host, '0.0.0.0');
    assert.equal(redacted.events.webhook?.url, 'https://hooks.example.com/s3ferry');
    assert.equal(redacted.jobs[0]?.destination.accessKeyId, 'AKIAEXAMPLE');
    assert.deepEqual(redacted.jobs[1], config.jobs[1]);
    assert.equal(Object.hasOwn(redacted.jobs[1]?.destination ?? {}, 'secretAccessKey'), false);
    const plain = redactConfig(parseConfig('', 'x'));
    assert.equal(Object.hasOwn(plain.api, 'token'), false);
    assert.equal(Object.hasOwn(plain.events, 'webhook'), false);
  });

  it('leaves the original untouched and returns a frozen copy', () => {
    assert.equal(config.api.token, 'API-TOKEN-1');
    assert.equal(config.jobs[0]?.destination.secretAccessKey, 'SECRET-KEY-1');
    assert.ok(Object.isFrozen(redacted));
    assert.ok(Object.isFrozen(redacted.jobs[0]?.destination));
  });
});
