/**
 * The inotify watch limit running out (ENOSPC from fs.watch), for real: a child agent runs in a
 * new user namespace whose own limit (/proc/sys/user/max_inotify_watches) is set to 5, so the
 * machine's limit is left alone. Skipped where unprivileged user namespaces are unavailable.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { makeTmpDir } from '../support/tmp.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** The child: a JobSource over argv[2] with rescans every 500 ms; prints what it saw as JSON. */
const CHILD = `
import { writeFile } from 'node:fs/promises';
import { JobSource } from ${JSON.stringify(path.join(SRC, 'sources', 'job-source.js'))};
import { chokidarWatcherFactory } from ${JSON.stringify(path.join(SRC, 'sources', 'chokidar', 'chokidar-watcher.js'))};
import { statSourceFile } from ${JSON.stringify(path.join(SRC, 'sources', 'node-stat.js'))};
import { systemClock } from ${JSON.stringify(path.join(SRC, 'platform', 'clock.js'))};
const root = process.argv[2];
const problems = [];
const finished = new Set();
const source = new JobSource({
  job: { name: 'limit', sources: [{ path: root, recursive: true }], mode: 'watch', rescanInterval: 500, settle: 200 },
  clock: systemClock,
  watcherFactory: chokidarWatcherFactory(),
  stat: statSourceFile,
  onFinished: async (f) => { finished.add(f.relPath); },
  onError: (e) => { problems.push(e); },
});
await source.start();
await writeFile(root + '/d20/after-start.txt', 'new');
const deadline = Date.now() + 30000;
while (!finished.has('d20/after-start.txt') && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 50));
}
await source.close();
process.stdout.write(JSON.stringify({ problems, finished: [...finished].sort() }));
`;

function inNamespaceWithLimit(limit: number, args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync(
    'unshare',
    [
      '--user',
      '--map-root-user',
      'sh',
      '-c',
      `echo ${limit} > /proc/sys/user/max_inotify_watches && exec "$@"`,
      'sh',
      ...args,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
}

describe('inotify watch limit (ENOSPC)', { timeout: 120_000 }, () => {
  let tmp: { path: string; cleanup(): Promise<void> };
  before(async () => {
    tmp = await makeTmpDir('sources-inotify-limit');
  });
  after(async () => {
    await tmp.cleanup();
  });

  it('is reported once with the sysctl fix, and rescans keep finding files', async (t) => {
    const probe = inNamespaceWithLimit(5, ['true']);
    if (probe.error !== undefined || probe.status !== 0) {
      t.skip(`no user namespace with its own inotify limit here: ${String(probe.stderr)}`);
      return;
    }
    const root = path.join(tmp.path, 'tree');
    for (let i = 1; i <= 20; i++) {
      await mkdir(path.join(root, `d${i}`), { recursive: true });
      await writeFile(path.join(root, `d${i}`, 'f.txt'), String(i));
    }
    const script = path.join(tmp.path, 'child.mjs');
    await writeFile(script, CHILD);

    const run = inNamespaceWithLimit(5, [process.execPath, script, root]);
    assert.equal(run.status, 0, `child failed: ${String(run.stderr)}`);
    const out = JSON.parse(String(run.stdout)) as {
      problems: { path: string; message: string }[];
      finished: string[];
    };
    const limitProblems = out.problems.filter((p) => p.message.includes('max_user_watches'));
    assert.equal(limitProblems.length, 1, JSON.stringify(out.problems));
    const problem = limitProblems[0]!;
    assert.equal(problem.path, root);
    assert.match(problem.message, /sysctl fs\.inotify\.max_user_watches=\d+/);
    assert.equal(out.problems.length, 1, JSON.stringify(out.problems));
    const expected = Array.from({ length: 20 }, (_, i) => `d${i + 1}/f.txt`);
    assert.deepEqual(out.finished, [...expected, 'd20/after-start.txt'].sort());
  });
});
