/**
 * Content-MD5 of part bodies on worker threads, so that the main thread (HTTP, the SDK, the
 * journal) never spends the time of a full MD5 pass over a big file. Bodies in shared memory
 * (BufferPool's part buffers) go to a worker without a copy; small or unshared bodies are hashed
 * inline, where a round trip to a worker would cost more than the hash. Idle workers do not keep
 * the process alive.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Md5Hasher } from '../transfer/transfer-types.js';
import type { Md5Answer, Md5Job } from './md5-worker.js';

/** Below this many bytes a body is hashed inline. */
export const MIN_OFFLOAD_BYTES = 256 * 1024;

interface Pending {
  resolve(md5: string): void;
  reject(err: Error): void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

/**
 * Workers for a process: one core is left to the main thread, and four are plenty (one hashes
 * about 600 MiB/s, faster than a part upload's network path here).
 */
export function md5Workers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

function inlineMd5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/**
 * An Md5Hasher on up to `workers` worker threads, started on first use. Jobs go to an idle worker,
 * else a new one while under `workers`, else the least busy. close() stops them.
 */
export class Md5WorkerPool implements Md5Hasher {
  readonly #size: number;
  readonly #minBytes: number;
  readonly #slots: Slot[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: { readonly workers: number; readonly minBytes?: number }) {
    this.#size = Math.max(1, options.workers);
    this.#minBytes = options.minBytes ?? MIN_OFFLOAD_BYTES;
  }

  md5Hex(data: Uint8Array): Promise<string> {
    if (
      this.#closed ||
      data.byteLength < this.#minBytes ||
      !(data.buffer instanceof SharedArrayBuffer)
    )
      return Promise.resolve(inlineMd5(data));
    // A worker that fails (out of memory, killed) costs time, never the upload: hash inline then.
    return this.#offload(data, data.buffer).catch(() => inlineMd5(data));
  }

  #offload(data: Uint8Array, buffer: SharedArrayBuffer): Promise<string> {
    const slot = this.#leastBusy();
    const id = this.#nextId++;
    const job: Md5Job = {
      id,
      buffer,
      offset: data.byteOffset,
      length: data.byteLength,
    };
    return new Promise<string>((resolve, reject) => {
      // A worker with work keeps the process alive (the main thread awaits its answer).
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage(job);
    });
  }

  /** Stops the workers; later calls hash inline. */
  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #leastBusy(): Slot {
    let best: Slot | undefined;
    for (const s of this.#slots)
      if (best === undefined || s.pending.size < best.pending.size) best = s;
    if (best !== undefined && (best.pending.size === 0 || this.#slots.length >= this.#size))
      return best;
    return this.#spawn();
  }

  #spawn(): Slot {
    const worker = new Worker(new URL('./md5-worker.js', import.meta.url));
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    this.#slots.push(slot);
    const settle = (id: number): Pending | undefined => {
      const p = slot.pending.get(id);
      slot.pending.delete(id);
      if (slot.pending.size === 0) worker.unref();
      return p;
    };
    worker.on('message', (answer: Md5Answer) => {
      const p = settle(answer.id);
      if ('md5' in answer) p?.resolve(answer.md5);
      else p?.reject(new Error(`MD5 worker: ${answer.error}`));
    });
    const fail = (err: Error): void => {
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots.splice(i, 1);
      for (const id of [...slot.pending.keys()]) settle(id)?.reject(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      fail(new Error(`MD5 worker exited (code ${String(code)})`));
    });
    return slot;
  }
}
