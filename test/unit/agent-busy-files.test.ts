/**
 * BusyFiles: an offer for a file a worker is on is held (the newest one wins) and handed back when
 * the worker is done; other files, other jobs and files no worker is on go straight through.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Candidate } from '../../src/agent/admission.js';
import { BusyFiles } from '../../src/agent/busy-files.js';

const offer = (absPath: string, size: number): Candidate => ({
  absPath,
  relPath: absPath.slice(absPath.lastIndexOf('/') + 1),
  size,
  mtimeMs: 1_700_000_000_000 + size,
  inode: 42,
});

describe('BusyFiles', () => {
  it('lets offers through while no worker is on the file', () => {
    const busy = new BusyFiles();
    assert.equal(busy.hold('j', offer('/in/a.bin', 1)), false);
    assert.equal(busy.end('j', '/in/a.bin'), undefined);
  });

  it('holds offers for a busy file and hands back the newest when the worker is done', () => {
    const busy = new BusyFiles();
    busy.begin('j', '/in/a.bin');
    assert.equal(busy.hold('j', offer('/in/a.bin', 1)), true);
    assert.equal(busy.hold('j', offer('/in/a.bin', 2)), true);
    assert.deepEqual(busy.end('j', '/in/a.bin'), offer('/in/a.bin', 2));
    // done: the next offer goes through, and nothing is handed back twice
    assert.equal(busy.hold('j', offer('/in/a.bin', 3)), false);
    assert.equal(busy.end('j', '/in/a.bin'), undefined);
  });

  it('hands back nothing when no offer came while the worker was on it', () => {
    const busy = new BusyFiles();
    busy.begin('j', '/in/a.bin');
    assert.equal(busy.end('j', '/in/a.bin'), undefined);
  });

  it('keeps files and jobs apart', () => {
    const busy = new BusyFiles();
    busy.begin('j', '/in/a.bin');
    assert.equal(busy.hold('j', offer('/in/b.bin', 1)), false, 'another file');
    assert.equal(busy.hold('k', offer('/in/a.bin', 1)), false, 'the same path in another job');
    assert.equal(busy.hold('j', offer('/in/a.bin', 1)), true);
  });
});
