/**
 * nodeFileSystem on real files: reads by position, stats, errors that name the path and the
 * cause, and a close that runs once (a descriptor number closed twice could belong to a file
 * opened in between).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, openSync, closeSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAppError } from '../../src/errors/app-error.js';
import { hashFile } from '../../src/platform/hash-file.js';
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
    // A directory is not a regular file: refused at the open, not at the first read.
    await assert.rejects(nodeFileSystem.open(dir), (err: unknown) => {
      assert.ok(isAppError(err, 'ERR_FILE_UNREADABLE'));
      assert.match(err.message, /is now a directory, not a regular file/);
      return true;
    });
  });

  // Without the fix these opens never end: the timeout turns that into a failure (and the after
  // hook then releases the blocked threads), it is not a measure of speed.
  describe(
    'a FIFO renamed over a file after its stat (issue 15, item 5)',
    { timeout: 60_000 },
    () => {
      const fifos: string[] = [];
      /** `name` as a regular file, stat'ed; then a FIFO takes its place, as an attacker would. */
      async function swapped(name: string): Promise<string> {
        const path = join(dir, name);
        await writeFile(path, 'a regular file at first\n');
        assert.equal((await nodeFileSystem.stat(path)).isFile, true);
        execFileSync('mkfifo', [`${path}.fifo`]);
        await rename(`${path}.fifo`, path);
        fifos.push(path);
        return path;
      }
      after(() => {
        // Without the fix an open is still blocked in a libuv thread, waiting for a writer: give it
        // one so that this process can end and report the failure.
        for (const fifo of fifos) {
          try {
            closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
          } catch {
            // no reader is waiting (the fix): nothing to release
          }
        }
      });

      const refused = (err: unknown): boolean => {
        assert.ok(isAppError(err, 'ERR_FILE_UNREADABLE'), String(err));
        assert.match(err.message, /is now a FIFO \(named pipe\), not a regular file/);
        assert.match(
          err.hint ?? '',
          /^only regular files are uploaded: put the file back in place$/,
        );
        return true;
      };

      it('the open for the upload refuses it at once instead of blocking', async () => {
        await assert.rejects(nodeFileSystem.open(await swapped('upload.bin')), refused);
      });

      it('hashing for {sha256}/{md5} keys and dedupe refuses it at once too', async () => {
        await assert.rejects(hashFile(await swapped('hash.bin'), ['sha256', 'md5']), refused);
      });

      it('file I/O still works afterwards (no libuv thread is held)', async () => {
        // Four blocked opens took every thread of the pool: nothing else could read or stat.
        const paths = await Promise.all(['a', 'b', 'c', 'd'].map((n) => swapped(`${n}.bin`)));
        await Promise.all(paths.map((p) => assert.rejects(nodeFileSystem.open(p), refused)));
        const ok = join(dir, 'ordinary.bin');
        await writeFile(ok, 'ordinary');
        const md5 = createHash('md5').update('ordinary').digest('hex');
        assert.deepEqual(await hashFile(ok, ['md5']), { md5 });
      });
    },
  );
});
