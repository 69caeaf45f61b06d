/** On a terminal (a real pty from `script`), `s3ferry upload` draws a progress bar with bytes, speed and ETA. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatBytes } from '../../src/domain/duration.js';
import { CLI_PATH, cliEnv, writeRandomFile } from '../support/cli.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

const MIB = 1024 * 1024;

/** Runs the CLI on a pseudo-terminal; resolves with its exit code and everything it drew. */
async function runOnTty(
  args: readonly string[],
  info: S3ServerInfo,
): Promise<{ code: number; out: string }> {
  const cmd = [process.execPath, CLI_PATH, ...args]
    .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
    .join(' ');
  const child = spawn('script', ['-qefc', cmd, '/dev/null'], {
    env: { ...cliEnv(info), TERM: 'xterm' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const [code] = (await once(child, 'close')) as [number];
  return { code, out };
}

/** The totals the bar showed ("… 1.20 MiB/40.0 MiB …" gives "40.0 MiB"). */
function barTotals(out: string): Set<string> {
  return new Set([...out.matchAll(/\] +\d+% \S+ \S+\/(\S+ \S+) /g)].map((m) => m[1] ?? ''));
}

describe('progress on a terminal', () => {
  let info: S3ServerInfo;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  before(async () => {
    info = await rgwServer();
    bucket = await createTestBucket(info, 'tty');
    tmp = await makeTmpDir('tty');
  });
  after(async () => {
    await bucket.cleanup();
    await tmp.cleanup();
  });

  const common = (name: string, endpoint = info.endpoint): string[] => [
    '--endpoint-url',
    endpoint,
    '--journal',
    join(tmp.path, `${name}.db`),
  ];

  it('draws a bar with percentage, bytes, speed, ETA and file count', async () => {
    const file = join(tmp.path, 'f.bin');
    await writeRandomFile(file, 40 * MIB);
    const { code, out } = await runOnTty(
      ['upload', file, '--to', `s3://${bucket.name}/t/`, ...common('one'), '--bwlimit', '20MiB'],
      info,
    );
    assert.equal(code, 0, out);
    assert.match(
      out,
      /\[[#.]{24}\]\s+\d+% [\d.]+ (B|KiB|MiB)\/40\.0 MiB [\d.]+ (B|KiB|MiB)\/s ETA (\d+s|\d+m\d+s|--) files 0\/1/,
    );
    assert.match(out, /uploaded 1 of 1 files, 40\.0 MiB/);
  });

  it('shows the total of every file of a directory (sized while many stats are in flight)', async () => {
    const dir = join(tmp.path, 'dir');
    await mkdir(join(dir, 'sub'), { recursive: true });
    let total = 0;
    for (let i = 0; i < 60; i += 1) {
      const size = 1000 + i * 517;
      await writeFile(join(dir, i % 2 === 0 ? 'sub' : '', `f${i}.txt`), Buffer.alloc(size, 97));
      total += size;
    }
    await writeRandomFile(join(dir, 'big.bin'), 12 * MIB);
    total += 12 * MIB;
    const { code, out } = await runOnTty(
      ['upload', dir, '--to', `s3://${bucket.name}/d/`, ...common('dir'), '--bwlimit', '8MiB'],
      info,
    );
    assert.equal(code, 0, out);
    assert.deepEqual([...barTotals(out)], [formatBytes(total)], out);
    assert.match(out, new RegExp(`uploaded 61 of 61 files, ${formatBytes(total)}`));
  });

  it('moves within a part: bytes count as the socket takes them, not a part at a time', async () => {
    const proxy = await startFaultProxy(info.endpoint);
    try {
      proxy.setBandwidth(4 * MIB); // a slow network: the socket takes the body bit by bit
      const file = join(tmp.path, 'one-part.bin');
      await writeRandomFile(file, 16 * MIB);
      const { code, out } = await runOnTty(
        [
          'upload',
          file,
          '--to',
          `s3://${bucket.name}/p/`,
          ...common('part', proxy.url),
          '--part-size',
          '16MiB',
          '--multipart-threshold',
          '32MiB',
        ],
        info,
      );
      assert.equal(code, 0, out);
      const shown = [...out.matchAll(/\] +\d+% ([\d.]+) MiB\/16\.0 MiB/g)].map((m) => Number(m[1]));
      assert.ok(
        shown.some((mib) => mib > 0 && mib < 16),
        `the bar showed ${JSON.stringify(shown)} MiB of a one-request upload`,
      );
    } finally {
      await proxy.close();
    }
  });

  it('while the store is silent, the speed falls to 0 and the ETA is unknown', async () => {
    const proxy = await startFaultProxy(info.endpoint);
    try {
      // the first part's answer comes after 7 s: the only request in flight, so nothing moves
      proxy.addRule({
        match: (r) => r.operation === 'UploadPart',
        fault: { kind: 'delay', ms: 7000, phase: 'response' },
        times: 1,
      });
      const file = join(tmp.path, 'stall.bin');
      await writeRandomFile(file, 24 * MIB);
      const { code, out } = await runOnTty(
        [
          'upload',
          file,
          '--to',
          `s3://${bucket.name}/s/`,
          ...common('stall', proxy.url),
          '--part-size',
          '8MiB',
          '--multipart-threshold',
          '8MiB',
          '--concurrency',
          '1',
        ],
        info,
      );
      assert.equal(code, 0, out);
      assert.match(out, / 0 B\/s ETA -- files 0\/1/);
    } finally {
      await proxy.close();
    }
  });
});
