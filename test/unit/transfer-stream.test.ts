/**
 * Streams of unknown size (standard input): chunking into part buffers, and the largest stream a
 * part size allows (no 10,001st part: without the size the part size cannot grow).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../../src/errors/app-error.js';
import { MAX_OBJECT_SIZE, MIB } from '../../src/domain/part-size.js';
import { maxStreamSize, StreamChunker, streamTooLarge } from '../../src/transfer/stream-chunker.js';

async function* chunks(sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let value = 0;
  for (const size of sizes) {
    await Promise.resolve(); // a chunk at a time, as a stream hands them
    const c = new Uint8Array(size);
    for (let i = 0; i < size; i += 1) c[i] = value++ % 251;
    yield c;
  }
}

describe('StreamChunker', () => {
  it('fills whole buffers across chunk boundaries, in order, and a short last one', async () => {
    const chunker = new StreamChunker(chunks([3, 10, 1, 7]));
    const got: number[] = [];
    for (;;) {
      const buf = new Uint8Array(6);
      const n = await chunker.fill(buf, 'standard input');
      got.push(...buf.subarray(0, n));
      if (n < buf.length) {
        assert.equal(n, 21 % 6);
        break;
      }
    }
    assert.deepEqual(
      got,
      Array.from({ length: 21 }, (_, i) => i % 251),
    );
    assert.equal(await chunker.fill(new Uint8Array(4), 'standard input'), 0, 'ended: 0 after');
  });

  it('an empty stream fills nothing', async () => {
    assert.equal(await new StreamChunker(chunks([])).fill(new Uint8Array(8), 'x'), 0);
  });

  it('a failing stream is the source unreadable, named', async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield await Promise.resolve(new Uint8Array(2));
      throw new Error('EIO');
    }
    await assert.rejects(
      new StreamChunker(broken()).fill(new Uint8Array(8), 'standard input'),
      (e) =>
        isAppError(e, 'ERR_FILE_UNREADABLE') && /standard input could not be read/.test(e.message),
    );
  });
});

describe('the largest stream', () => {
  it('is 10,000 parts of the part size, at most 5 TiB', () => {
    assert.equal(maxStreamSize(8 * MIB), 80_000 * MIB);
    assert.equal(maxStreamSize(5 * MIB), 50_000 * MIB);
    assert.equal(maxStreamSize(1024 * MIB), MAX_OBJECT_SIZE);
  });

  it('is refused past it with the cause and a part size that takes more', () => {
    const e = streamTooLarge('standard input', 8 * MIB);
    assert.equal(e.code, 'ERR_FILE_TOO_LARGE');
    assert.match(
      e.message,
      /standard input is longer than 78\.1 GiB, the most 10,000 parts of 8\.00 MiB can hold/,
    );
    assert.match(e.hint ?? '', /--part-size 64MiB takes up to 625\.0 GiB/);
  });
});
