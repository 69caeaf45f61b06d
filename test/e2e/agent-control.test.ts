/**
 * The control service through the real CLI and API of real agents (issue 17, "Broken" items 6, 7,
 * 8, 10 and the agent commands):
 * - a missing source directory shows on its job (status, /api/v1/jobs) with the cause and a fix
 *   naming its configuration path, and is taken as soon as it appears (probe interval), not at the
 *   next rescan an hour away;
 * - a changed file under an existing key (overwrite: never) is skipped and shown:
 *   `queue --skipped`, /api/v1/queue?state=skipped;
 * - `transfers` (once, --watch), `backfill PATH|GLOB --job J`, `reload` (and a broken file refused);
 * - an agent whose every destination is unhealthy: `status` exits 3 and /readyz answers 503 with
 *   the causes, and each fix names the setting of s3ferry.yaml, not an option of the one-shot CLI.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { FileRecord } from '../../src/journal/journal-store.js';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { CLI_PATH, cliEnv, type CliResult } from '../support/cli.js';
import { S3Fixture } from '../support/s3-fixture.js';
import { testId } from '../support/tmp.js';

interface JobAnswer {
  name: string;
  sources: { path: string; problem?: { kind: string; cause: string; hint: string } }[];
}

describe('agent commands, source problems and skipped files', () => {
  const fx = S3Fixture.use('agent-control');
  let dir: string;
  let yamlPath: string;
  let yaml: string;
  let agent: AgentProcess;
  const d = (name: string): string => join(fx.tmp.path, name);

  /** The real CLI, run in the tmp dir (no s3ferry.yaml there) with the agent's configuration. */
  async function cli(...args: string[]): Promise<CliResult> {
    const child = spawn(process.execPath, [CLI_PATH, ...args, '--config', yamlPath], {
      cwd: fx.tmp.path,
      env: cliEnv(fx.info),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    return { code, signal, stdout, stderr, events: [] };
  }

  const exists = (key: string): Promise<boolean> =>
    fx.client.send(new HeadObjectCommand({ Bucket: fx.bucket.name, Key: key })).then(
      () => true,
      () => false,
    );

  before(async () => {
    dir = d('agent');
    yamlPath = join(dir, 's3ferry.yaml');
    for (const name of ['inbox', 'slow', 'archive/sub']) await mkdir(d(name), { recursive: true });
    const dest = (prefix: string, extra = '') =>
      `{ bucket: ${fx.bucket.name}, prefix: ${prefix}, endpoint: ${fx.info.endpoint}${extra} }`;
    yaml = `api:
  port: ${await freePort()}
probeInterval: 1s
jobs:
  - name: main
    sources: [${JSON.stringify(d('inbox'))}]
    settle: 500ms
    destination: ${dest('main')}
  - name: later
    sources: [${JSON.stringify(d('not-yet'))}]
    settle: 500ms
    rescanInterval: 1h
    destination: ${dest('later')}
  - name: slow
    sources: [${JSON.stringify(d('slow'))}]
    settle: 500ms
    destination: ${dest('slow', ', bwlimit: 1MiB, partSize: 5MiB, multipartThreshold: 5MiB')}
  - name: archive
    sources: [${JSON.stringify(d('archive'))}]
    mode: scan
    rescanInterval: 1h
    settle: 500ms
    destination: ${dest('archive')}
`;
    agent = await startAgentProcess(dir, yaml, fx.info);
  });

  after(async () => {
    await agent.stop();
  });

  it('a missing source directory shows on its job with the cause and the fix, and is taken as soon as it appears', async () => {
    const missing = d('not-yet');
    const human = await cli('status');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^job later -> s3:\/\/\S+\/later\/ at \S+: healthy$/m);
    const at = human.stdout.indexOf('job later ');
    assert.match(
      human.stdout.slice(at),
      new RegExp(
        `^job later .*\\n  SOURCE PROBLEM: source directory ${missing} does not exist; it is checked again every 1s and taken as soon as it is there\\n  fix: create ${missing}, or correct jobs\\[1\\]\\.sources\\[0\\] in the configuration`,
      ),
    );
    const jobs = await agent.api<{ items: JobAnswer[] }>('GET', '/api/v1/jobs');
    const later = jobs.items.find((j) => j.name === 'later');
    assert.equal(later?.sources[0]?.problem?.kind, 'missing');
    assert.match(later.sources[0].problem.hint, /jobs\[1\]\.sources\[0\]/);
    assert.equal(jobs.items.find((j) => j.name === 'main')?.sources[0]?.problem, undefined);

    // the rescan is an hour away: only the re-check at the probe interval can find it
    await mkdir(missing);
    await writeFile(join(missing, 'arrived.txt'), 'the directory exists now\n');
    await waitFor('arrived.txt uploaded', () => exists('later/arrived.txt'), 30_000);
    const again = await cli('status', '--json');
    const s = JSON.parse(again.stdout) as { jobs: JobAnswer[] };
    assert.deepEqual(
      s.jobs.find((j) => j.name === 'later')?.sources,
      [{ path: missing, recursive: true }],
      'no problem any more',
    );
  });

  it('a changed file under an existing key (overwrite: never) is skipped, and shown with its reason', async () => {
    const file = join(d('inbox'), 'same-key.txt');
    await writeFile(file, 'the first version\n');
    await waitFor('the first version uploaded', () => exists('main/same-key.txt'));
    await writeFile(file, 'a second, longer version\n');
    const skipped = await waitFor('the second version skipped', async () => {
      const q = await agent.api<{ items: FileRecord[]; total: number }>(
        'GET',
        '/api/v1/queue?state=skipped',
      );
      return q.items.find((f) => f.path === file);
    });
    assert.equal(skipped.reason?.code, 'exists');

    const human = await cli('queue', '--skipped');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^skipped \(1\):$/m);
    assert.match(human.stdout, new RegExp(`^  #${skipped.id} ${file}.*\\n {5}exists: `, 'm'));
    const json = await cli('queue', '--skipped', '--json');
    const q = JSON.parse(json.stdout) as { skipped: FileRecord[]; totals: { skipped: number } };
    assert.deepEqual(
      q.skipped.map((f) => [f.path, f.reason?.code]),
      [[file, 'exists']],
    );
    assert.equal(q.totals.skipped, 1);
  });

  it('transfers shows the running upload, once and with --watch', async () => {
    const big = join(d('slow'), 'big.bin');
    // 4 parts at 1 MiB/s: the first goes at once, each next one 5 s later
    await writeFile(big, randomBytes(20 * 1024 * 1024));
    const once1 = await waitFor('the upload in transfers', async () => {
      const r = await cli('transfers', '--json');
      assert.equal(r.code, 0, r.stderr);
      const items = JSON.parse(r.stdout) as { path: string; size: number; bytesDone: number }[];
      return items.find((t) => t.path === big);
    });
    assert.equal(once1.size, 20 * 1024 * 1024);
    const human = await cli('transfers');
    assert.match(
      human.stdout,
      /^1 upload\(s\) running:\n +\d+% .* slow: .*big\.bin -> slow\/big\.bin$/m,
    );

    const watch = spawn(
      process.execPath,
      [CLI_PATH, 'transfers', '--watch', '--json', '--interval', '300ms', '--config', yamlPath],
      { cwd: fx.tmp.path, env: cliEnv(fx.info), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let lines = '';
    watch.stdout.setEncoding('utf8').on('data', (s: string) => (lines += s));
    await waitFor('two views', () => Promise.resolve(lines.split('\n').length > 2));
    watch.kill('SIGINT');
    const [code] = (await once(watch, 'close')) as [number | null];
    assert.equal(code, 0, 'Ctrl-C ends the watch quietly');
    const views = lines
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { items: unknown[] });
    assert.ok(views.length >= 2 && views.every((v) => Array.isArray(v.items)));
    await waitFor('big.bin uploaded', () => exists('slow/big.bin'));
  });

  it('backfill queues old files of a scan job by path and by glob', async () => {
    // written after the start-up scan: the next rescan is an hour away
    const old = join(d('archive'), 'old.txt');
    await writeFile(old, 'an old file\n');
    await writeFile(join(d('archive'), 'sub', 'a.log'), 'a log\n');
    await writeFile(join(d('archive'), 'sub', 'b.txt'), 'not a log\n');
    const byPath = await cli('backfill', old, '--job', 'archive');
    assert.equal(byPath.code, 0, byPath.stderr);
    assert.match(byPath.stdout, new RegExp(`^queued 1 file\\(s\\)\\n  #\\d+ ${old}$`, 'm'));
    const byGlob = await cli('backfill', '**/*.log', '--job', 'archive', '--json');
    assert.equal(byGlob.code, 0, byGlob.stderr);
    const r = JSON.parse(byGlob.stdout) as { queued: { path: string }[] };
    assert.deepEqual(
      r.queued.map((q) => q.path),
      [join(d('archive'), 'sub', 'a.log')],
    );
    await waitFor(
      'both uploaded',
      async () => (await exists('archive/old.txt')) && (await exists('archive/sub/a.log')),
    );
    assert.equal(await exists('archive/sub/b.txt'), false, 'only what was asked for');
    const unknown = await cli('backfill', old, '--job', 'nope');
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /no job named nope/);
  });

  it('reload applies a changed configuration; a broken one is refused with its errors and the running one stays', async () => {
    await mkdir(d('extra'));
    const extra = `${yaml}  - name: extra
    sources: [${JSON.stringify(d('extra'))}]
    settle: 500ms
    destination: { bucket: ${fx.bucket.name}, prefix: extra, endpoint: ${fx.info.endpoint} }
`;
    await writeFile(yamlPath, extra);
    const r = await cli('reload');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'configuration reloaded\n');
    const s = JSON.parse((await cli('status', '--json')).stdout) as { jobs: { name: string }[] };
    assert.ok(s.jobs.some((j) => j.name === 'extra'));

    await writeFile(yamlPath, extra.replace('settle: 500ms', 'settle: soon'));
    const bad = await cli('reload', '--api-url', agent.url);
    assert.equal(bad.code, 2, `${bad.stdout}${bad.stderr}`);
    assert.match(bad.stderr, /settle/);
    await writeFile(join(d('extra'), 'x.txt'), 'still served\n');
    await waitFor('the running configuration still serves', () => exists('extra/x.txt'));
    assert.equal(await readFile(yamlPath, 'utf8').then((t) => t.includes('soon')), true);
  });
});

describe('an agent whose every destination is unhealthy', () => {
  const fx = S3Fixture.use('agent-unhealthy');
  let agent: AgentProcess;
  let yamlPath: string;
  const bucket = testId('missing-bucket');

  before(async () => {
    const dir = join(fx.tmp.path, 'agent');
    yamlPath = join(dir, 's3ferry.yaml');
    await mkdir(join(fx.tmp.path, 'in'), { recursive: true });
    const source = JSON.stringify(join(fx.tmp.path, 'in'));
    agent = await startAgentProcess(
      dir,
      `api:
  port: ${await freePort()}
probeInterval: 1s
destinations:
  nowhere: { bucket: ${bucket}, endpoint: ${fx.info.endpoint} }
jobs:
  - name: lost
    sources: [${source}]
    destination: nowhere
  - name: dead
    sources: [${source}]
    destination: { bucket: ${fx.bucket.name}, endpoint: http://127.0.0.1:${await freePort()} }
  - name: forged
    sources: [${source}]
    destination:
      bucket: ${fx.bucket.name}
      endpoint: ${fx.info.endpoint}
      accessKeyId: ${fx.info.accessKeyId}
      secretAccessKey: not-the-secret
`,
      fx.info,
    );
  });

  after(async () => {
    await agent.stop();
  });

  it('status exits 3 with each cause and a fix naming the setting of s3ferry.yaml; /readyz answers 503', async () => {
    const run = spawn(process.execPath, [CLI_PATH, 'status', '--config', yamlPath], {
      cwd: fx.tmp.path,
      env: cliEnv(fx.info),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    run.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    const [code] = (await once(run, 'close')) as [number | null];
    assert.equal(code, 3, out);
    assert.match(out, new RegExp(`UNHEALTHY: the bucket "${bucket}" does not exist`));
    assert.match(out, /fix: create the bucket, or correct destinations\.nowhere\.bucket$/m);
    assert.match(out, /fix: check the endpoint URL \(jobs\[1\]\.destination\.endpoint\)/);
    assert.match(
      out,
      /fix: check the secret access key \(jobs\[2\]\.destination\.secretAccessKey\)/,
    );
    assert.match(out, /^every destination is unhealthy: no file can be uploaded/m);
    assert.doesNotMatch(out, /--to s3:|--endpoint-url|AWS_SECRET_ACCESS_KEY/);

    const ready = await fetch(`${agent.url}/readyz`);
    assert.equal(ready.status, 503);
    const body = (await ready.json()) as {
      ready: boolean;
      causes: { destination: string; code: string; hint: string }[];
    };
    assert.equal(body.ready, false);
    assert.deepEqual(body.causes.map((c) => c.code).sort(), [
      'ERR_S3_ENDPOINT_UNREACHABLE',
      'ERR_S3_NO_SUCH_BUCKET',
      'ERR_S3_SIGNATURE_MISMATCH',
    ]);
    assert.equal((await fetch(`${agent.url}/healthz`)).status, 200, 'the process lives');
  });
});
