/**
 * Reading a stream of unknown size into part buffers (stream-upload.ts), and the limit that the
 * unknown size puts on it: without the size the part size cannot be raised to fit 10,000 parts,
 * so the largest stream is part size x 10,000.
 */
import { formatBytes } from '../domain/duration.js';
import { MAX_OBJECT_SIZE, MAX_PARTS, MIB } from '../domain/part-size.js';
import { AppError } from '../errors/app-error.js';

/** The most bytes one stream upload takes in parts of `partSize` (78.1 GiB for 8 MiB). */
export function maxStreamSize(partSize: number): number {
  return Math.min(MAX_OBJECT_SIZE, partSize * MAX_PARTS);
}

/** The refusal of a stream's 10,001st part: what it can hold, and the part size that takes more. */
export function streamTooLarge(what: string, partSize: number): AppError {
  const bigger = Math.ceil((partSize * 8) / MIB);
  return new AppError(
    'ERR_FILE_TOO_LARGE',
    `${what} is longer than ${formatBytes(maxStreamSize(partSize))}, the most ${MAX_PARTS.toLocaleString('en')} parts of ${formatBytes(partSize)} can hold (without the size, the part size cannot grow); the upload was aborted`,
    {
      hint: `set --part-size to at least the stream's size / 10,000 (e.g. --part-size ${bigger}MiB takes up to ${formatBytes(maxStreamSize(bigger * MIB))}) and send it again`,
    },
  );
}

/** Fills buffers from an async iterable of chunks, in order, holding one chunk at most. */
export class StreamChunker {
  readonly #it: AsyncIterator<Uint8Array>;
  #rest: Uint8Array = new Uint8Array(0);
  #ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  /**
   * Fills `buffer` from the stream; returns the bytes put in (fewer only at the end). Rejects
   * ERR_FILE_UNREADABLE naming `what` when the stream fails.
   */
  async fill(buffer: Uint8Array, what: string): Promise<number> {
    let n = 0;
    while (n < buffer.byteLength) {
      if (this.#rest.byteLength === 0) {
        if (this.#ended) break;
        const next = await this.#next(what);
        if (next === undefined) {
          this.#ended = true;
          break;
        }
        this.#rest = next;
        continue;
      }
      const take = Math.min(buffer.byteLength - n, this.#rest.byteLength);
      buffer.set(this.#rest.subarray(0, take), n);
      n += take;
      this.#rest = this.#rest.subarray(take);
    }
    return n;
  }

  async #next(what: string): Promise<Uint8Array | undefined> {
    try {
      const next = await this.#it.next();
      return next.done === true ? undefined : next.value;
    } catch (err) {
      throw new AppError('ERR_FILE_UNREADABLE', `${what} could not be read: ${String(err)}`, {
        cause: err,
        hint: 'check the command that writes to s3ferry',
      });
    }
  }
}
