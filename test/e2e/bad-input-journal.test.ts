/**
 * A journal in trouble (issue 5, item 4): not a database, damaged, locked by another process,
 * used by a second agent, on a full disk. The agent says what is wrong with which file and what to
 * do (exit code 5 when it cannot start), and loses nothing: once the cause is gone, every file is
 * delivered.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, truncate, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  freePort,
  startAgentProcess,
  waitFor,
  type AgentProcess,
} from '../support/agent-process.js';
import { cliEnv, runCli, spawnCli, writeRandomFile } from '../support/cli.js';
import { S3Fixture } from '../support/s3-fixture.js';
import { testId } from '../support/tmp.js';
import { deliveryProblems } from '../support/torture/delivery.js';

interface Status {
  files: Record<string, number>;
}

describe('a journal in trouble', () => {
  const fx = S3Fixture.use('bad-journal');

  /** A job over its own inbox with the journal at `journal`; returns the YAML and the inbox. */
  async function setup(
    journal: string,
    extra = '',
  ): Promise<{ yaml: (port: number) => string; inbox: string; prefix: string }> {
    const prefix = testId('j');
    const inbox = join(fx.tmp.path, prefix, 'inbox');
    await mkdir(inbox, { recursive: true });
    return {
      inbox,
      prefix: `${prefix}/`,
      yaml: (port) => `api:
  port: ${port}
journal: ${JSON.stringify(journal)}
jobs:
  - name: j
    sources: [${JSON.stringify(inbox)}]
    settle: 300ms
    rescanInterval: 2s
    destination:
      bucket: ${fx.bucket.name}
      prefix: ${prefix}
      endpoint: ${fx.info.endpoint}
${extra}`,
    };
  }

  /** `s3ferry run` that must refuse to start (exit 5 within `withinMs`): returns its stderr. */
  async function refused(yaml: string, dir: string, withinMs = 60_000): Promise<string> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 's3ferry.yaml'), yaml);
    const proc = spawnCli(['run', '--config', join(dir, 's3ferry.yaml')], cliEnv(fx.info));
    const timer = setTimeout(() => proc.child.kill('SIGTERM'), withinMs);
    const res = await proc.result.finally(() => {
      clearTimeout(timer);
    });
    assert.equal(res.code, 5, `exit ${String(res.code)}: ${res.stderr}${res.stdout.slice(-2000)}`);
    return res.stderr;
  }

  async function doneCount(agent: AgentProcess): Promise<number> {
    return (await agent.api<Status>('GET', '/api/v1/status')).files.done ?? 0;
  }

  it('a file that is not a database: refused with exit 5, the file named, the fix given', async () => {
    const journal = join(fx.tmp.path, 'garbage.db');
    await writeFile(journal, randomBytes(20_000));
    const s = await setup(journal);
    const stderr = await refused(s.yaml(await freePort()), join(fx.tmp.path, 'garbage'));
    assert.match(stderr, new RegExp(`the journal is not a database or is damaged: ${journal}`));
    assert.match(stderr, /fix: .*move it aside; s3ferry will start a new one/);
  });

  it('a damaged journal (cut short): refused with exit 5; moved aside, a new one delivers', async () => {
    const journal = join(fx.tmp.path, 'cut.db');
    const s = await setup(journal);
    await writeFile(join(s.inbox, 'a.txt'), 'a\n');
    const agent = await startAgentProcess(
      join(fx.tmp.path, 'cut'),
      s.yaml(await freePort()),
      fx.info,
    );
    await waitFor('a.txt done', async () => (await doneCount(agent)) === 1);
    await agent.stop();
    await truncate(journal, Math.floor((await stat(journal)).size / 2));
    const stderr = await refused(s.yaml(await freePort()), join(fx.tmp.path, 'cut2'));
    assert.match(stderr, /the journal is not a database or is damaged: .*cut\.db.*malformed/);
    // the fix as given: move it aside; nothing is lost (overwrite: never keeps what is there)
    await rm(journal);
    await writeFile(join(s.inbox, 'b.txt'), 'b\n');
    const again = await startAgentProcess(
      join(fx.tmp.path, 'cut3'),
      s.yaml(await freePort()),
      fx.info,
    );
    try {
      await waitFor('both files settled', async () => {
        const f = (await again.api<Status>('GET', '/api/v1/status')).files;
        return (f.done ?? 0) + (f.skipped ?? 0) === 2;
      });
    } finally {
      await again.stop();
    }
    assert.deepEqual(await deliveryProblems(fx.client, fx.bucket.name, s.prefix, s.inbox), []);
  });

  it('a journal another process holds locked: exit 5 after the wait, the fix given', async () => {
    const journal = join(fx.tmp.path, 'locked.db');
    const s = await setup(journal);
    await writeFile(join(s.inbox, 'x.txt'), 'x\n');
    const first = await startAgentProcess(
      join(fx.tmp.path, 'lk'),
      s.yaml(await freePort()),
      fx.info,
    );
    await first.stop();
    const db = new Database(journal);
    try {
      db.exec('BEGIN IMMEDIATE');
      db.exec('UPDATE files SET updated_at = updated_at');
      // the one-shot upload writes the same journal: it waits for the lock, then says who holds it
      const res = await runCli(
        ['upload', join(s.inbox, 'x.txt'), '--to', `s3://${fx.bucket.name}/${s.prefix}`],
        cliEnv(fx.info, { S3FERRY_ENDPOINT_URL: fx.info.endpoint, S3FERRY_JOURNAL: journal }),
      );
      assert.equal(res.code, 5, res.stderr);
      assert.match(res.stderr, /the journal is locked by another process: .*locked\.db/);
      assert.match(
        res.stderr,
        /fix: another s3ferry process holds the journal: stop it or use --journal/,
      );
    } finally {
      db.exec('ROLLBACK');
      db.close();
    }
  });

  it('a second agent on the same journal is refused with exit 5, naming the first', async () => {
    const journal = join(fx.tmp.path, 'shared.db');
    const s = await setup(journal);
    const first = await startAgentProcess(
      join(fx.tmp.path, 'sh1'),
      s.yaml(await freePort()),
      fx.info,
    );
    try {
      const stderr = await refused(s.yaml(await freePort()), join(fx.tmp.path, 'sh2'), 30_000);
      const pid = first.child.pid ?? -1;
      assert.match(
        stderr,
        new RegExp(
          `another s3ferry agent \\(pid ${pid} since .*\\) runs on the journal .*shared\\.db`,
        ),
      );
      assert.match(stderr, /fix: stop that agent first, or give this one its own journal/);
      // The first agent was not disturbed: it still delivers.
      await writeFile(join(s.inbox, 'after.txt'), 'after\n');
      await waitFor('after.txt done', async () => (await doneCount(first)) === 1);
    } finally {
      await first.stop();
    }
    assert.deepEqual(await deliveryProblems(fx.client, fx.bucket.name, s.prefix, s.inbox), []);
  });

  it('the lock of a SIGKILLed agent is taken over by the next one, which delivers everything', async () => {
    const journal = join(fx.tmp.path, 'killed.db');
    const s = await setup(
      journal,
      '      partSize: 5MiB\n      multipartThreshold: 5MiB\n      bwlimit: 16MiB\n',
    );
    for (let i = 0; i < 3; i += 1)
      await writeRandomFile(join(s.inbox, `f${i}.bin`), 6 * 1024 * 1024 + i);
    const a = await startAgentProcess(join(fx.tmp.path, 'kl1'), s.yaml(await freePort()), fx.info);
    await waitFor('an upload under way', () =>
      Promise.resolve(/"upload.started"|"file.uploading"|part/.test(a.log())),
    );
    await a.kill();
    assert.ok((await stat(`${journal}.agent-lock`)).isFile(), 'the dead agent left its lock');
    const b = await startAgentProcess(join(fx.tmp.path, 'kl2'), s.yaml(await freePort()), fx.info);
    try {
      await waitFor('all 3 files done', async () => (await doneCount(b)) === 3, 180_000);
    } finally {
      await b.stop();
    }
    await assert.rejects(stat(`${journal}.agent-lock`), /ENOENT/, 'a clean stop removes the lock');
    assert.deepEqual(await deliveryProblems(fx.client, fx.bucket.name, s.prefix, s.inbox), []);
  });

  describe(
    'on a full disk',
    { skip: process.getuid?.() !== 0 && 'mounting a tmpfs needs root' },
    () => {
      let mnt: string;
      before(async () => {
        mnt = join(fx.tmp.path, 'tiny');
        await mkdir(mnt);
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4M', 'tmpfs', mnt]);
      });
      after(() => {
        execFileSync('umount', [mnt]);
      });
      const fill = (): void => {
        try {
          execFileSync('dd', ['if=/dev/zero', `of=${join(mnt, 'filler')}`, 'bs=4k'], {
            stdio: 'ignore',
          });
        } catch {
          // dd stops with an error once the disk is full: that is the point
        }
      };

      it('files that arrive are reported, the agent stays up, and they go once there is space', async () => {
        const s = await setup(join(mnt, 'idle.db'));
        const agent = await startAgentProcess(
          join(fx.tmp.path, 'full1'),
          s.yaml(await freePort()),
          fx.info,
        );
        try {
          await writeFile(join(s.inbox, 'before.txt'), 'before\n');
          await waitFor('before.txt done', async () => (await doneCount(agent)) === 1);
          fill();
          for (let i = 0; i < 3; i += 1)
            await writeFile(join(s.inbox, `during-${i}.txt`), `${i}\n`);
          await waitFor('the full disk reported', () =>
            Promise.resolve(
              /"event":"source.error".*during-\d\.txt.*no space left for the journal/.test(
                agent.log(),
              ),
            ),
          );
          assert.equal(
            (await fetch(`${agent.url}/healthz`)).status,
            200,
            'the agent still answers',
          );
          await rm(join(mnt, 'filler'));
          await waitFor('all 4 done', async () => (await doneCount(agent)) === 4, 60_000);
        } finally {
          await agent.stop();
          await rm(join(mnt, 'filler'), { force: true });
          for (const suffix of ['', '-wal', '-shm'])
            await rm(join(mnt, `idle.db${suffix}`), { force: true });
        }
        assert.deepEqual(await deliveryProblems(fx.client, fx.bucket.name, s.prefix, s.inbox), []);
      });

      it('a disk that fills during an upload stops nothing but that upload', async () => {
        const s = await setup(
          join(mnt, 'busy.db'),
          '      partSize: 5MiB\n      multipartThreshold: 5MiB\n      bwlimit: 4MiB\n      concurrency: 2\n',
        );
        const agent = await startAgentProcess(
          join(fx.tmp.path, 'full2'),
          s.yaml(await freePort()),
          fx.info,
        );
        try {
          await writeRandomFile(join(s.inbox, 'big.bin'), 30 * 1024 * 1024);
          await waitFor('the upload started', () =>
            Promise.resolve(/"event":"upload.started".*big\.bin/.test(agent.log())),
          );
          fill();
          await waitFor('the journal failure reported', () =>
            Promise.resolve(/no space left for the journal/.test(agent.log())),
          );
          await new Promise((r) => setTimeout(r, 2000));
          assert.equal(agent.child.exitCode, null, `the agent died:\n${agent.log().slice(-3000)}`);
          await rm(join(mnt, 'filler'));
          await waitFor('big.bin done', async () => (await doneCount(agent)) === 1, 120_000);
          // the journal is named as the cause (not the destination), with what happens next
          assert.match(
            agent.log(),
            /"event":"agent.error".*"code":"ERR_JOURNAL".*big\.bin could not be recorded \(no space left for the journal.*queued again as soon as the journal can be written/,
          );
          assert.doesNotMatch(agent.log(), /destination\.unhealthy/);
        } finally {
          await agent.stop().catch(() => undefined);
          await rm(join(mnt, 'filler'), { force: true });
          for (const suffix of ['', '-wal', '-shm'])
            await rm(join(mnt, `busy.db${suffix}`), { force: true });
        }
        assert.deepEqual(await deliveryProblems(fx.client, fx.bucket.name, s.prefix, s.inbox), []);
      });
    },
  );
});
