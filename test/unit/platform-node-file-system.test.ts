/**
 * nodeFileSystem on real files: reads by position, stats, errors that name the path and the
 * cause, and a close that runs once (a descriptor number closed twice could belong to a file
 * opened in between).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAppError } from '../../src/errors/app-error.js';
import { nodeFileSystem } from '../../src/platform/node-file-system.js';

describe('nodeFileSystem', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `s3ferry-fs-${process.pid}-`));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file by position and stats it through its descriptor', async () => {
    const path = join(dir, 'a.bin');
    const bytes = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
    await writeFile(path, bytes);
    const byPath = await nodeFileSystem.stat(path);
    assert.equal(byPath.size, 10_000);
    assert.equal(byPath.isFile, true);
    const file = await nodeFileSystem.open(path);
    try {
      assert.deepEqual(await file.stat(), byPath);
      const part = Buffer.alloc(4000);
      assert.equal(await file.read(part, 5000, 4000), 4000);
      assert.deepEqual(part, bytes.subarray(5000, 9000));
      // Past the end: only what is there.
      const tail = Buffer.alloc(4000);
      assert.equal(await file.read(tail, 8000, 4000), 2000);
      assert.deepEqual(tail.subarray(0, 2000), bytes.subarray(8000));
    } finally {
      await file.close();
    }
  });

  it('closes a descriptor once: a second close leaves a file opened since alone', async () => {
    const a = join(dir, 'first.bin');
    const b = join(dir, 'second.bin');
    await writeFile(a, 'first');
    await writeFile(b, 'second');
    const first = await nodeFileSystem.open(a);
    await first.close();
    const second = await nodeFileSystem.open(b); // usually gets the number `first` had
    try {
      await first.close();
      const buf = Buffer.alloc(6);
      assert.equal(await second.read(buf, 0, 6), 6);
      assert.equal(buf.toString(), 'second');
    } finally {
      await second.close();
    }
  });

  it('names the path and the cause of a missing or unreadable file', async () => {
    const missing = join(dir, 'gone.bin');
    await assert.rejects(nodeFileSystem.stat(missing), (err: unknown) => {
      assert.ok(isAppError(err, 'ERR_FILE_NOT_FOUND'));
      assert.match(err.message, /gone\.bin: no such file/);
      return true;
    });
    await assert.rejects(nodeFileSystem.open(missing), (err: unknown) =>
      isAppError(err, 'ERR_FILE_NOT_FOUND'),
    );
    // A directory opens for reading on Linux; reading it fails (EISDIR).
    const asFile = await nodeFileSystem.open(dir);
    try {
      await assert.rejects(asFile.read(Buffer.alloc(16), 0, 16), (err: unknown) => {
        assert.ok(isAppError(err, 'ERR_FILE_UNREADABLE'));
        assert.ok(err.message.startsWith(dir), err.message);
        assert.match(err.message, /EISDIR/);
        return true;
      });
    } finally {
      await asFile.close();
    }
  });
});
