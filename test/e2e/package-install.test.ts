/**
 * What `npm ci` and `npm pack` give a user: a clean install on the oldest supported Node (no engine
 * or install-script warning), a tarball with the licence, the example configuration, docs/ and
 * deploy/ and without tests, and a global install from that tarball that runs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { makeTmpDir } from '../support/tmp.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** npm with the project's own settings but no developer's: output as a user would see it. */
function npm(
  args: readonly string[],
  cwd: string,
  timeoutMs = 120_000,
  extraEnv: Record<string, string> = {},
) {
  const env = {
    ...process.env,
    npm_config_loglevel: 'warn',
    npm_config_update_notifier: 'false',
    ...extraEnv,
  };
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

  it('the packed tarball installs globally without a warning and runs: --version, config check on the example, man', async () => {
    const tmp = await makeTmpDir('npm-global');
    try {
      const { stdout } = await npm(['pack', '--json', '--pack-destination', tmp.path], ROOT);
      const [pack] = JSON.parse(stdout) as [{ filename: string; version: string }];
      const prefix = join(tmp.path, 'prefix');
      // A real global install: dependencies resolved from the registry (or npm's cache) without the
      // lock file, better-sqlite3's install script run. Its native module comes from the project's
      // own build, as the file a download would give (prebuild-install's documented local
      // prebuild): compiling it again takes a core for a minute and a half, and `npm ci` proved it.
      const native = JSON.parse(
        await readFile(join(ROOT, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8'),
      ) as { version: string };
      const prebuilds = join(tmp.path, 'prebuilds');
      await mkdir(prebuilds);
      const name = `better-sqlite3-v${native.version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
      await run('tar', [
        '-czf',
        join(prebuilds, name),
        '-C',
        join(ROOT, 'node_modules', 'better-sqlite3'),
        'build/Release/better_sqlite3.node',
      ]);
      const install = await npm(
        [
          'install',
          '-g',
          '--allow-scripts=better-sqlite3',
          '--prefix',
          prefix,
          '--prefer-offline',
          join(tmp.path, pack.filename),
        ],
        tmp.path,
        600_000,
        { npm_config_better_sqlite3_local_prebuilds: prebuilds },
      );
      // the one warning left is about the variable above, which only this test sets
      const warnings = `${install.stdout}\n${install.stderr}`
        .split('\n')
        .filter(
          (l) => /^npm (warn|error)/.test(l) && !l.includes('better-sqlite3-local-prebuilds'),
        );
      assert.deepEqual(warnings, []);
      const installed = join(prefix, 'lib', 'node_modules', 's3ferry');
      await access(
        join(
          installed,
          'node_modules',
          'better-sqlite3',
          'build',
          'Release',
          'better_sqlite3.node',
        ),
      );
      const bin = join(prefix, 'bin', 's3ferry');
      const version = await run(bin, ['--version'], { cwd: tmp.path });
      assert.equal(version.stdout.trim(), pack.version);
      const example = join(installed, 's3ferry.example.yaml');
      const check = await run(bin, ['config', 'check', example], { cwd: tmp.path });
      assert.match(check.stdout, /configuration is valid: 2 job\(s\): media, backups/);
      // package.json `man`: `man s3ferry` works after the install
      await access(join(prefix, 'share', 'man', 'man1', 's3ferry.1'));
    } finally {
      await tmp.cleanup();
    }
  });
});
