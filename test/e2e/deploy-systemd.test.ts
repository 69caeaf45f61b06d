/**
 * deploy/s3ferry.service (and the fleet drop-in over it) pass `systemd-analyze verify` without a
 * word, with no systemd running: verify reads unit files offline. It also checks that every
 * command exists and that the `man:` page in Documentation= opens, here the generated s3ferry(1).
 * The unit needs no install step: its user and directories come from DynamicUser= and
 * StateDirectory=.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import { CLI_PATH } from '../support/cli.js';
import { ensureDebianTool } from '../support/debian-tool.js';
import { makeTmpDir } from '../support/tmp.js';

const run = promisify(execFile);
const DEPLOY = fileURLToPath(new URL('../../../deploy/', import.meta.url));

/** Runs systemd-analyze verify on UNIT in DIR (its drop-ins beside it), the man page installed. */
async function verify(dir: string, unit: string): Promise<{ stdout: string; stderr: string }> {
  const man = join(dir, 'man');
  await mkdir(join(man, 'man1'), { recursive: true });
  const page = await run(process.execPath, [CLI_PATH, 'man']);
  await writeFile(join(man, 'man1', 's3ferry.1'), page.stdout);
  const env = { ...process.env, MANPATH: man, SYSTEMD_UNIT_PATH: `${dir}:` };
  return run('systemd-analyze', ['verify', join(dir, unit)], { env });
}

describe('deploy/s3ferry.service', () => {
  before(async () => {
    await ensureDebianTool('systemd-analyze', 'systemd');
    await ensureDebianTool('man', 'man-db');
  });

  it('passes systemd-analyze verify without a warning', async () => {
    const tmp = await makeTmpDir('systemd-verify');
    try {
      await copyFile(join(DEPLOY, 's3ferry.service'), join(tmp.path, 's3ferry.service'));
      const { stdout, stderr } = await verify(tmp.path, 's3ferry.service');
      assert.equal(`${stdout}${stderr}`, '');
    } finally {
      await tmp.cleanup();
    }
  });

  it('with the fleet drop-in (s3ferry-fleet.conf) too', async () => {
    const tmp = await makeTmpDir('systemd-verify-fleet');
    try {
      await copyFile(join(DEPLOY, 's3ferry.service'), join(tmp.path, 's3ferry.service'));
      await mkdir(join(tmp.path, 's3ferry.service.d'));
      await copyFile(
        join(DEPLOY, 's3ferry-fleet.conf'),
        join(tmp.path, 's3ferry.service.d', 'fleet.conf'),
      );
      const { stdout, stderr } = await verify(tmp.path, 's3ferry.service');
      assert.equal(`${stdout}${stderr}`, '');
    } finally {
      await tmp.cleanup();
    }
  });

  it('needs no install step: a user of its own, its state directory, the config read-only', async () => {
    const unit = await readFile(join(DEPLOY, 's3ferry.service'), 'utf8');
    const settings = new Map(
      unit
        .split('\n')
        .filter((l) => /^\w+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
    );
    assert.equal(settings.get('DynamicUser'), 'yes');
    assert.equal(settings.get('User'), undefined, 'no user to create');
    assert.equal(settings.get('StateDirectory'), 's3ferry');
    assert.equal(settings.get('ConfigurationDirectory'), 's3ferry');
    assert.equal(settings.get('WorkingDirectory'), '/var/lib/s3ferry');
  });
});
