/** redactConfig: secrets never leave the process through config check, the API or logs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { REDACTED, redactConfig, redactUrl } from '../../src/config/redact.js';

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
    assert.equal(d.proxy, `http://user:${REDACTED}@proxy.example.com:3128`);
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

describe('redactUrl (issue 15, items 8 and 9)', () => {
  it('hides a password that holds #, / or ? (the URL does not parse, or parses as another)', () => {
    for (const password of ['pa#ss/wo?rd', '12/ss', 'a?b', 'x#y', 'p@ss', 'hunter2']) {
      for (const url of [
        `postgres://s3ferry:${password}@127.0.0.1:7432/db`,
        `http://user:${password}@127.0.0.1:7480`,
      ]) {
        const shown = redactUrl(url);
        assert.ok(!shown.includes(password), `${url} -> ${shown}`);
        assert.match(
          shown,
          /^(postgres|http):\/\/(s3ferry|user):\*\*\*@127\.0\.0\.1:(7432\/db|7480)$/,
        );
      }
    }
  });

  it('hides a bare user part (it may be a token) and password= parameters; leaves paths alone', () => {
    assert.equal(redactUrl('https://tok3n@hooks.example.com/x'), 'https://***@hooks.example.com/x');
    assert.equal(
      redactUrl('postgresql://db/j?sslmode=require&password=pw#1&x=2'),
      'postgresql://db/j?sslmode=require&password=***&x=2',
    );
    assert.equal(redactUrl('http://127.0.0.1:7480'), 'http://127.0.0.1:7480');
    assert.equal(redactUrl('/var/lib/s3ferry/journal.db'), '/var/lib/s3ferry/journal.db');
  });

  it('redacts such a journal in config check --json output', () => {
    const config = parseConfig('journal: postgres://u:pa%23ss@db/x', 'x');
    assert.equal(redactConfig(config).journal, 'postgres://u:***@db/x');
  });
});
