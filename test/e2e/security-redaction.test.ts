/**
 * Secrets that hide in URLs and numbers never reach output (issue 15, items 8, 9 and 10).
 *
 * - A PostgreSQL journal whose password holds `#`, `/` or `?` (the URL then does not parse, or
 *   parses as another one): `config check` refuses it with the fix (percent-encode), and prints
 *   neither that password nor an encoded one (`--json` redacts by pattern).
 * - A password in an endpoint URL (`http://user:PASSWORD@host`): a real agent with one destination
 *   that works and one whose keys are refused (the error names the endpoint), a webhook, an upload:
 *   the password is in no log line, API answer (status, jobs, destinations, events, history),
 *   webhook body, `s3ferry status` output nor `doctor` output.
 * - An unquoted numeric secret (`secretAccessKey: 123456789012`): neither `config check` nor a
 *   failed reload (its answer, its event, the log, the webhook) quotes it.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { cliEnv, runCli } from '../support/cli.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const PG_PASSWORDS = ['pwA1b2#pwC3d4/pwE5f6?pwG7h8', 'pwJ9k0/pwS8t9?pwL2m3', 'pwN4p5#pwQ6r7'];
const ENDPOINT_PASSWORD = 'EndpointPass-7c1d9e';
const NUMERIC_SECRET = '123456789012';

describe('secrets in URLs and numbers', () => {
  let info: S3ServerInfo;
  let tmp: { path: string; cleanup(): Promise<void> };
  let bucket: { name: string; cleanup(): Promise<void> };

  before(async () => {
    info = await rgwServer();
    tmp = await makeTmpDir('security-redaction');
    bucket = await createTestBucket(info, 'security-redaction');
  });
  after(async () => {
    await bucket.cleanup();
    await tmp.cleanup();
  });

  it('config check refuses a PostgreSQL password with #, / or ? and prints none of it', async () => {
    for (const [i, password] of PG_PASSWORDS.entries()) {
      const file = join(tmp.path, `pg-${i}.yaml`);
      await writeFile(file, `journal: postgres://s3ferry:${password}@127.0.0.1:7432/db\n`);
      for (const json of [false, true]) {
        const res = await runCli(
          ['config', 'check', file, ...(json ? ['--json'] : [])],
          cliEnv(info),
        );
        assert.equal(res.code, 2, `${password}: ${res.stdout}${res.stderr}`);
        const out = res.stdout + res.stderr;
        assert.match(
          out,
          /journal: the user or password of the PostgreSQL URL holds #, \/, \? or @/,
        );
        assert.match(out, /percent-encode them \(# as %23, \/ as %2F, \? as %3F, @ as %40\)/);
        for (const part of password.split(/[#/?]/))
          assert.ok(!out.includes(part), `${part} of ${password} in ${out}`);
      }
      const encoded = join(tmp.path, `pg-${i}-encoded.yaml`);
      await writeFile(
        encoded,
        `journal: postgres://s3ferry:${encodeURIComponent(password)}@127.0.0.1:7432/db\n`,
      );
      const ok = await runCli(['config', 'check', encoded, '--json'], cliEnv(info));
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      const config = JSON.parse(ok.stdout) as { journal: string };
      assert.equal(config.journal, 'postgres://s3ferry:***@127.0.0.1:7432/db');
    }
  });

  describe('a password in an endpoint URL, and a numeric secret', () => {
    let agent: AgentProcess;
    let hook: Server;
    const bodies: string[] = [];
    let dir: string;
    let yaml: string;
    const endpointWithPassword = (): string =>
      info.endpoint.replace('://', `://s3user:${ENDPOINT_PASSWORD}@`);

    before(async () => {
      hook = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (d: string) => (body += d));
        req.on('end', () => {
          bodies.push(body);
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
      dir = join(tmp.path, 'agent');
      const good = join(dir, 'good');
      const refused = join(dir, 'refused');
      await mkdir(good, { recursive: true });
      await mkdir(refused, { recursive: true });
      yaml = `api:
  port: ${await freePort()}
events:
  webhook:
    url: http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook
jobs:
  - name: good
    sources: [${JSON.stringify(good)}]
    settle: 1s
    destination:
      bucket: ${bucket.name}
      prefix: good
      endpoint: ${endpointWithPassword()}
  - name: refused
    sources: [${JSON.stringify(refused)}]
    settle: 1s
    destination:
      bucket: ${bucket.name}
      prefix: refused
      endpoint: ${endpointWithPassword()}
      accessKeyId: AKIDNOTKNOWNHERE
      secretAccessKey: not-the-secret-key
`;
      agent = await startAgentProcess(dir, yaml, info);
      await writeFile(join(good, 'a.txt'), 'uploaded through an endpoint with a password\n');
      await writeFile(join(refused, 'b.txt'), 'waits for a destination whose keys are refused\n');
    });
    after(async () => {
      await agent.stop();
      await new Promise<void>((r) => {
        hook.closeAllConnections();
        hook.close(() => {
          r();
        });
      });
    });

    it('never shows the endpoint password: log, API, webhook, status, doctor', async () => {
      await waitFor('the upload done and the other destination unhealthy', async () => {
        const s = await agent.api<{
          files: Record<string, number>;
          jobs: { name: string; health: { healthy: boolean } }[];
        }>('GET', '/api/v1/status');
        return (
          (s.files.done ?? 0) >= 1 && s.jobs.some((j) => j.name === 'refused' && !j.health.healthy)
        );
      });
      const answers: string[] = [];
      for (const path of [
        '/api/v1/status',
        '/api/v1/jobs',
        '/api/v1/destinations',
        '/api/v1/events?limit=1000',
        '/api/v1/history',
        '/api/v1/queue',
      ])
        answers.push(JSON.stringify(await agent.api('GET', path)));
      const status = JSON.parse(answers[0] ?? '{}') as {
        jobs: { name: string; health: { cause?: string } }[];
      };
      const cause = status.jobs.find((j) => j.name === 'refused')?.health.cause ?? '';
      assert.match(
        cause,
        /not known to http:\/\/s3user:\*\*\*@127\.0\.0\.1:\d+/,
        'the cause names it',
      );
      const history = JSON.parse(answers[4] ?? '{}') as { items: { endpoint: string }[] };
      assert.match(history.items[0]?.endpoint ?? '', /^http:\/\/s3user:\*\*\*@127\.0\.0\.1:\d+$/);
      const cli = await runCli(['status', '--api-url', agent.url], cliEnv(info));
      assert.equal(cli.code, 0, cli.stderr);
      const doctor = await runCli(
        ['doctor', '--to', `s3://${bucket.name}/doctor/`, '--endpoint-url', endpointWithPassword()],
        cliEnv(info, { AWS_ACCESS_KEY_ID: 'AKIDNOTKNOWNHERE' }),
      );
      assert.match(
        doctor.stdout,
        /FAIL {2}bucket +the access key is not known to http:\/\/s3user:\*\*\*@/,
      );
      const places: [string, string][] = [
        ['the log', agent.log()],
        ['API answers', answers.join('\n')],
        ['webhook bodies', bodies.join('\n')],
        ['s3ferry status', cli.stdout + cli.stderr],
        ['doctor', doctor.stdout + doctor.stderr],
      ];
      for (const [where, text] of places)
        assert.ok(!text.includes(ENDPOINT_PASSWORD), `the endpoint password in ${where}`);
    });

    it('never quotes an unquoted numeric secret: config check, a failed reload', async () => {
      const broken = yaml.replace('not-the-secret-key', NUMERIC_SECRET);
      const file = join(tmp.path, 'numeric.yaml');
      await writeFile(file, broken);
      const check = await runCli(['config', 'check', file], cliEnv(info));
      assert.equal(check.code, 2);
      assert.match(
        check.stderr,
        /jobs\[1\]\.destination\.secretAccessKey: expected a string, got a number/,
      );
      await writeFile(join(dir, 's3ferry.yaml'), broken);
      const before = bodies.length;
      const res = await fetch(`${agent.url}/api/v1/config/reload`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${(await agent.token()) ?? ''}`,
        },
      });
      const answer = await res.text();
      assert.equal(res.status, 400, answer);
      await waitFor('the reload-failed event at the webhook', () =>
        Promise.resolve(bodies.slice(before).some((b) => b.includes('config.reload-failed'))),
      );
      const events = JSON.stringify(await agent.api('GET', '/api/v1/events?limit=50'));
      assert.match(events, /config\.reload-failed/);
      for (const [where, text] of [
        ['config check', check.stdout + check.stderr],
        ['the reload answer', answer],
        ['events', events],
        ['webhook bodies', bodies.join('\n')],
        ['the log', agent.log()],
      ] as const)
        assert.ok(!text.includes(NUMERIC_SECRET), `the numeric secret in ${where}`);
      await writeFile(join(dir, 's3ferry.yaml'), yaml);
    });
  });
});
