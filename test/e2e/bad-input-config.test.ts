/**
 * Bad configuration (issue 5, item 4): invalid YAML, unknown keys, wrong types, bad regular
 * expressions and globs, bad key templates (including ones that would leave the prefix), a missing
 * file. `s3ferry run` refuses to start with exit code 2 and one line per problem naming where it
 * is and what is wrong; `s3ferry config check` says the same. A running agent given a bad file on
 * reload keeps its configuration, says why, and keeps delivering files.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, startAgentProcess, waitFor } from '../support/agent-process.js';
import { cliEnv, runCli } from '../support/cli.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

interface Case {
  readonly name: string;
  readonly yaml: string;
  /** Every one must appear in stderr. */
  readonly says: readonly RegExp[];
}

const job = (extra: string): string => `jobs:
  - name: a
    sources: [/tmp]
    destination: s3://bucket
${extra}`;

const CASES: readonly Case[] = [
  {
    name: 'invalid YAML',
    yaml: 'jobs:\n  - name: a\n    sources: [/tmp\n    destination: s3://b\n',
    says: [/s3ferry\.yaml is not valid YAML/, /s3ferry\.yaml:4:5: /],
  },
  {
    name: 'a tab where YAML wants spaces',
    yaml: 'jobs:\n\t- name: a\n',
    says: [/not valid YAML/, /s3ferry\.yaml:2:1: /],
  },
  {
    name: 'unknown keys',
    yaml: job('    destinaton: s3://b\n    colour: blue\nloglevel: debug\n'),
    says: [
      /jobs\[0\]\.destinaton: unknown option \(did you mean destination\?\)/,
      /jobs\[0\]\.colour: unknown option/,
      /loglevel: unknown option/,
    ],
  },
  {
    name: 'wrong types',
    yaml: `api:\n  port: "x"\njobs:\n  - name: a\n    sources: /tmp\n    destination: s3://b\n    settle: fast\n    paused: 3\n`,
    says: [
      /api\.port: expected a number, got a string/,
      /jobs\[0\]\.sources: expected a list, got a string/,
      /jobs\[0\]\.settle: "fast" is not a duration/,
      /jobs\[0\]\.paused: expected a boolean, got the number 3/,
    ],
  },
  {
    name: 'a bad regular expression and a bad glob',
    yaml: job(
      '    filters:\n      include: [{ regex: "(unclosed" }]\n      exclude: [{ glob: "[z-a].bin" }]\n',
    ),
    says: [
      /jobs\[0\]\.filters\.include\[0\]\.regex: invalid regular expression: Unterminated group/,
      /jobs\[0\]\.filters\.exclude\[0\]\.glob: .*invalid character class/,
    ],
  },
  {
    name: 'bad key templates',
    yaml: `jobs:
  - name: a
    sources: [/tmp]
    destination: s3://b
    key: '{nme}/{path}'
  - name: b
    sources: [/tmp]
    destination: s3://b
    key: '{mtime}/{name'
  - name: c
    sources: [/tmp]
    destination: s3://b/prefix
    key: '../{name}'
  - name: d
    sources: [/tmp]
    destination: s3://b
    key: '/{path}'
`,
    says: [
      /jobs\[0\]\.key: .*unknown placeholder \{nme\}/,
      /jobs\[1\]\.key: .*/,
      /jobs\[2\]\.key: .*'\.\.'/,
      /jobs\[3\]\.key: .*'\/'/,
    ],
  },
];

describe('bad configuration', () => {
  let tmp: { path: string; cleanup(): Promise<void> };
  before(async () => {
    tmp = await makeTmpDir('bad-config');
  });
  after(async () => {
    await tmp.cleanup();
  });

  for (const c of CASES) {
    it(`${c.name}: run refuses with exit 2 and says where; config check says the same`, async () => {
      const dir = join(tmp.path, c.name.replace(/\W+/g, '-'));
      await mkdir(dir, { recursive: true });
      const file = join(dir, 's3ferry.yaml');
      await writeFile(file, c.yaml);
      const env = cliEnv({ endpoint: '', accessKeyId: 'x', secretAccessKey: 'y', region: 'r' });
      const [run, check] = await Promise.all([
        runCli(['run', '--config', file], env),
        runCli(['config', 'check', file], env),
      ]);
      assert.equal(run.code, 2, `${run.stderr}${run.stdout}`);
      for (const re of c.says) assert.match(run.stderr, re);
      assert.match(run.stderr, /fix: fix .*s3ferry\.yaml, then run `s3ferry config check`/);
      assert.equal(check.code, 2, check.stderr);
      for (const re of c.says) assert.match(check.stderr + check.stdout, re);
    });
  }

  it('a source that is a file: run and config check refuse it; a missing one is a warning', async () => {
    // issue 15, item 15: both used to pass config check without a word
    const dir = join(tmp.path, 'sources');
    await mkdir(dir, { recursive: true });
    const aFile = join(dir, 'not-a-dir.txt');
    await writeFile(aFile, 'a file\n');
    const missing = join(dir, 'mounted-later');
    const env = cliEnv({ endpoint: '', accessKeyId: 'x', secretAccessKey: 'y', region: 'r' });
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      `jobs:\n  - name: a\n    sources: [${JSON.stringify(dir)}, ${JSON.stringify(aFile)}]\n    destination: s3://bucket\n`,
    );
    const [run, check] = await Promise.all([
      runCli(['run', '--config', bad], env),
      runCli(['config', 'check', bad], env),
    ]);
    const line = new RegExp(
      `jobs\\[0\\]\\.sources\\[1\\]: ${aFile.replace(/[.]/g, '\\.')} is a file, not a directory.*fix: give the directory`,
    );
    for (const r of [run, check]) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, line);
    }
    const later = join(dir, 'later.yaml');
    await writeFile(
      later,
      `jobs:\n  - name: a\n    sources: [${JSON.stringify(missing)}]\n    destination: s3://bucket\n`,
    );
    const ok = await runCli(['config', 'check', later], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /configuration is valid/);
    assert.match(
      ok.stderr,
      new RegExp(`warning: jobs\\[0\\]\\.sources\\[0\\]: ${missing} does not exist \\(yet\\)`),
    );
  });

  it('a missing configuration file is named', async () => {
    const env = cliEnv({ endpoint: '', accessKeyId: 'x', secretAccessKey: 'y', region: 'r' });
    const missing = join(tmp.path, 'nope.yaml');
    const run = await runCli(['run', '--config', missing], env);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`configuration file ${missing} not found`));
  });
});

describe('a bad configuration on reload', () => {
  let info: S3ServerInfo;
  let tmp: { path: string; cleanup(): Promise<void> };
  let bucket: { name: string; cleanup(): Promise<void> };
  before(async () => {
    info = await rgwServer();
    tmp = await makeTmpDir('bad-reload');
    bucket = await createTestBucket(info, 'bad-reload');
  });
  after(async () => {
    await bucket.cleanup();
    await tmp.cleanup();
  });

  it('keeps the running configuration, says why, and keeps delivering', async () => {
    const inbox = join(tmp.path, 'inbox');
    await mkdir(inbox);
    const dir = join(tmp.path, 'agent');
    const yaml = `api:
  port: ${await freePort()}
jobs:
  - name: r
    sources: [${JSON.stringify(inbox)}]
    settle: 300ms
    destination:
      bucket: ${bucket.name}
      endpoint: ${info.endpoint}
`;
    const agent = await startAgentProcess(dir, yaml, info);
    try {
      await writeFile(join(dir, 's3ferry.yaml'), `${yaml}    colour: blue\n`);
      const res = await fetch(`${agent.url}/api/v1/config/reload`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${(await agent.token()) ?? ''}`,
        },
      });
      const body = (await res.json()) as { error?: { code?: string; message?: string } };
      assert.equal(res.status, 400);
      assert.equal(body.error?.code, 'ERR_CONFIG_INVALID');
      assert.match(body.error.message ?? '', /jobs\[0\]\.colour: unknown option/);
      await writeFile(join(inbox, 'after-reload.txt'), 'still served\n');
      await waitFor('the file done', async () => {
        const s = await agent.api<{ files: Record<string, number> }>('GET', '/api/v1/status');
        return s.files.done === 1;
      });
      assert.match(agent.log(), /"event":"config.reload-failed".*colour: unknown option/);
    } finally {
      await agent.stop();
    }
  });

  it('refuses a reload whose source is a file, and warns of a missing one (run start too)', async () => {
    const inbox = join(tmp.path, 'inbox-2');
    await mkdir(inbox);
    const aFile = join(tmp.path, 'a-file.txt');
    await writeFile(aFile, 'not a directory\n');
    const missing = join(tmp.path, 'not-mounted-yet');
    const dir = join(tmp.path, 'agent-2');
    const yaml = (sources: readonly string[]): string => `api:
  port: ${port}
jobs:
  - name: r
    sources: ${JSON.stringify(sources)}
    settle: 300ms
    destination:
      bucket: ${bucket.name}
      endpoint: ${info.endpoint}
`;
    const port = await freePort();
    const agent = await startAgentProcess(dir, yaml([inbox, missing]), info);
    try {
      await waitFor('the warning at start', () =>
        Promise.resolve(
          new RegExp(`"event":"config.warning".*sources\\[1\\]: ${missing} does not exist`).test(
            agent.log(),
          ),
        ),
      );
      await writeFile(join(dir, 's3ferry.yaml'), yaml([inbox, aFile]));
      const res = await fetch(`${agent.url}/api/v1/config/reload`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${(await agent.token()) ?? ''}`,
        },
      });
      const body = (await res.json()) as { error?: { code?: string; message?: string } };
      assert.equal(res.status, 400);
      assert.equal(body.error?.code, 'ERR_CONFIG_INVALID');
      assert.match(
        body.error.message ?? '',
        /jobs\[0\]\.sources\[1\]: .*a-file\.txt is a file, not a directory/,
      );
      await writeFile(join(inbox, 'still.txt'), 'the running configuration stays\n');
      await waitFor('the file done', async () => {
        const s = await agent.api<{ files: Record<string, number> }>('GET', '/api/v1/status');
        return s.files.done === 1;
      });
    } finally {
      await agent.stop();
    }
  });
});
