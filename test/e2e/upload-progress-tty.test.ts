/** On a terminal (a real pty from `script`), `s3ferry upload` draws a progress bar with bytes, speed and ETA. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI_PATH, cliEnv, writeRandomFile } from '../support/cli.js';
import { createTestBucket, rgwServer } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

describe('progress on a terminal', () => {
  it('draws a bar with percentage, bytes, speed, ETA and file count', async () => {
    const info = await rgwServer();
    const bucket = await createTestBucket(info, 'tty');
    const tmp = await makeTmpDir('tty');
    try {
      const file = join(tmp.path, 'f.bin');
      await writeRandomFile(file, 40 * 1024 * 1024);
      const cmd = [
        process.execPath,
        CLI_PATH,
        'upload',
        file,
        '--to',
        `s3://${bucket.name}/t`,
        '--endpoint-url',
        info.endpoint,
        '--journal',
        join(tmp.path, 'j.db'),
        '--bwlimit',
        '20MiB',
      ]
        .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
        .join(' ');
      const child = spawn('script', ['-qefc', cmd, '/dev/null'], {
        env: { ...cliEnv(info), TERM: 'xterm' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      const [code] = (await once(child, 'close')) as [number];
      assert.equal(code, 0, out);
      assert.match(
        out,
        /\[[#.]{24}\]\s+\d+% [\d.]+ (B|KiB|MiB)\/40\.0 MiB [\d.]+ (B|KiB|MiB)\/s ETA (\d+s|\d+m\d+s|--) files 0\/1/,
      );
      assert.match(out, /uploaded 1 of 1 files, 40\.0 MiB/);
    } finally {
      await bucket.cleanup();
      await tmp.cleanup();
    }
  });
});
