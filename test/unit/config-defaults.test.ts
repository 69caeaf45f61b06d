/** s3ferry.yaml: defaults, value formats and normalisation (config/schema.ts via parseConfig). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentConfig, JobConfig } from '../../src/config/agent-config.js';
import { parseConfig } from '../../src/config/load.js';

const MIB = 1024 ** 2;

/** Parses a document given as a plain object (JSON is YAML). */
function parse(doc: unknown): AgentConfig {
  return parseConfig(JSON.stringify(doc), 's3ferry.yaml');
}

function onlyJob(config: AgentConfig): JobConfig {
  const job = config.jobs[0];
  assert.ok(job !== undefined);
  return job;
}

const MINIMAL = `jobs:
  - name: inbox
    sources: [/data/inbox]
    destination: {bucket: uploads}
`;

describe('config defaults', () => {
  it('fills every default around a minimal job', () => {
    const expected: AgentConfig = {
      journal: './.s3ferry/journal.db',
      api: { host: '127.0.0.1', port: 7317, auth: 'token', allowedHosts: [], metricsAuth: 'none' },
      log: { level: 'info', format: 'auto' },
      events: { retention: 10_000 },
      probeInterval: 30_000,
      lease: 30_000,
      jobs: [
        {
          name: 'inbox',
          sources: [{ path: '/data/inbox', recursive: true }],
          mode: 'watch',
          rescanInterval: 3_600_000,
          symlinks: 'inside',
          destination: {
            bucket: 'uploads',
            prefix: '',
            noProxy: [],
            checksumMode: 'auto',
            metadata: {},
            tags: {},
            legalHold: false,
            partSize: 8 * MIB,
            multipartThreshold: 8 * MIB,
            concurrency: 16,
            partBuffers: 6,
            verify: 'etag',
            requestTimeout: 120_000,
            linkExpiry: 3_600_000,
          },
          key: '{path}',
          settle: 2000,
          ignore: ['*.tmp', '*.part', '.~*', '.*'],
          filters: { include: [], exclude: [] },
          overwrite: 'never',
          dedupe: { enabled: false, by: 'sha256', action: 'skip' },
          after: { action: 'keep' },
          resume: true,
          paused: false,
        },
      ],
    };
    assert.deepStrictEqual(parseConfig(MINIMAL, 's3ferry.yaml'), expected);
  });

  it('accepts an empty file (no jobs) and a file of comments', () => {
    for (const text of ['', '# nothing yet\n']) {
      const config = parseConfig(text, 's3ferry.yaml');
      assert.deepEqual(config.jobs, []);
      assert.equal(config.journal, './.s3ferry/journal.db');
      assert.equal(config.api.port, 7317);
    }
  });

  it('leaves unset optional options absent, not undefined', () => {
    const job = onlyJob(parseConfig(MINIMAL, 's3ferry.yaml'));
    for (const key of ['markerSuffix', 'retryTimeout'])
      assert.equal(Object.hasOwn(job, key), false, key);
    for (const key of ['endpoint', 'region', 'profile', 'secretAccessKey', 'bwlimit'])
      assert.equal(Object.hasOwn(job.destination, key), false, key);
  });

  it('deep-freezes the result', () => {
    const config = parseConfig(MINIMAL, 's3ferry.yaml');
    const job = onlyJob(config);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.api));
    assert.ok(Object.isFrozen(config.jobs));
    assert.ok(Object.isFrozen(job.destination.metadata));
    assert.ok(Object.isFrozen(job.ignore));
    assert.throws(() => {
      (config.api as { port: number }).port = 1;
    }, TypeError);
    // The default ignore list is not shared: a second parse is unaffected by the first freeze.
    assert.deepEqual(onlyJob(parseConfig(MINIMAL, 'again.yaml')).ignore, job.ignore);
  });
});

describe('config value formats', () => {
  const withJob = (job: Record<string, unknown>): JobConfig =>
    onlyJob(
      parse({ jobs: [{ name: 'j', sources: ['/d'], destination: { bucket: 'b' }, ...job }] }),
    );

  it('reads durations as text or seconds, into ms', () => {
    assert.equal(withJob({ settle: '1h30m' }).settle, 5_400_000);
    assert.equal(withJob({ settle: '500ms' }).settle, 500);
    assert.equal(withJob({ settle: 90 }).settle, 90_000);
    assert.equal(withJob({ settle: 0 }).settle, 0);
    assert.equal(withJob({ retryTimeout: '2d' }).retryTimeout, 172_800_000);
    assert.equal(withJob({ filters: { minAge: '10s' } }).filters.minAge, 10_000);
  });

  it('reads sizes as text (binary and decimal) or bytes', () => {
    const dest = (d: Record<string, unknown>) =>
      withJob({ destination: { bucket: 'b', ...d } }).destination;
    assert.equal(dest({ partSize: '16MiB' }).partSize, 16 * MIB);
    assert.equal(dest({ partSize: '16M' }).partSize, 16 * MIB);
    assert.equal(dest({ partSize: '8MB' }).partSize, 8_000_000);
    assert.equal(dest({ partSize: 6 * MIB }).partSize, 6 * MIB);
    assert.equal(dest({ multipartThreshold: 0 }).multipartThreshold, 0);
    // a bandwidth limit is a timetable (docs/bandwidth.md); one rate holds all week
    const rates = (b: unknown) =>
      new Set(dest({ bwlimit: b }).bwlimit?.steps.map((s) => s.bytesPerSec));
    assert.deepEqual(rates('1.5M'), new Set([1.5 * MIB]));
    assert.deepEqual(rates(4096), new Set([4096]));
    assert.deepEqual(rates('off'), new Set([null]));
    assert.equal(withJob({ filters: { maxSize: '2G' } }).filters.maxSize, 2 * 1024 * MIB);
  });

  it('takes a source as a path or as {path, recursive}', () => {
    const job = withJob({ sources: ['/a', { path: '/b', recursive: false }, { path: '/c' }] });
    assert.deepEqual(job.sources, [
      { path: '/a', recursive: true },
      { path: '/b', recursive: false },
      { path: '/c', recursive: true },
    ]);
  });

  it('normalises the prefix to end in / and lower-cases metadata names', () => {
    const d = withJob({
      destination: { bucket: 'b', prefix: 'a/b', metadata: { 'Camera-Model': 'X100' } },
    }).destination;
    assert.equal(d.prefix, 'a/b/');
    assert.deepEqual(d.metadata, { 'camera-model': 'X100' });
    assert.equal(withJob({ destination: { bucket: 'b', prefix: 'x/' } }).destination.prefix, 'x/');
  });

  it('defaults a match rule to the file name', () => {
    const job = withJob({
      filters: { include: [{ glob: '*.mp4' }, { regex: '^a/', on: 'path' }] },
    });
    assert.deepEqual(job.filters.include, [
      { glob: '*.mp4', on: 'name' },
      { regex: '^a/', on: 'path' },
    ]);
  });
});

describe('config YAML features', () => {
  it('resolves anchors, aliases and merge keys', () => {
    const config = parseConfig(
      `jobs:
  - &base
    name: a
    sources: [/a]
    destination: &dest {bucket: shared, prefix: p}
    settle: 5s
  - <<: *base
    name: b
    destination: *dest
`,
      's3ferry.yaml',
    );
    assert.equal(config.jobs[1]?.name, 'b');
    assert.equal(config.jobs[1].settle, 5000);
    assert.deepEqual(config.jobs[1].destination, config.jobs[0]?.destination);
  });
});

describe('config destinations', () => {
  it('takes s3://bucket/prefix with the destination defaults', () => {
    const d = (url: string) =>
      onlyJob(parse({ jobs: [{ name: 'j', sources: ['/d'], destination: url }] })).destination;
    assert.equal(d('s3://media/recordings').bucket, 'media');
    assert.equal(d('s3://media/recordings').prefix, 'recordings/');
    assert.equal(d('s3://media').prefix, '');
    assert.equal(d('s3://media/').prefix, '');
    assert.equal(d('s3://media/a/b/').prefix, 'a/b/');
    assert.equal(d('s3://media').partSize, 8 * MIB);
  });

  it('resolves a named destination for every job that names it', () => {
    const config = parse({
      destinations: { backups: { bucket: 'bk', profile: 'writer', prefix: 'hosts' } },
      jobs: [
        { name: 'a', sources: ['/a'], destination: 'backups' },
        { name: 'b', sources: ['/b'], destination: 'backups', key: '{name}' },
        { name: 'c', sources: ['/c'], destination: { bucket: 'other' } },
      ],
    });
    const [a, b, c] = config.jobs;
    assert.equal(a?.destination.bucket, 'bk');
    assert.equal(a.destination.profile, 'writer');
    assert.equal(a.destination.prefix, 'hosts/');
    assert.equal(a.destination.concurrency, 16);
    assert.deepEqual(b?.destination, a.destination);
    assert.equal(c?.destination.bucket, 'other');
    assert.equal(Object.hasOwn(config, 'destinations'), false);
  });
});
