/**
 * The bench's TLS workloads (`--tls`): which workloads and tools run, the command lines over HTTPS
 * with virtual-hosted names (s3ferry, rclone, curl), rclone's /etc/hosts block, and the report. No
 * server: command lines and text only.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { withBenchBlock, withoutBenchBlock } from '../../bench/lib/hosts-file.js';
import { parseOptions } from '../../bench/lib/options.js';
import { renderReport } from '../../bench/lib/report.js';
import { scriptVars, tlsInfo, type RgwInfo } from '../../bench/lib/rgw.js';
import { tlsHostNames } from '../../bench/lib/tls-runs.js';
import { toolCommand, toolsFor, TOOL_IDS, type RunContext } from '../../bench/lib/tools.js';
import { workloadDir, workloads } from '../../bench/lib/workloads.js';
import { benchResults, verifiedRun } from '../support/bench-results.js';

const W = workloads(16);
const START_RGW_OUTPUT = `S3_ENDPOINT=http://127.0.0.1:7580
S3_ACCESS_KEY=AK
S3_SECRET_KEY=SK
S3_REGION=us-east-1
S3_TLS_ENDPOINT=https://s3.bench.test:7543
S3_CA_BUNDLE=/tmp/s3ferry-bench-rgw.tls/ca.crt
S3_DNS_NAME=s3.bench.test
`;
/** The bench RGW without --tls. */
const PLAIN_RGW: RgwInfo = {
  endpoint: 'http://127.0.0.1:7580',
  accessKeyId: 'AK',
  secretAccessKey: 'SK',
  region: 'us-east-1',
};
const RGW: RgwInfo = {
  ...PLAIN_RGW,
  tls: {
    endpoint: 'https://s3.bench.test:7543',
    dnsName: 's3.bench.test',
    port: 7543,
    caFile: '/tmp/s3ferry-bench-rgw.tls/ca.crt',
  },
};

describe('bench --tls', () => {
  let runDir: string;
  before(async () => {
    runDir = await mkdtemp(join(tmpdir(), 's3ferry-bench-tls-'));
  });
  after(async () => {
    await rm(runDir, { recursive: true, force: true });
  });

  const ctx = (id: 'W2' | 'W2T'): RunContext => ({
    workload: W[id],
    dataDir: '/data',
    runDir,
    bucket: 'bench-w2t-x',
    prefix: 's3ferry-r1-abc/',
    rgw: RGW,
    rcloneRemote: 'rgw',
  });

  it('adds the TLS twin after each small-file workload; the default run has none', () => {
    assert.deepEqual(parseOptions([]).workloads, ['W1', 'W2', 'W3', 'W4']);
    assert.equal(parseOptions([]).tls, false);
    const o = parseOptions(['--tls']);
    assert.deepEqual(o.workloads, ['W1', 'W2', 'W2T', 'W3', 'W3T', 'W4']);
    assert.equal(o.tls, true);
    assert.deepEqual(parseOptions(['--workloads', 'W3', '--tls']).workloads, ['W3', 'W3T']);
    assert.deepEqual(parseOptions(['--workloads', 'W2T']).workloads, ['W2T']);
    assert.equal(parseOptions(['--workloads', 'W2T']).tls, true);
  });

  it("a TLS twin sends its base workload's files, with s3ferry, rclone and curl only", () => {
    assert.equal(workloadDir(W.W2T, '/data'), workloadDir(W.W2, '/data'));
    assert.equal(W.W2T.objects, W.W2.objects);
    assert.match(W.W2T.title, /over HTTPS, virtual-hosted/);
    assert.deepEqual(toolsFor(W.W2T, TOOL_IDS), ['s3ferry', 'rclone', 'rclone-tuned', 'curl']);
    assert.deepEqual(toolsFor(W.W2, TOOL_IDS), [...TOOL_IDS]);
    assert.deepEqual(toolsFor(W.W2T, TOOL_IDS, ['s3ferry', 'curl']), ['s3ferry', 'curl']);
  });

  it('reads the HTTPS side of start-rgw.sh output', () => {
    assert.deepEqual(tlsInfo(scriptVars(START_RGW_OUTPUT)), RGW.tls);
    assert.equal(tlsInfo(scriptVars('S3_ENDPOINT=http://127.0.0.1:7580\n')), undefined);
  });

  it('s3ferry: the https endpoint, virtual-hosted, the CA, its names resolved in-process', async () => {
    const c = await toolCommand('s3ferry', ctx('W2T'));
    const args = c.args.join(' ');
    assert.match(args, /--endpoint-url https:\/\/s3\.bench\.test:7543 --no-force-path-style/);
    assert.match(args, /--ca-bundle \/tmp\/s3ferry-bench-rgw\.tls\/ca\.crt/);
    assert.deepEqual(c.env, { S3FERRY_RESOLVE: 's3.bench.test=127.0.0.1' });
    const plain = await toolCommand('s3ferry', ctx('W2'));
    assert.ok(plain.args.includes('http://127.0.0.1:7580') && plain.env === undefined);
  });

  it('rclone: the TLS remote and --ca-cert, defaults and tuned', async () => {
    for (const tool of ['rclone', 'rclone-tuned'] as const) {
      const c = await toolCommand(tool, ctx('W2T'));
      assert.deepEqual(c.args.slice(0, 3), ['copy', '--ca-cert', RGW.tls?.caFile]);
      assert.equal(c.args.at(-1), 'rgw-tls:bench-w2t-x/s3ferry-r1-abc/');
    }
  });

  it('curl: each PUT to https://BUCKET.s3.bench.test, the CA and the name given to curl', async () => {
    const c = await toolCommand('curl', ctx('W2T'));
    const config = await readFile(c.args.at(-1) ?? '', 'utf8');
    assert.match(config, /^cacert = "\/tmp\/s3ferry-bench-rgw\.tls\/ca\.crt"$/m);
    assert.match(config, /^resolve = "bench-w2t-x\.s3\.bench\.test:7543:127\.0\.0\.1"$/m);
    const urls = config.split('\n').filter((l) => l.startsWith('url = '));
    assert.equal(urls.length, W.W2T.objects);
    assert.match(
      urls[0] ?? '',
      /^url = "https:\/\/bench-w2t-x\.s3\.bench\.test:7543\/s3ferry-r1-abc\/f00000\.bin"$/,
    );
  });

  it('refuses a TLS workload without the RGW over TLS, and a tool that does not run it', async () => {
    await assert.rejects(toolCommand('s3ferry', { ...ctx('W2T'), rgw: PLAIN_RGW }), /--tls/);
    await assert.rejects(toolCommand('aws', ctx('W2T')), /does not run the TLS workload/);
  });

  it("/etc/hosts: the run's names in one marked block, removed whole, nothing else touched", () => {
    const hosts = '127.0.0.1 localhost\n::1 localhost ip6-localhost\n';
    const names = tlsHostNames(RGW, [W.W2, W.W2T, W.W3T], (id) => `bench-${id.toLowerCase()}-s`);
    assert.deepEqual(names, [
      's3.bench.test',
      'bench-w2t-s.s3.bench.test',
      'bench-w3t-s.s3.bench.test',
    ]);
    const added = withBenchBlock(hosts, names);
    assert.ok(added.startsWith(hosts));
    assert.match(added, /^127\.0\.0\.1 bench-w3t-s\.s3\.bench\.test$/m);
    assert.equal(withoutBenchBlock(added), hosts);
    assert.equal(withBenchBlock(added, ['x.s3.bench.test']).match(/BEGIN/g)?.length, 1, 'replaced');
    assert.equal(withoutBenchBlock('no newline at the end'), 'no newline at the end');
    assert.deepEqual(
      tlsHostNames(PLAIN_RGW, [W.W2T], () => 'b'),
      [],
    );
  });

  it('the report has a section per TLS workload and says how it was measured', () => {
    const runs = (['s3ferry', 'rclone-tuned', 'curl'] as const).map((t) =>
      verifiedRun(W.W2T, t, 1),
    );
    const text = renderReport(benchResults([W.W2T], runs));
    assert.match(text, /### W2T: 125 files of 4 KiB, over HTTPS, virtual-hosted/);
    assert.match(text, /W2T and W3T \(`--tls`\)/);
    assert.match(text, /W2T: s3ferry >= 1\.5x the best peer's objects\/s/);
  });
});
