import assert from 'node:assert/strict';
import { chmod, mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FileStamp } from '../../src/sources/file-stamp.js';
import { scanSource } from '../../src/sources/source-scanner.js';
import { makeTmpDir } from '../support/tmp.js';

interface Seen {
  abs: string;
  rel: string;
  stat: FileStamp;
}

async function collect(root: string, recursive: boolean, signal?: AbortSignal) {
  const seen: Seen[] = [];
  const result = await scanSource(
    root,
    recursive,
    (abs, rel, st) => {
      seen.push({ abs, rel, stat: st });
    },
    signal,
  );
  seen.sort((a, b) => a.rel.localeCompare(b.rel));
  return { seen, result, rels: seen.map((s) => s.rel) };
}

describe('scanSource', () => {
  let tmp: { path: string; cleanup(): Promise<void> };
  let root: string;

  before(async () => {
    tmp = await makeTmpDir('sources-scanner');
    root = path.join(tmp.path, 'src');
    await mkdir(path.join(root, 'a', 'b', 'c'), { recursive: true });
    await mkdir(path.join(root, 'empty'));
    await writeFile(path.join(root, 'top.txt'), 'top');
    await writeFile(path.join(root, 'a', 'one.bin'), Buffer.alloc(1234));
    await writeFile(path.join(root, 'a', 'b', 'c', 'deep.txt'), 'deep');
  });
  after(async () => {
    await tmp.cleanup();
  });

  it('walks a nested tree and reports regular files with "/" relative paths and their stat', async () => {
    const { seen, result, rels } = await collect(root, true);
    assert.deepEqual(rels, ['a/b/c/deep.txt', 'a/one.bin', 'top.txt']);
    assert.equal(result.files, 3);
    assert.deepEqual(result.errors, []);
    const one = seen.find((s) => s.rel === 'a/one.bin')!;
    const real = await stat(path.join(root, 'a', 'one.bin'));
    assert.equal(one.abs, path.join(root, 'a', 'one.bin'));
    assert.deepEqual(one.stat, { size: 1234, mtimeMs: real.mtimeMs, inode: real.ino });
  });

  it('stays at the top level when not recursive', async () => {
    const { rels, result } = await collect(root, false);
    assert.deepEqual(rels, ['top.txt']);
    assert.equal(result.files, 1);
  });

  it('follows links to files but never links to directories (no loops)', async () => {
    const dir = path.join(tmp.path, 'links');
    await mkdir(path.join(dir, 'sub'), { recursive: true });
    await writeFile(path.join(dir, 'real.txt'), 'x');
    await symlink(path.join(dir, 'real.txt'), path.join(dir, 'link-to-file.txt'));
    await symlink(dir, path.join(dir, 'sub', 'loop')); // points back at an ancestor
    await symlink(root, path.join(dir, 'elsewhere')); // another tree: not followed either
    await symlink(path.join(dir, 'missing'), path.join(dir, 'dangling'));
    await symlink(path.join(dir, 'self'), path.join(dir, 'self')); // ELOOP
    const { rels, result, seen } = await collect(dir, true);
    assert.deepEqual(rels, ['link-to-file.txt', 'real.txt']);
    assert.deepEqual(result.errors, [], 'dangling links and link loops are not errors');
    const link = seen.find((s) => s.rel === 'link-to-file.txt')!;
    assert.equal(link.stat.inode, (await stat(path.join(dir, 'real.txt'))).ino, 'link followed');
  });

  it('reports a missing root in errors instead of throwing', async () => {
    const missing = path.join(tmp.path, 'does-not-exist');
    const { result } = await collect(missing, true);
    assert.equal(result.files, 0);
    assert.equal(result.errors.length, 1);
    const error = result.errors[0]!;
    assert.equal(error.path, missing);
    assert.match(error.message, /no such directory/);
  });

  it('skips an unreadable directory, reports it, and goes on', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('running as root: chmod 000 does not deny root, so nothing is unreadable');
      return;
    }
    const dir = path.join(tmp.path, 'perm');
    await mkdir(path.join(dir, 'locked'), { recursive: true });
    await mkdir(path.join(dir, 'open'));
    await writeFile(path.join(dir, 'locked', 'secret.txt'), 's');
    await writeFile(path.join(dir, 'open', 'fine.txt'), 'f');
    await chmod(path.join(dir, 'locked'), 0o000);
    try {
      const { rels, result } = await collect(dir, true);
      assert.deepEqual(rels, ['open/fine.txt']);
      assert.equal(result.errors.length, 1);
      const error = result.errors[0]!;
      assert.equal(error.path, path.join(dir, 'locked'));
      assert.match(error.message, /permission denied/);
    } finally {
      await chmod(path.join(dir, 'locked'), 0o755);
    }
  });

  it('walks a wide directory in batches and waits for an async visitor', async () => {
    const dir = path.join(tmp.path, 'wide');
    await mkdir(dir);
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => writeFile(path.join(dir, `f${i}.dat`), String(i))),
    );
    let active = 0;
    let maxActive = 0;
    const names = new Set<string>();
    const result = await scanSource(dir, true, async (_abs, rel) => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setImmediate(r));
      names.add(rel);
      active -= 1;
    });
    assert.equal(result.files, 300);
    assert.equal(names.size, 300);
    assert.equal(maxActive, 1, 'one visit at a time');
  });

  it('stops with an AbortError when the signal aborts, and rethrows what the visitor throws', async () => {
    const ac = new AbortController();
    await assert.rejects(
      scanSource(
        root,
        true,
        () => {
          ac.abort();
        },
        ac.signal,
      ),
      { name: 'AbortError' },
    );
    await assert.rejects(
      scanSource(root, true, () => {
        throw new Error('visitor broke');
      }),
      { message: 'visitor broke' },
    );
  });
});
