/**
 * The worker side of Md5WorkerPool: hashes a range of shared memory and answers with the hex MD5.
 * It never copies the bytes; the main thread keeps them unchanged until the answer comes.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/** A job: `length` bytes at `offset` of `buffer`. */
export interface Md5Job {
  readonly id: number;
  readonly buffer: SharedArrayBuffer;
  readonly offset: number;
  readonly length: number;
}

export type Md5Answer =
  { readonly id: number; readonly md5: string } | { readonly id: number; readonly error: string };

parentPort?.on('message', (job: Md5Job) => {
  let answer: Md5Answer;
  try {
    const view = new Uint8Array(job.buffer, job.offset, job.length);
    answer = { id: job.id, md5: createHash('md5').update(view).digest('hex') };
  } catch (err) {
    answer = { id: job.id, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(answer);
});
