/**
 * The CLI beside `run` with a real agent process: `status`, `queue`, `history`, `events`,
 * `retry`, `pause`/`resume` (one job and all), `link` (a presigned URL fetched with plain fetch,
 * and one that expires), `config check`; then, with the agent stopped, the same views read from
 * the journal, and actions that need the agent refused.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { EventRecord, FileRecord, HistoryRecord } from '../../src/journal/journal-store.js';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { CLI_PATH, cliEnv, type CliResult } from '../support/cli.js';
import {
  createTestBucket,
  makeS3Client,
  rgwServer,
  type S3ServerInfo,
} from '../support/s3-server.js';
import { makeTmpDir, testId } from '../support/tmp.js';

interface Status {
  running?: boolean;
  paused: boolean;
  jobs: { name: string; paused: boolean; health: { healthy: boolean } }[];
  files: Record<string, number>;
}

interface Queue {
  pending: FileRecord[];
  parked: FileRecord[];
}

describe('s3ferry status, queue, history, events, retry, pause, resume, link, config check', () => {
  let info: S3ServerInfo;
  let client: S3Client;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let dir: string;
  let inbox: string;
  let deep: string;
  let yamlPath: string;
  let agent: AgentProcess | undefined;
  const uploaded = randomBytes(150_000);

  /** The agent under test; fails the test when it is not running. */
  const running = (): AgentProcess => {
    assert.ok(agent !== undefined, 'the agent is running');
    return agent;
  };

  /** Runs the real CLI in `cwd` (a directory without s3ferry.yaml unless told otherwise). */
  async function cliIn(cwd: string, args: readonly string[]): Promise<CliResult> {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd,
      env: cliEnv(info),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    const events = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { code, signal, stdout, stderr, events };
  }

  /** The CLI against the running agent's API. */
  const cli = (...args: string[]): Promise<CliResult> =>
    cliIn(tmp.path, [...args, '--api-url', running().url]);

  /** Runs the CLI, checks it succeeded, and parses its single JSON answer. */
  async function cliJson<T>(...args: string[]): Promise<T> {
    const r = await cli(...args, '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as T;
  }

  const objectExists = (key: string): Promise<boolean> =>
    client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key })).then(
      () => true,
      () => false,
    );

  /** A file under the `deep` job whose key ('{path}' under deep/) is over 1,024 bytes. */
  async function deepFile(top: string, name: string): Promise<string> {
    let d = join(deep, top);
    for (let i = 0; i < 5; i += 1) d = join(d, 'd'.repeat(240));
    await mkdir(d, { recursive: true });
    const path = join(d, name);
    await writeFile(path, name);
    return path;
  }

  before(async () => {
    info = await rgwServer();
    client = makeS3Client(info);
    bucket = await createTestBucket(info, 'agent-cli');
    tmp = await makeTmpDir('agent-cli');
    dir = join(tmp.path, 'agent');
    inbox = join(dir, 'inbox');
    deep = join(dir, 'deep');
    yamlPath = join(dir, 's3ferry.yaml');
    await mkdir(inbox, { recursive: true });
    await mkdir(deep, { recursive: true });
    // two jobs, so that `link KEY` must name one; the journal is the default, relative one
    const yaml = `api:
  port: ${await freePort()}
jobs:
  - name: main
    sources: [${JSON.stringify(inbox)}]
    settle: 1s
    destination:
      bucket: ${bucket.name}
      prefix: main
      endpoint: ${info.endpoint}
  - name: deep
    sources: [${JSON.stringify(deep)}]
    settle: 1s
    key: '{path}'
    destination:
      bucket: ${bucket.name}
      prefix: deep
      endpoint: ${info.endpoint}
`;
    agent = await startAgentProcess(dir, yaml, info);
  });

  after(async () => {
    await agent?.stop().catch(() => undefined);
    await bucket.cleanup();
    await tmp.cleanup();
    client.destroy();
  });

  it('status names each job and its health; --json has the file counts', async () => {
    await writeFile(join(inbox, 'a.bin'), uploaded);
    await waitFor('a.bin uploaded', () => objectExists('main/a.bin'));
    await waitFor('a.bin done in the journal', async () => {
      const s = await running().api<Status>('GET', '/api/v1/status');
      return (s.files.done ?? 0) >= 1;
    });

    const human = await cli('status');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^agent: running at http:\/\/127\.0\.0\.1:\d+/m);
    assert.match(human.stdout, /^job main -> s3:\/\/\S+\/main\/ at \S+: healthy$/m);
    assert.match(human.stdout, /^job deep -> s3:\/\/\S+\/deep\/ at \S+: healthy$/m);
    assert.match(human.stdout, /^files: (.*, )?done 1(,|$)/m);

    const s = await cliJson<Status>('status');
    assert.equal(s.paused, false);
    assert.deepEqual(s.jobs.map((j) => [j.name, j.paused, j.health.healthy]).sort(), [
      ['deep', false, true],
      ['main', false, true],
    ]);
    assert.equal(s.files.done, 1);
    for (const n of Object.values(s.files)) assert.equal(typeof n, 'number');

    // no --api-url, no configuration: the agent holding the journal is found through its lock
    const journal = join(dir, '.s3ferry', 'journal.db');
    const found = await cliIn(tmp.path, ['status', '--journal', journal]);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, new RegExp(`^agent: running at ${running().url},`, 'm'));
  });

  it('history lists the upload; --json has its row', async () => {
    const human = await cli('history');
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stdout,
      new RegExp(`Z done .* ${join(inbox, 'a.bin')} -> s3://${bucket.name}/main/a\\.bin$`, 'm'),
    );

    const rows = await cliJson<HistoryRecord[]>('history');
    assert.equal(rows.length, 1);
    const [row] = rows;
    assert.equal(row?.sourcePath, join(inbox, 'a.bin'));
    assert.equal(row.bucket, bucket.name);
    assert.equal(row.key, 'main/a.bin');
    assert.equal(row.size, uploaded.length);
    assert.equal(row.result, 'done');
  });

  it('events --json contains file.done for the upload', async () => {
    const events = await cliJson<EventRecord[]>('events', '--limit', '200');
    const done = events.filter((e) => e.type === 'file.done');
    assert.deepEqual(
      done.map((e) => [e.path, e.key]),
      [[join(inbox, 'a.bin'), 'main/a.bin']],
    );
    assert.ok(events.some((e) => e.type === 'agent.started'));

    const human = await cli('events');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /Z info {2}file\.done {12}.*a\.bin is in s3:\/\//);
  });

  it("history and events filter by --job, --since and --key (the journal's queries)", async () => {
    const main = await cliJson<HistoryRecord[]>('history', '--job', 'main', '--key', 'a.b');
    assert.deepEqual(
      main.map((r) => r.key),
      ['main/a.bin'],
    );
    assert.deepEqual(await cliJson('history', '--job', 'deep'), []);
    assert.equal((await cliJson<HistoryRecord[]>('history', '--since', '1h')).length, 1);
    assert.deepEqual(await cliJson('history', '--since', '2099-01-01'), []);
    assert.deepEqual(await cliJson('history', '--key', 'A.BIN'), [], 'case as given');
    const events = await cliJson<EventRecord[]>(
      'events',
      '--job',
      'main',
      '--key',
      'a.bin',
      '--limit',
      '200',
    );
    assert.ok(events.some((e) => e.type === 'file.done'));
    assert.ok(events.every((e) => e.key?.includes('a.bin') === true));
    assert.deepEqual(await cliJson('events', '--job', 'deep', '--key', 'a.bin'), []);
    const since = Date.now() - 60_000;
    const recent = await cliJson<EventRecord[]>('events', '--since', '1m', '--limit', '500');
    assert.ok(recent.length > 0 && recent.every((e) => e.at >= since - 5_000));
    const bad = await cli('history', '--since', 'yesterday');
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--since "yesterday" is neither a duration nor a time/);
  });

  it('queue shows a parked file with its reason; retry ID releases that one, retry --all every one', async () => {
    const first = await deepFile('one', 'first.txt');
    const second = await deepFile('two', 'second.txt');
    await waitFor('both parked', async () => {
      const q = await running().api<{ total: number }>('GET', '/api/v1/queue?state=parked');
      return q.total === 2;
    });

    const human = await cli('queue');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^parked \(2\):$/m);
    for (const path of [first, second]) {
      const at = human.stdout.indexOf(path);
      assert.ok(at > 0, `${path} is listed:\n${human.stdout}`);
      assert.match(
        human.stdout.slice(at + path.length),
        /^\n {5}ERR_KEY_INVALID: .*S3 keys are at most 1,?024/,
        'the reason follows the path',
      );
    }

    const q = await cliJson<Queue>('queue');
    assert.deepEqual(q.pending, []);
    const byPath = new Map(q.parked.map((f) => [f.path, f]));
    const one = byPath.get(first);
    const two = byPath.get(second);
    assert.ok(one !== undefined && two !== undefined, JSON.stringify(q));
    assert.equal(one.reason?.code, 'ERR_KEY_INVALID');
    assert.match(
      one.reason.hint ?? '',
      new RegExp(`s3ferry retry ${one.id}`),
      'the fix names retry',
    );
    assert.equal(one.job, 'deep');

    // retry ID: only that file goes again; its source is gone, so the agent cancels it
    await rm(join(deep, 'one'), { recursive: true });
    const r1 = await cli('retry', String(one.id));
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r1.stdout, 'released 1 file(s)\n');
    await waitFor('the first file cancelled', async () => {
      const s = await running().api<Status>('GET', '/api/v1/status');
      return s.files.cancelled === 1;
    });
    // a retry that cannot release: a clear error, not "released 0 file(s)"
    const again = await cli('retry', String(one.id));
    assert.equal(again.code, 1, `${again.stdout}${again.stderr}`);
    assert.match(
      again.stderr,
      new RegExp(`file #${one.id} \\(.*first\\.txt\\) is cancelled, not parked or waiting`),
    );
    const unknown = await cli('retry', '999999');
    assert.equal(unknown.code, 2, `${unknown.stdout}${unknown.stderr}`);
    assert.match(
      unknown.stderr,
      /there is no file #999999 in the journal\n {2}fix: .*s3ferry queue/,
    );
    const unknownJson = await cli('retry', '999999', '--json');
    assert.equal(unknownJson.events[0]?.code, 'ERR_FILE_UNKNOWN');
    const after1 = await cliJson<Queue>('queue');
    assert.deepEqual(
      after1.parked.map((f) => [f.id, f.path]),
      [[two.id, second]],
      'the other file stays parked',
    );

    // retry --all: the second file goes again and is parked again for the same reason
    const r2 = await cli('retry', '--all', '--json');
    assert.equal(r2.code, 0, r2.stderr);
    assert.deepEqual(r2.events, [{ released: 1 }]);
    await waitFor('the second file parked a second time', async () => {
      const ev = await running().api<{ items: EventRecord[] }>('GET', '/api/v1/events?limit=500');
      return ev.items.filter((e) => e.type === 'file.parked' && e.path === second).length === 2;
    });
    const after2 = await cliJson<Queue>('queue');
    assert.deepEqual(
      after2.parked.map((f) => f.path),
      [second],
    );
    assert.equal(after2.parked[0]?.reason?.code, 'ERR_KEY_INVALID');
  });

  /** Waits until `name` is queued (settled, not claimed), then a little more: it must stay there. */
  async function assertHeldWhilePaused(name: string, key: string): Promise<void> {
    const path = join(inbox, name);
    await waitFor(`${name} queued`, async () => {
      const q = await running().api<{ items: FileRecord[] }>('GET', '/api/v1/queue?state=pending');
      return q.items.some((f) => f.path === path && f.state === 'queued');
    });
    await sleep(2500);
    assert.equal(await objectExists(key), false, `${name} is not uploaded while paused`);
    const q = await cliJson<Queue>('queue');
    assert.deepEqual(
      q.pending.filter((f) => f.path === path).map((f) => f.state),
      ['queued'],
      'it waits in the queue',
    );
  }

  it('pause JOB holds that job: a file added meanwhile goes only after resume JOB', async () => {
    const p = await cli('pause', 'main');
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /job main paused/);
    const human = await cli('status');
    assert.match(human.stdout, /^job main \(paused\) -> /m);
    assert.match(human.stdout, /^job deep -> /m, 'the other job is not paused');
    assert.doesNotMatch(human.stdout, /PAUSED/);
    const s = await cliJson<Status>('status');
    assert.equal(s.paused, false);
    assert.deepEqual(s.jobs.find((j) => j.name === 'main')?.paused, true);
    assert.deepEqual(s.jobs.find((j) => j.name === 'deep')?.paused, false);

    await writeFile(join(inbox, 'while-job-paused.txt'), 'job paused');
    await assertHeldWhilePaused('while-job-paused.txt', 'main/while-job-paused.txt');

    const r = await cli('resume', 'main');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /job main resumed/);
    await waitFor('uploaded after resume', () => objectExists('main/while-job-paused.txt'));
    const after = await cliJson<Status>('status');
    assert.equal(after.jobs.find((j) => j.name === 'main')?.paused, false);
  });

  it('pause (all) holds every job: a file added meanwhile goes only after resume', async () => {
    const p = await cli('pause');
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /processing paused/);
    const human = await cli('status');
    assert.match(human.stdout, /^agent: running at \S+ \(PAUSED\)/m);
    assert.equal((await cliJson<Status>('status')).paused, true);

    await writeFile(join(inbox, 'while-paused.txt'), 'all paused');
    await assertHeldWhilePaused('while-paused.txt', 'main/while-paused.txt');

    // resuming the job while all processing is paused moves nothing, and says so
    const job = await cli('resume', 'main');
    assert.equal(job.code, 0, job.stderr);
    assert.match(
      job.stdout,
      /^job main resumed\nnote: all processing is paused: no file of job main goes until `s3ferry resume` \(without a job\)/,
    );
    await sleep(1500);
    assert.equal(await objectExists('main/while-paused.txt'), false, 'still held');

    const r = await cli('resume');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /processing resumed/);
    await waitFor('uploaded after resume', () => objectExists('main/while-paused.txt'));
    assert.equal((await cliJson<Status>('status')).paused, false);
    const events = await cliJson<EventRecord[]>('events', '--limit', '500');
    for (const type of ['job.paused', 'job.resumed', 'agent.paused', 'agent.resumed'])
      assert.ok(
        events.some((e) => e.type === type),
        `${type} recorded`,
      );
  });

  it('pause of an unknown job is a usage error naming it', async () => {
    const r = await cli('pause', 'no-such-job');
    assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /no job named no-such-job/);
    const s = await cliJson<Status>('status');
    assert.equal(s.paused, false, 'nothing paused');
    assert.ok(s.jobs.every((j) => !j.paused));
  });

  it('link FILE prints a presigned URL that serves exactly the file', async () => {
    const r = await cli('link', join(inbox, 'a.bin'));
    assert.equal(r.code, 0, r.stderr);
    const url = r.stdout.trim();
    assert.match(url, /^http:\/\/\S+$/);
    assert.ok(!url.includes(info.secretAccessKey), 'the URL carries no secret');
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(uploaded), 'the same bytes');

    const j = await cliJson<{ url: string; key: string; kind: string; expiresAt: string }>(
      'link',
      join(inbox, 'a.bin'),
    );
    assert.equal(j.key, 'main/a.bin');
    assert.equal(j.kind, 'presigned');
    assert.ok(Date.parse(j.expiresAt) > Date.now());
  });

  it('link --expires 1s gives a URL that is refused once it has expired', async () => {
    const r = await cli('link', join(inbox, 'a.bin'), '--expires', '1s');
    assert.equal(r.code, 0, r.stderr);
    const url = new URL(r.stdout.trim());
    assert.equal(url.searchParams.get('X-Amz-Expires'), '1');
    await sleep(3000);
    const res = await fetch(url);
    const body = await res.text();
    assert.equal(res.status, 403, body);
    assert.ok(!body.includes(uploaded.subarray(0, 32).toString('latin1')));
  });

  it('link KEY --job NAME presigns a key of that job; without --job it asks for one', async () => {
    const r = await cli('link', 'main/a.bin', '--job', 'main');
    assert.equal(r.code, 0, r.stderr);
    const res = await fetch(r.stdout.trim());
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(uploaded));

    const ambiguous = await cli('link', 'main/a.bin');
    assert.equal(ambiguous.code, 2, `${ambiguous.stdout}${ambiguous.stderr}`);
    assert.match(ambiguous.stderr, /several jobs are configured: name one \(--job\)/);

    // a key that is not in the store gets no link, but the cause and the fix
    const missing = await cli('link', 'main/never.bin', '--job', 'main');
    assert.equal(missing.code, 1, `${missing.stdout}${missing.stderr}`);
    assert.match(
      missing.stderr,
      new RegExp(
        `there is no object s3://${bucket.name}/main/never\\.bin at .*\\n {2}fix: .*s3ferry history --key`,
      ),
    );
    assert.equal(missing.stdout, '');

    const unknown = await cli('link', join(inbox, 'never-uploaded.bin'));
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, /no finished upload of .*never-uploaded\.bin is recorded/);
  });

  it('config check: a valid file names its jobs; every error of a bad one with its path; --json hides secrets', async () => {
    const ok = await cliIn(tmp.path, ['config', 'check', yamlPath]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /configuration is valid: 2 job\(s\): main, deep/);

    const badPath = join(tmp.path, `${testId('bad')}.yaml`);
    await writeFile(
      badPath,
      (await readFile(yamlPath, 'utf8'))
        .replace(/port: \d+/, 'port: 99999')
        .replace('settle: 1s', 'settle: soon'),
    );
    const bad = await cliIn(tmp.path, ['config', 'check', badPath]);
    assert.equal(bad.code, 2, bad.stdout);
    assert.match(bad.stderr, /\(2 problems\)/);
    assert.match(bad.stderr, /^api\.port: /m);
    assert.match(bad.stderr, /^jobs\[0\]\.settle: /m);

    const secret = `sekret-${randomBytes(12).toString('hex')}`;
    const token = `token-${randomBytes(12).toString('hex')}`;
    const bearer = `bearer-${randomBytes(12).toString('hex')}`;
    const keyed = join(tmp.path, `${testId('keyed')}.yaml`);
    await writeFile(
      keyed,
      (await readFile(yamlPath, 'utf8'))
        .replace(
          '      prefix: main\n',
          `      prefix: main\n      accessKeyId: AKIDEXAMPLE\n      secretAccessKey: ${secret}\n`,
        )
        .replace(
          /^api:\n {2}port: (\d+)\n/,
          `api:\n  port: $1\n  token: ${token}\nevents:\n  webhook:\n    url: http://127.0.0.1:9/hook\n    headers:\n      authorization: Bearer ${bearer}\n`,
        ),
    );
    const j = await cliIn(tmp.path, ['config', 'check', keyed, '--json']);
    assert.equal(j.code, 0, j.stderr);
    for (const s of [secret, token, bearer]) {
      assert.ok(!j.stdout.includes(s), 'a secret never appears');
      assert.ok(!j.stderr.includes(s), 'a secret never appears');
    }
    const parsed = JSON.parse(j.stdout) as {
      api: { token?: string };
      events: { webhook?: { headers: Record<string, string> } };
      jobs: { name: string; destination: { accessKeyId?: string; secretAccessKey?: string } }[];
    };
    const main = parsed.jobs.find((x) => x.name === 'main');
    assert.equal(main?.destination.accessKeyId, 'AKIDEXAMPLE');
    assert.equal(main.destination.secretAccessKey, '***');
    assert.equal(parsed.api.token, '***');
    assert.deepEqual(parsed.events.webhook?.headers, { authorization: '***' });
  });

  it('with the agent stopped: status, history and queue read the journal; pause, resume and link work on it; what needs the agent says so', async () => {
    const stopped = running();
    assert.equal(await stopped.stop(), 0, stopped.log());
    agent = undefined;
    const dead = `http://127.0.0.1:${await freePort()}`;
    const journal = join(dir, '.s3ferry', 'journal.db');

    // --journal, from anywhere
    const s = await cliIn(tmp.path, ['status', '--journal', journal, '--api-url', dead]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^agent: not running \(journal .*journal\.db\)$/m);
    assert.match(s.stdout, /^files: (.*, )?done 3(,|$)/m);
    const sj = await cliIn(tmp.path, ['status', '--journal', journal, '--api-url', dead, '--json']);
    assert.equal(sj.code, 0, sj.stderr);
    const sv = JSON.parse(sj.stdout) as Status;
    assert.equal(sv.running, false);
    assert.equal(sv.files.done, 3);
    assert.equal(sv.files.parked, 1);
    assert.equal(sv.files.cancelled, 1);

    // --config: the journal the configuration names (relative: to the directory the agent ran in)
    const h = await cliIn(dir, ['history', '--config', yamlPath, '--api-url', dead, '--json']);
    assert.equal(h.code, 0, h.stderr);
    const rows = JSON.parse(h.stdout) as HistoryRecord[];
    assert.deepEqual(rows.map((r) => r.key).sort(), [
      'main/a.bin',
      'main/while-job-paused.txt',
      'main/while-paused.txt',
    ]);
    const hh = await cliIn(dir, ['history', '--config', yamlPath, '--api-url', dead]);
    assert.equal(hh.code, 0, hh.stderr);
    assert.match(hh.stdout, new RegExp(`-> s3://${bucket.name}/main/a\\.bin$`, 'm'));

    const q = await cliIn(tmp.path, ['queue', '--journal', journal, '--api-url', dead]);
    assert.equal(q.code, 0, q.stderr);
    assert.match(q.stdout, /^parked \(1\):$/m);
    assert.match(q.stdout, /second\.txt\n {5}ERR_KEY_INVALID: /);
    const qj = await cliIn(dir, ['queue', '--config', yamlPath, '--api-url', dead, '--json']);
    assert.equal(qj.code, 0, qj.stderr);
    const qv = JSON.parse(qj.stdout) as Queue;
    assert.equal(qv.parked.length, 1);
    assert.equal(qv.parked[0]?.reason?.code, 'ERR_KEY_INVALID');

    // pause and resume work on the journal (the switch lives there), and say so
    const p = await cliIn(dir, ['pause', 'main', '--config', yamlPath, '--api-url', dead]);
    assert.equal(p.code, 0, `${p.stdout}${p.stderr}`);
    assert.match(
      p.stdout,
      /^job main paused \(files keep being queued\) in the journal .*journal\.db \(no agent answers/,
    );
    const ps = await cliIn(tmp.path, ['status', '--journal', journal, '--api-url', dead]);
    assert.match(ps.stdout, /^job main \(paused\)$/m);
    assert.match(ps.stdout, /^job deep$/m);
    const all = await cliIn(tmp.path, ['pause', '--journal', journal, '--api-url', dead, '--json']);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual((JSON.parse(all.stdout) as { pauses: unknown }).pauses, {
      all: true,
      jobs: ['main'],
    });
    for (const args of [['resume'], ['resume', 'main']]) {
      const r = await cliIn(tmp.path, [...args, '--journal', journal, '--api-url', dead]);
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    }
    const unknownJob = await cliIn(tmp.path, [
      'pause',
      'nope',
      '--journal',
      journal,
      '--api-url',
      dead,
    ]);
    assert.equal(unknownJob.code, 2, unknownJob.stdout);
    assert.match(unknownJob.stderr, /no job named nope\n {2}fix: the journal knows deep, main/);

    // link signs with the configuration's destination
    const link = await cliIn(dir, [
      'link',
      'main/a.bin',
      '--job',
      'main',
      '--config',
      yamlPath,
      '--api-url',
      dead,
    ]);
    assert.equal(link.code, 0, link.stderr);
    const res = await fetch(link.stdout.trim());
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(uploaded), 'the same bytes');

    // what needs the agent says so
    for (const args of [
      ['transfers', '--journal', journal, '--api-url', dead],
      ['reload', '--config', yamlPath, '--api-url', dead],
      ['backfill', 'x.txt', '--job', 'main', '--journal', journal, '--api-url', dead],
    ]) {
      const r = await cliIn(dir, args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /no s3ferry agent answers at http:\/\/127\.0\.0\.1:\d+/);
      assert.equal(r.stdout, '');
    }
  });
});
