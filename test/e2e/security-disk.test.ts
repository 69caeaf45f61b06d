/**
 * What the agent leaves on disk is its user's alone (issue 15, item 11): the journal's directory and
 * the token's are created 0700, and the journal, SQLite's -wal and -shm, the agent lock and the API
 * token 0600, whatever the umask. The agent runs under umask 000, where the defaults would give 0777 and 0666. A journal
 * left readable by an earlier version is tightened at the next start.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, superviseAgent, type AgentProcess } from '../support/agent-process.js';
import { CLI_PATH, cliEnv } from '../support/cli.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';

/** The permission bits of `path`, as octal text ('600'). */
async function mode(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o777).toString(8);
}

describe('files on disk are private, whatever the umask', () => {
  let info: S3ServerInfo;
  let tmp: { path: string; cleanup(): Promise<void> };
  let bucket: { name: string; cleanup(): Promise<void> };

  before(async () => {
    info = await rgwServer();
    tmp = await makeTmpDir('security-disk');
    bucket = await createTestBucket(info, 'security-disk');
  });
  after(async () => {
    await bucket.cleanup();
    await tmp.cleanup();
  });

  /** `s3ferry run` under umask 000 with its journal in `journalDir` (not created yet). */
  async function startUnderUmask000(dir: string, journalDir: string): Promise<AgentProcess> {
    const port = await freePort();
    const inbox = join(dir, 'inbox');
    await mkdir(inbox, { recursive: true });
    const config = join(dir, 's3ferry.yaml');
    await writeFile(
      config,
      `journal: ${join(journalDir, 'journal.db')}
api: { port: ${port} }
jobs:
  - name: j
    sources: [${JSON.stringify(inbox)}]
    destination: { bucket: ${bucket.name}, endpoint: ${info.endpoint} }
`,
    );
    // a state directory of its own, for the API token it makes
    const env = cliEnv(info, { XDG_STATE_HOME: join(dir, 'state-home') });
    const child = spawn(
      '/bin/sh',
      ['-c', 'umask 000 && exec "$0" "$@"', process.execPath, CLI_PATH, 'run', '--config', config],
      { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return superviseAgent(child, `http://127.0.0.1:${port}`, { env, config });
  }

  it('creates the journal and token directories 0700, the journal, -wal, -shm, lock and token 0600', async () => {
    const dir = join(tmp.path, 'fresh');
    const journalDir = join(dir, 'state', 'journal');
    const agent = await startUnderUmask000(dir, journalDir);
    const journal = join(journalDir, 'journal.db');
    try {
      assert.equal(await mode(journalDir), '700', 'the journal directory');
      const tokenDir = join(dir, 'state-home', 's3ferry');
      assert.equal(await mode(tokenDir), '700', 'the token directory');
      const files = [journal, `${journal}-wal`, `${journal}-shm`, `${journal}.agent-lock`];
      for (const file of [...files, join(tokenDir, 'api-token')])
        assert.equal(await mode(file), '600', file);
    } finally {
      assert.equal(await agent.stop(), 0, agent.log());
    }
    // an earlier version left the journal world-readable: the next start tightens it
    await chmod(journal, 0o644);
    const again = await startUnderUmask000(dir, journalDir);
    try {
      for (const file of [journal, `${journal}-wal`, `${journal}-shm`])
        assert.equal(await mode(file), '600', `${file} after a restart`);
    } finally {
      assert.equal(await again.stop(), 0, again.log());
    }
  });
});
