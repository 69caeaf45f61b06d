/**
 * The API port is taken (issue 5, bad input): `s3ferry run` names the port and the fix, exits 2,
 * and leaves its journal free for the next start.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/agent-process.js';
import { cliEnv, runCli } from '../support/cli.js';
import { rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

describe('the API port is taken', () => {
  let info: S3ServerInfo;
  let tmp: { path: string; cleanup(): Promise<void> };
  before(async () => {
    info = await rgwServer();
    tmp = await makeTmpDir('port-taken');
  });
  after(() => tmp.cleanup());

  it('run exits 2 naming the port and api.port, and releases the journal lock', async () => {
    const port = await freePort();
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
    try {
      const inbox = join(tmp.path, 'inbox');
      await mkdir(inbox, { recursive: true });
      const config = join(tmp.path, 's3ferry.yaml');
      const journal = join(tmp.path, 'journal.db');
      await writeFile(
        config,
        `journal: ${journal}\napi: { port: ${port} }\njobs:\n  - name: j\n    sources: [${inbox}]\n    destination: { bucket: none, endpoint: ${info.endpoint} }\n`,
      );
      const res = await runCli(['run', '--config', config], cliEnv(info));
      assert.equal(res.code, 2, res.stderr);
      assert.match(
        res.stderr,
        new RegExp(`the API port 127\\.0\\.0\\.1:${port} is already in use`),
      );
      assert.match(res.stderr, /fix: choose another api\.port/);
      assert.doesNotMatch(res.stderr, /bug in s3ferry/);
      assert.equal(existsSync(`${journal}.agent-lock`), false, 'the lock is released');
    } finally {
      await new Promise<void>((r) =>
        squatter.close(() => {
          r();
        }),
      );
    }
  });
});
