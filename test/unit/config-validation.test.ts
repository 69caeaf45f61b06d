/** s3ferry.yaml validation: every kind of problem with its exact path, all reported at once. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { isAppError } from '../../src/errors/app-error.js';

/** The problem lines of the ERR_CONFIG_INVALID that parsing `text` throws. */
function problems(text: string): string[] {
  try {
    parseConfig(text, 's3ferry.yaml');
  } catch (err) {
    assert.ok(isAppError(err, 'ERR_CONFIG_INVALID'), String(err));
    assert.equal(err.kind, 'fatal');
    assert.match(err.hint ?? '', /fix s3ferry\.yaml.*s3ferry config check/);
    const [header, ...lines] = err.message.split('\n');
    const count = lines.length === 1 ? '1 problem' : `${lines.length} problems`;
    assert.ok(header?.endsWith(`(${count}):`), header);
    return lines;
  }
  assert.fail('expected ERR_CONFIG_INVALID');
}

const JOB = { name: 'j', sources: ['/d'], destination: { bucket: 'b' } };

/** Problems of a document with `job` (merged into a valid job) as its jobs[0]. */
function jobProblems(job: Record<string, unknown>, doc: Record<string, unknown> = {}): string[] {
  return problems(JSON.stringify({ ...doc, jobs: [{ ...JOB, ...job }] }));
}

function destinationProblems(destination: Record<string, unknown>): string[] {
  return problems(
    JSON.stringify({
      destinations: { d: { bucket: 'b', ...destination } },
      jobs: [{ ...JOB, destination: 'd' }],
    }),
  );
}

describe('config validation: one problem, exact path', () => {
  it('a regular expression that does not compile', () => {
    const lines = problems(
      JSON.stringify({
        jobs: [JOB, { ...JOB, name: 'k', filters: { include: [{ regex: '(' }] } }],
      }),
    );
    assert.deepEqual(lines, [
      'jobs[1].filters.include[0].regex: invalid regular expression: Unterminated group',
    ]);
  });

  it('a regular expression that only a backtracking engine runs: named, with the fix', () => {
    // Filters run on a linear-time engine (issue 15, item 6): lookahead and backreferences
    // cannot, so they are refused at load rather than allowed to stall the agent.
    const lines = jobProblems({
      filters: { include: [{ regex: '^(?!draft-).*\\.mp4$' }], exclude: [{ regex: '(.)\\1' }] },
    });
    assert.equal(lines.length, 2);
    assert.match(
      lines[0] ?? '',
      /^jobs\[0\]\.filters\.include\[0\]\.regex: the regular expression '\^\(\?!draft-\)\.\*\\\.mp4\$' cannot be used: it uses a lookahead \(\(\?!\).*linear-time.*Fix: rewrite it without/,
    );
    assert.match(
      lines[1] ?? '',
      /^jobs\[0\]\.filters\.exclude\[0\]\.regex: the regular expression '\(\.\)\\1' cannot be used: it uses a backreference \(\\1\).*Fix:/,
    );
    // patterns that backtrack catastrophically elsewhere are accepted: they run in linear time
    assert.doesNotThrow(() =>
      parseConfig(
        JSON.stringify({ jobs: [{ ...JOB, filters: { include: [{ regex: '^(a+)+$' }] } }] }),
        's3ferry.yaml',
      ),
    );
  });

  it('a glob that is not usable', () => {
    const [line, ...rest] = jobProblems({ filters: { exclude: [{ glob: '[z-a].txt' }] } });
    assert.match(String(line), /^jobs\[0\]\.filters\.exclude\[0\]\.glob: invalid glob: /);
    assert.deepEqual(rest, []);
    assert.deepEqual(jobProblems({ filters: { include: [{ glob: 'a/*.mp4' }] } }), [
      "jobs[0].filters.include[0].glob: invalid glob: a name never contains '/' (match the relative path with on: path)",
    ]);
    assert.match(String(jobProblems({ ignore: ['*.tmp', ''] })[0]), /^jobs\[0\]\.ignore\[1\]: /);
  });

  it('a rule with both or neither of regex and glob', () => {
    assert.deepEqual(jobProblems({ filters: { include: [{ regex: 'a', glob: 'b' }, {}] } }), [
      'jobs[0].filters.include[0]: give exactly one of regex or glob',
      'jobs[0].filters.include[1]: give exactly one of regex or glob',
    ]);
  });

  it('unknown options, with the nearest known one', () => {
    assert.deepEqual(problems('jobz: []\n'), ['jobz: unknown option (did you mean jobs?)']);
    assert.deepEqual(jobProblems({ setle: '2s' }), [
      'jobs[0].setle: unknown option (did you mean settle?)',
    ]);
    assert.deepEqual(jobProblems({ destination: { bucket: 'b', colour: 'red' } }), [
      'jobs[0].destination.colour: unknown option (known: bucket, prefix, endpoint, region, forcePathStyle, profile, accessKeyId, secretAccessKey, sessionToken, proxy, noProxy, caBundle, checksumMode, storageClass, sse, kmsKeyId, metadata, tags, cacheControl, contentDisposition, contentEncoding, acl, partSize, multipartThreshold, concurrency, partBuffers, verify, requestTimeout, bwlimit, linkExpiry, publicUrl, retention, legalHold)',
    ]);
  });

  it('values of the wrong type', () => {
    assert.deepEqual(jobProblems({ paused: 'yes' }), [
      'jobs[0].paused: expected a boolean, got a string',
    ]);
    assert.deepEqual(problems('api: {port: "80"}\n'), [
      'api.port: expected a number, got a string',
    ]);
    assert.deepEqual(problems('jobs: {}\n'), ['jobs: expected a list, got a mapping']);
    assert.deepEqual(problems('- a\n'), ['(top level): expected a mapping, got a list']);
    assert.deepEqual(jobProblems({ sources: [3] }), [
      'jobs[0].sources[0]: expected a string or a mapping, got the number 3',
    ]);
    assert.deepEqual(jobProblems({ mode: 'poll' }), [
      'jobs[0].mode: expected one of watch, scan, got "poll"',
    ]);
    assert.deepEqual(problems('jobs:\n  - name: j\n    sources: [/d]\n'), [
      'jobs[0].destination: required',
    ]);
  });

  it('duplicate job names', () => {
    const lines = problems(JSON.stringify({ jobs: [JOB, { ...JOB, name: 'k' }, JOB] }));
    assert.deepEqual(lines, ['jobs[2].name: duplicate job name "j" (also jobs[0])']);
  });

  it('job and destination names of the wrong shape', () => {
    assert.deepEqual(jobProblems({ name: 'my job' }), [
      "jobs[0].name: a job name may contain only letters, digits, '_', '.' and '-'",
    ]);
    const lines = problems(JSON.stringify({ destinations: { 'a b': { bucket: 'b' } } }));
    assert.deepEqual(lines, [
      `destinations["a b"]: a destination name may contain only letters, digits, '_', '.' and '-'`,
    ]);
  });

  it('a destination name that is not defined', () => {
    assert.deepEqual(jobProblems({ destination: 'backups' }), [
      'jobs[0].destination: unknown destination "backups": no destinations: are defined (or write s3://backups)',
    ]);
    assert.deepEqual(
      jobProblems({ destination: 'backup' }, { destinations: { backups: { bucket: 'b' } } }),
      ['jobs[0].destination: unknown destination "backup": destinations: defines backups'],
    );
  });

  it('move without moveTo, and moveTo without move', () => {
    assert.deepEqual(jobProblems({ after: { action: 'move' } }), [
      'jobs[0].after.moveTo: required when action is move',
    ]);
    assert.deepEqual(jobProblems({ after: { moveTo: '/done' } }), [
      'jobs[0].after.moveTo: only used with action: move',
    ]);
  });

  it('a move target where the job would take the files again', () => {
    assert.deepEqual(
      jobProblems({ sources: ['/srv/in'], after: { action: 'move', moveTo: '/srv/in/sent' } }),
      [
        "jobs[0].after.moveTo: must be outside the job's source /srv/in, or moved files would be taken again",
      ],
    );
    const flat = { path: '/srv/in', recursive: false };
    assert.equal(
      parseConfig(
        JSON.stringify({
          jobs: [{ ...JOB, sources: [flat], after: { action: 'move', moveTo: '/srv/in/sent' } }],
        }),
        'x',
      ).jobs[0]?.after.moveTo,
      '/srv/in/sent',
    );
  });

  it('a non-loopback API address without a token', () => {
    assert.deepEqual(problems('api: {host: 0.0.0.0}\n'), [
      'api.token: api.token is required when api.host is not a loopback address (api.host is "0.0.0.0")',
    ]);
    for (const host of ['127.0.0.1', '::1', 'localhost'])
      assert.equal(parseConfig(`api: {host: "${host}"}\n`, 'x').api.host, host);
    assert.equal(parseConfig('api: {host: 10.0.0.5, token: abc}\n', 'x').api.token, 'abc');
  });

  it('never quotes the value of a secret field, even an unquoted number (issue 15, item 10)', () => {
    const lines = problems(`api: {token: 987654321}
events:
  webhook: {url: https://h.example.com/x, headers: {Authorization: 55554444}}
jobs:
  - name: j
    sources: [/d]
    destination: {bucket: b, accessKeyId: AK, secretAccessKey: 123456789, sessionToken: 246813579}
`);
    assert.deepEqual(lines, [
      'api.token: expected a string, got a number',
      'events.webhook.headers.Authorization: expected a string: quote numbers and booleans in YAML',
      'jobs[0].destination.secretAccessKey: expected a string, got a number',
      'jobs[0].destination.sessionToken: expected a string, got a number',
    ]);
    for (const secret of ['987654321', '55554444', '123456789', '246813579'])
      assert.ok(!lines.join('\n').includes(secret), secret);
    // other fields still show the value that is wrong
    assert.deepEqual(jobProblems({ sources: [3] }), [
      'jobs[0].sources[0]: expected a string or a mapping, got the number 3',
    ]);
  });

  it('a PostgreSQL journal whose password is not percent-encoded (issue 15, item 8)', () => {
    for (const password of ['pa#ss', 'pa/ss', 'pa?ss', 'pa@ss', '12/ss'])
      assert.deepEqual(problems(`journal: postgres://s3ferry:${password}@127.0.0.1:7432/db\n`), [
        'journal: the user or password of the PostgreSQL URL holds #, /, ? or @, which end that part of a URL: percent-encode them (# as %23, / as %2F, ? as %3F, @ as %40)',
      ]);
    const encoded = 'postgres://s3ferry:pa%23ss%2F%3F@127.0.0.1:7432/db';
    assert.equal(parseConfig(`journal: ${encoded}\n`, 'x').journal, encoded);
    assert.equal(parseConfig('journal: ./j#1/journal.db\n', 'x').journal, './j#1/journal.db');
  });

  it('invalid key templates', () => {
    for (const key of ['{nope}', '', '/{path}', '../{name}']) {
      const lines = jobProblems({ key });
      assert.equal(lines.length, 1, `${key}: ${lines.join(' | ')}`);
      assert.match(String(lines[0]), /^jobs\[0\]\.key: \S/, key);
    }
    // Valid alone, too long once the destination's prefix precedes it.
    const lines = jobProblems({
      key: `${'k'.repeat(600)}/{name}`,
      destination: { bucket: 'b', prefix: 'p'.repeat(500) },
    });
    assert.match(String(lines[0]), /^jobs\[0\]\.key: .*1024/);
  });

  it('bad durations', () => {
    assert.deepEqual(jobProblems({ settle: '2x' }), [
      'jobs[0].settle: "2x" is not a duration: write it like 30s, 15m, 1h30m, 7d or a number of seconds',
    ]);
    assert.match(
      String(jobProblems({ settle: -1 })[0]),
      /^jobs\[0\]\.settle: "-1" is not a duration/,
    );
    assert.match(
      String(jobProblems({ settle: true })[0]),
      /^jobs\[0\]\.settle: expected a duration/,
    );
    assert.deepEqual(jobProblems({ rescanInterval: '10ms' }), [
      'jobs[0].rescanInterval: 10ms is below the minimum of 1s',
    ]);
    assert.deepEqual(destinationProblems({ linkExpiry: '8d' }), [
      'destinations.d.linkExpiry: 8d is above the maximum of 7d',
    ]);
  });

  it('bad sizes and bounds', () => {
    assert.deepEqual(destinationProblems({ partSize: 'huge' }), [
      'destinations.d.partSize: "huge" is not a size: write it like 8MiB, 16M, 1.5G or a number of bytes',
    ]);
    assert.deepEqual(destinationProblems({ partSize: '4MiB' }), [
      'destinations.d.partSize: 4MiB is below the minimum of 5MiB',
    ]);
    assert.deepEqual(destinationProblems({ partSize: '6GiB' }), [
      'destinations.d.partSize: 6GiB is above the maximum of 5GiB',
    ]);
    assert.deepEqual(destinationProblems({ concurrency: 0 }), [
      'destinations.d.concurrency: must be at least 1',
    ]);
    assert.deepEqual(destinationProblems({ concurrency: 257 }), [
      'destinations.d.concurrency: must be at most 256',
    ]);
    assert.deepEqual(jobProblems({ filters: { minSize: '2M', maxSize: '1M' } }), [
      'jobs[0].filters.maxSize: must not be below minSize',
    ]);
  });

  it('destination combinations and values', () => {
    assert.deepEqual(destinationProblems({ accessKeyId: 'AK' }), [
      'destinations.d.secretAccessKey: required when accessKeyId is set',
    ]);
    assert.deepEqual(destinationProblems({ kmsKeyId: 'k' }), [
      'destinations.d.kmsKeyId: only used with sse: aws:kms',
    ]);
    assert.deepEqual(destinationProblems({ prefix: '/abs' }), [
      "destinations.d.prefix: a prefix must not start with '/'",
    ]);
    assert.deepEqual(destinationProblems({ endpoint: 'localhost:7480' }), [
      'destinations.d.endpoint: expected an http:// or https:// URL',
    ]);
    assert.deepEqual(destinationProblems({ metadata: { year: 2024 } }), [
      'destinations.d.metadata.year: expected a string: quote numbers and booleans in YAML',
    ]);
    assert.deepEqual(destinationProblems({ acl: 'public' }), [
      'destinations.d.acl: expected one of private, public-read, public-read-write, authenticated-read, aws-exec-read, bucket-owner-read, bucket-owner-full-control, got "public"',
    ]);
    assert.deepEqual(
      destinationProblems({ contentDisposition: 'attachment; filename="café.txt"' }),
      [
        'destinations.d.contentDisposition: must be printable ASCII, not empty (HTTP headers carry nothing else)',
      ],
    );
    assert.deepEqual(destinationProblems({ cacheControl: '' }), [
      'destinations.d.cacheControl: must be printable ASCII, not empty (HTTP headers carry nothing else)',
    ]);
    assert.deepEqual(jobProblems({ destination: 's3://' }), [
      `jobs[0].destination: "s3://": bucket: a bucket name may contain only letters, digits, '.', '-' and '_'`,
    ]);
  });

  it('a CA bundle that does not exist, cannot be read, or holds no certificate', () => {
    const dir = mkdtempSync(join(tmpdir(), 's3ferry-ca-'));
    try {
      const missing = join(dir, 'missing.pem');
      assert.deepEqual(destinationProblems({ caBundle: missing }), [
        `destinations.d.caBundle: the CA bundle ${missing} does not exist`,
      ]);
      assert.deepEqual(destinationProblems({ caBundle: dir }), [
        `destinations.d.caBundle: cannot read the CA bundle ${dir} (EISDIR)`,
      ]);
      const text = join(dir, 'not-a-ca.pem');
      writeFileSync(text, 'hello\n');
      assert.deepEqual(jobProblems({ destination: { bucket: 'b', caBundle: text } }), [
        `jobs[0].destination.caBundle: the CA bundle ${text} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('config validation: every problem at once', () => {
  it('reports problems from every part of the file in one error, grouped by job', () => {
    const text = `api: {host: 0.0.0.0}
probeInterval: soon
jobs:
  - name: media
    sources: [/srv/media]
    destination: s3://media
    filters:
      include: [{regex: "("}]
    after: {action: move}
  - name: media
    sources: []
    destination: {bucket: b, partSize: 1M, bogus: 1}
    key: "{nope}"
`;
    const lines = problems(text);
    assert.deepEqual(
      lines.map((l) => l.slice(0, l.indexOf(':'))),
      [
        'api.token',
        'probeInterval',
        'jobs[0].filters.include[0].regex',
        'jobs[0].after.moveTo',
        'jobs[1].sources',
        'jobs[1].destination.partSize',
        'jobs[1].destination.bogus',
        'jobs[1].key',
        'jobs[1].name',
      ],
    );
  });
});

describe('config YAML syntax', () => {
  it('reports each syntax error as FILE:LINE:COL: message', () => {
    assert.deepEqual(problems('jobs:\n  - name: a\n  name: b\n'), [
      's3ferry.yaml:3:1: All mapping items must start at the same column',
    ]);
    const [line] = problems('api: {port: 1\nlog: {}\n');
    assert.match(String(line), /^s3ferry\.yaml:\d+:\d+: \S/);
    assert.deepEqual(problems('journal: a\njournal: b\n'), [
      's3ferry.yaml:2:1: Map keys must be unique',
    ]);
  });

  it('reports an alias to a missing anchor', () => {
    const [line] = problems('journal: *nowhere\n');
    assert.match(String(line), /^s3ferry\.yaml(:\d+:\d+)?: .*nowhere/);
  });
});
