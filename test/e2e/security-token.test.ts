/**
 * A token by default (issue 15, item 3). At its first start the agent makes a random token and
 * keeps it 0600 in a 0700 directory of its user's state directory; every /api/ route needs it
 * (health checks and /metrics stay open unless api.metricsAuth says otherwise). The CLI of the same
 * user finds it by itself; one given with --token is warned about (it shows in `ps`). Another local
 * user gets nothing. The dashboard opens through a one-time link (`run` prints one, `s3ferry
 * dashboard` another) that sets an HttpOnly, SameSite=Strict cookie and cannot be used twice.
 * `api.auth: none` is refused beyond loopback; a token file that others can read is refused.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  agentYaml,
  freePort,
  startAgentProcess,
  type AgentProcess,
} from '../support/agent-process.js';
import { launchBrowser } from '../support/browser.js';
import { CLI_PATH, cliEnv, runCli } from '../support/cli.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { canSwitchUser, NOBODY } from '../support/torture/agent-as.js';

const ROUTES = ['/api/v1/status', '/api/v1/jobs', '/api/v1/history', '/api/v1/browse?job=inbox'];

const mode = async (path: string): Promise<string> => ((await stat(path)).mode & 0o777).toString(8);

describe('a token by default', () => {
  let info: S3ServerInfo;
  let tmp: { path: string; cleanup(): Promise<void> };
  let bucket: { name: string; cleanup(): Promise<void> };
  let agent: AgentProcess;
  let state: string;
  let tokenFile: string;
  let token: string;
  let inbox: string;

  before(async () => {
    info = await rgwServer();
    tmp = await makeTmpDir('security-token');
    bucket = await createTestBucket(info, 'security-token');
    inbox = join(tmp.path, 'inbox');
    await mkdir(inbox, { recursive: true });
    // a state directory of its own, not there yet: the agent makes it
    state = join(tmp.path, 'home', '.local', 'state');
    tokenFile = join(state, 's3ferry', 'api-token');
    const yaml = agentYaml({
      port: await freePort(),
      inbox,
      bucket: bucket.name,
      endpoint: info.endpoint,
    });
    agent = await startAgentProcess(join(tmp.path, 'agent'), yaml, info, { XDG_STATE_HOME: state });
    token = (await readFile(tokenFile, 'utf8')).trim();
  });
  after(async () => {
    await agent.stop();
    await bucket.cleanup();
    await tmp.cleanup();
  });

  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv =>
    cliEnv(info, { XDG_STATE_HOME: state, ...extra });

  it('makes a random token at the first start, 0600 in a 0700 directory', async () => {
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await mode(join(state, 's3ferry')), '700');
    assert.equal(await mode(tokenFile), '600');
    assert.equal(await agent.token(), token, 'the one the CLI finds');
    assert.ok(!agent.log().includes(token), 'never logged');
  });

  it('requires it on every /api/ route; health checks and /metrics stay open', async () => {
    for (const path of ROUTES) {
      const res = await fetch(`${agent.url}${path}`);
      assert.equal(res.status, 401, path);
      assert.equal(
        ((await res.json()) as { error: { code: string } }).error.code,
        'ERR_UNAUTHORIZED',
      );
      const ok = await fetch(`${agent.url}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(ok.status, 200, path);
      await ok.body?.cancel();
    }
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await fetch(`${agent.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.ok(!(await res.text()).includes(token));
    }
  });

  it('is found by the CLI of the same user; --token is warned about; elsewhere it is refused', async () => {
    const found = await runCli(['status', '--api-url', agent.url, '--json'], env());
    assert.equal(found.code, 0, found.stderr);
    assert.equal(found.stderr, '');
    const flag = await runCli(['status', '--api-url', agent.url, '--token', token], env());
    assert.equal(flag.code, 0, flag.stderr);
    assert.match(
      flag.stderr,
      /warning: --token shows in the process list \(ps\).*S3FERRY_API_TOKEN/,
    );
    const fromEnv = await runCli(
      ['status', '--api-url', agent.url],
      env({ S3FERRY_API_TOKEN: token, XDG_STATE_HOME: join(tmp.path, 'empty') }),
    );
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    const none = await runCli(
      ['status', '--api-url', agent.url],
      env({ XDG_STATE_HOME: join(tmp.path, 'empty') }),
    );
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /the API token is required/);
    assert.match(
      none.stderr,
      /fix: the CLI sent the token from nothing \(no .*empty\/s3ferry\/api-token\)/,
    );
  });

  it('keeps the token across restarts', async () => {
    const dir = join(tmp.path, 'second');
    const second = await startAgentProcess(
      dir,
      agentYaml({
        port: await freePort(),
        inbox: join(dir, 'in'),
        bucket: bucket.name,
        endpoint: info.endpoint,
      }),
      info,
      { XDG_STATE_HOME: state },
    );
    try {
      assert.equal(await second.token(), token, 'an agent of the same user reads the same file');
      assert.doesNotMatch(second.log(), /API token made in/);
    } finally {
      await second.stop();
    }
    assert.match(agent.log(), /API token made in .*api-token/);
  });

  it('gives another local user nothing', { skip: !canSwitchUser() && 'needs root' }, async () => {
    const script = `fetch(${JSON.stringify(`${agent.url}/api/v1/browse?job=inbox`)}).then(async (r) => {
      process.stdout.write(String(r.status));
      require('fs').readFileSync(${JSON.stringify(tokenFile)});
    }).catch((e) => { process.stdout.write(' ' + (e.code ?? e.message)); });`;
    const child = spawn(process.execPath, ['-e', script], {
      uid: NOBODY.uid,
      gid: NOBODY.gid,
      cwd: '/',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await once(child, 'close');
    assert.equal(out, '401 EACCES', 'refused by the API, and the token file is unreadable');
    const home = join(tmp.path, 'nobody');
    await mkdir(home, { recursive: true, mode: 0o777 });
    await chmod(home, 0o777);
    const cli = spawn(process.execPath, [CLI_PATH, 'status', '--api-url', agent.url], {
      uid: NOBODY.uid,
      gid: NOBODY.gid,
      cwd: home,
      env: cliEnv(info, { HOME: home, XDG_STATE_HOME: join(home, '.state') }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    cli.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const [code] = (await once(cli, 'close')) as [number];
    assert.equal(code, 2, stderr);
    assert.match(stderr, /the API token is required/);
  });

  it('opens the dashboard through one-time links that set an HttpOnly, SameSite=Strict cookie', async () => {
    const printed =
      /s3ferry: dashboard: (http:\/\/127\.0\.0\.1:\d+\/login\?code=[\w-]+)\n {2}a one-time link, good for 15 minutes/.exec(
        agent.log(),
      )?.[1];
    assert.ok(printed !== undefined, `run printed the link:\n${agent.log()}`);
    const browser = await launchBrowser('security-token');
    try {
      const page = await browser.open(printed);
      await page.locator('#conn[data-state="live"]').waitFor();
      assert.equal(page.url(), `${agent.url}/`, 'the code is gone from the address bar');
      const cookies = await page.context().cookies(`${agent.url}/`);
      const [cookie] = cookies;
      assert.ok(cookie !== undefined && cookies.length === 1, JSON.stringify(cookies));
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Strict');
      assert.ok(cookie.value !== token, 'the cookie is not the token');
      assert.equal(
        await page.evaluate(
          () => (globalThis as unknown as { document: { cookie: string } }).document.cookie,
        ),
        '',
      );
      await browser.screenshot(page, 'opened-by-link');

      // the same link again, in a browser without the cookie: spent
      const again = await browser.open(printed);
      assert.match(await again.locator('body').innerText(), /used already or has expired/);
      assert.deepEqual(await again.context().cookies(`${agent.url}/`), []);
      // without any link: the dashboard asks for the token
      const bare = await browser.open(`${agent.url}/`);
      await bare.getByRole('dialog', { name: 'API token required' }).waitFor();
      assert.match(await bare.locator('#token-why').innerText(), /s3ferry dashboard/);

      // `s3ferry dashboard` prints a new one
      const cli = await runCli(['dashboard', '--api-url', agent.url], env());
      assert.equal(cli.code, 0, cli.stderr);
      const link = cli.stdout.split('\n')[0] ?? '';
      assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/login\?code=[\w-]{43}$/);
      const fresh = await browser.open(`${link}#/history`);
      await fresh.locator('#conn[data-state="live"]').waitFor();
      assert.equal(fresh.url(), `${agent.url}/#/history`);
      const unexpected = browser
        .errors()
        .filter((e) => !/status of 401/.test(e) && !/EventSource/.test(e));
      assert.deepEqual(unexpected, []);
    } finally {
      await browser.close();
    }
  });

  it('protects /metrics too with api.metricsAuth: token', async () => {
    const dir = join(tmp.path, 'metrics');
    const yaml = agentYaml({
      port: await freePort(),
      inbox: join(dir, 'in'),
      bucket: bucket.name,
      endpoint: info.endpoint,
    }).replace(/^api:\n/, 'api:\n  metricsAuth: token\n');
    const guarded = await startAgentProcess(dir, yaml, info, { XDG_STATE_HOME: state });
    try {
      assert.equal((await fetch(`${guarded.url}/metrics`)).status, 401);
      const ok = await fetch(`${guarded.url}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /s3ferry_files/);
      assert.equal((await fetch(`${guarded.url}/healthz`)).status, 200);
    } finally {
      await guarded.stop();
    }
  });

  it('takes api.auth: none on loopback only', async () => {
    const dir = join(tmp.path, 'open');
    const port = await freePort();
    const base = agentYaml({
      port,
      inbox: join(dir, 'in'),
      bucket: bucket.name,
      endpoint: info.endpoint,
    });
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'wide.yaml'),
      base.replace(
        /^api:\n/,
        'api:\n  host: 0.0.0.0\n  token: a-token-of-sixteen-chars\n  auth: none\n',
      ),
    );
    const refused = await runCli(['run', '--config', join(dir, 'wide.yaml')], env());
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /api\.auth: api\.auth: none is allowed only on a loopback address \(api\.host is "0\.0\.0\.0"\): remove it, or bind 127\.0\.0\.1/,
    );
    const open = await startAgentProcess(
      dir,
      base.replace(/^api:\n/, 'api:\n  auth: none\n'),
      info,
      {
        XDG_STATE_HOME: join(tmp.path, 'no-token-state'),
      },
    );
    try {
      assert.equal(await open.token(), undefined);
      assert.equal((await fetch(`${open.url}/api/v1/status`)).status, 200);
      assert.match(open.log(), /s3ferry: dashboard: http:\/\/127\.0\.0\.1:\d+\/ \(api\.auth: none/);
    } finally {
      await open.stop();
    }
  });

  it('refuses a token file that other users can read, naming it and the fix', async () => {
    const shared = join(tmp.path, 'loose');
    await mkdir(join(shared, 's3ferry'), { recursive: true });
    const file = join(shared, 's3ferry', 'api-token');
    await writeFile(file, 'a-token-somebody-else-may-have-read\n');
    await chmod(file, 0o644);
    const dir = join(tmp.path, 'loose-agent');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 's3ferry.yaml'),
      agentYaml({
        port: await freePort(),
        inbox: join(dir, 'in'),
        bucket: bucket.name,
        endpoint: info.endpoint,
      }),
    );
    const res = await runCli(
      ['run', '--config', join(dir, 's3ferry.yaml')],
      env({ XDG_STATE_HOME: shared }),
    );
    assert.equal(res.code, 2, res.stderr);
    assert.match(
      res.stderr,
      new RegExp(`the API token file ${file} can be read or written by other users \\(mode 644\\)`),
    );
    assert.match(res.stderr, /fix: chmod 600 .*; else delete it/);
  });
});
