/**
 * What `npm ci` and `npm pack` give a user: a clean install on the oldest supported Node (no engine
 * or install-script warning), a tarball with the licence, the example configuration, docs/ and
 * deploy/ and without tests, and a global install from that tarball that runs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { makeTmpDir } from '../support/tmp.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** npm with the project's own settings but no developer's: output as a user would see it. */
function npm(args: readonly string[], cwd: string, timeoutMs = 120_000) {
  const env = { ...process.env, npm_config_loglevel: 'warn', npm_config_update_notifier: 'false' };
  return run('npm', args, { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
}

/** The files the tarball would carry (paths inside the package). */
async function packedFiles(): Promise<string[]> {
  const { stdout } = await npm(['pack', '--dry-run', '--json'], ROOT);
  const [pack] = JSON.parse(stdout) as [{ files: { path: string }[] }];
  return pack.files.map((f) => f.path);
}

describe('npm ci', () => {
  it(`installs on Node ${process.versions.node} without any warning (no EBADENGINE, install scripts reviewed)`, async () => {
    const tmp = await makeTmpDir('npm-ci');
    try {
      for (const f of ['package.json', 'package-lock.json'])
        await copyFile(join(ROOT, f), join(tmp.path, f));
      // --dry-run resolves and checks the whole locked tree (engines, allowScripts) without
      // downloading; --engine-strict turns an engine mismatch into a failure
      const { stdout, stderr } = await npm(['ci', '--dry-run', '--engine-strict'], tmp.path);
      const warnings = `${stdout}\n${stderr}`
        .split('\n')
        .filter((l) => /^npm (warn|error)/.test(l));
      assert.deepEqual(warnings, []);
    } finally {
      await tmp.cleanup();
    }
  });
});

describe('npm pack', () => {
  it('carries LICENSE, s3ferry.example.yaml, docs/, deploy/, the CLI and the dashboard; no tests', async () => {
    const files = await packedFiles();
    const expected = ['LICENSE', 'README.md', 'package.json', 's3ferry.example.yaml'];
    expected.push('dist/src/cli/main.js', 'src/dashboard/static/index.html');
    for (const dir of ['docs', 'deploy'])
      for (const name of await readdir(join(ROOT, dir))) expected.push(`${dir}/${name}`);
    assert.deepEqual(
      expected.filter((f) => !files.includes(f)),
      [],
    );
    const tests = files.filter((f) =>
      /(^|\/)(test|bench)\/|\.test\.js$|^scripts\/test\/|\.tsbuildinfo$/.test(f),
    );
    assert.deepEqual(tests, []);
  });

  it('the packed tarball installs globally and runs: --version, config check on the example', async () => {
    const tmp = await makeTmpDir('npm-global');
    try {
      const { stdout } = await npm(['pack', '--json', '--pack-destination', tmp.path], ROOT);
      const [pack] = JSON.parse(stdout) as [{ filename: string; version: string }];
      const prefix = join(tmp.path, 'prefix');
      // a real global install: dependencies from the registry (or npm's cache), better-sqlite3
      // built by its install script, as `npm install -g s3ferry-x.y.z.tgz` does for a user
      await npm(
        ['install', '-g', '--prefix', prefix, '--prefer-offline', join(tmp.path, pack.filename)],
        tmp.path,
        600_000,
      );
      const bin = join(prefix, 'bin', 's3ferry');
      const version = await run(bin, ['--version'], { cwd: tmp.path });
      assert.equal(version.stdout.trim(), pack.version);
      const example = join(prefix, 'lib', 'node_modules', 's3ferry', 's3ferry.example.yaml');
      const check = await run(bin, ['config', 'check', example], { cwd: tmp.path });
      assert.match(check.stdout, /configuration is valid: 2 job\(s\): media, backups/);
    } finally {
      await tmp.cleanup();
    }
  });
});
