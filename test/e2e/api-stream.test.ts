/**
 * The live stream /api/v1/stream on a real socket: a slow upload (bandwidth-limited) sends
 * `transfers` ticks with growing bytes, then `file.done`, then an empty `transfers`; heartbeats
 * keep the connection open; a client that goes away leaves no listener behind; closing the API
 * ends open streams.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { EventRecord } from '../../src/journal/journal-store.js';
import { waitFor } from '../support/agent-process.js';
import { createTestBucket, rgwServer, type S3ServerInfo } from '../support/s3-server.js';
import { makeTmpDir } from '../support/tmp.js';
import { openStream, rgwDestination, startInProcess, type InProcessAgent } from './api-support.js';

interface Transfers {
  items: {
    path: string;
    size: number;
    bytesDone: number;
    bytesPerSec: number;
    etaMs: number | null;
  }[];
}

const MIB = 1024 * 1024;

describe('API live stream (server-sent events)', () => {
  let info: S3ServerInfo;
  let bucket: { name: string; cleanup(): Promise<void> };
  let tmp: { path: string; cleanup(): Promise<void> };
  let api: InProcessAgent;
  let inbox: string;
  let listeners = 0;

  before(async () => {
    info = await rgwServer();
    bucket = await createTestBucket(info, 'api-stream');
    tmp = await makeTmpDir('api-stream');
    inbox = join(tmp.path, 'inbox');
    await mkdir(inbox, { recursive: true });
    // 12 MiB in 5 MiB parts at 3 MiB/s: about four seconds of upload, progress after each part.
    const yaml = `jobs:
  - name: slow
    sources: [${JSON.stringify(inbox)}]
    settle: 1s
${rgwDestination(info, bucket.name, '      partSize: 5MiB\n      multipartThreshold: 5MiB\n      concurrency: 1\n      bwlimit: 3MiB\n')}`;
    api = await startInProcess(join(tmp.path, 'agent'), yaml, {
      stream: { heartbeatMs: 300 },
      wrapEvents: (events) => ({
        subscribe: (listener) => {
          listeners += 1;
          const unsubscribe = events.subscribe(listener);
          return () => {
            listeners -= 1;
            unsubscribe();
          };
        },
      }),
    });
  });

  after(async () => {
    await api.close();
    await bucket.cleanup();
    await tmp.cleanup();
  });

  it('sends transfers ticks while a file uploads, then file.done, then an empty tick', async () => {
    const stream = await openStream(`${api.url}/api/v1/stream`, {
      authorization: `Bearer ${api.token ?? ''}`,
    });
    assert.equal(stream.status, 200);
    const path = join(inbox, 'big.bin');
    try {
      await writeFile(path, randomBytes(12 * MIB));
      await waitFor('file.done on the stream', () =>
        Promise.resolve(
          stream.messages.some(
            (m) => m.event === 'event' && (JSON.parse(m.data) as EventRecord).type === 'file.done',
          ),
        ),
      );
      await waitFor(
        'an empty transfers tick after it',
        () => {
          const last = stream.messages.filter((m) => m.event === 'transfers').at(-1);
          return Promise.resolve(
            last !== undefined && (JSON.parse(last.data) as Transfers).items.length === 0,
          );
        },
        5000,
      );
    } finally {
      await stream.close();
    }
    const ticks = stream.messages
      .filter((m) => m.event === 'transfers')
      .map((m) => JSON.parse(m.data) as Transfers)
      .filter((t) => t.items.length > 0);
    assert.ok(ticks.length >= 2, `ticks while uploading: ${ticks.length}`);
    const done = ticks.map((t) => t.items[0]!);
    assert.ok(done.every((t) => t.path === path && t.size === 12 * MIB));
    const bytes = done.map((t) => t.bytesDone);
    assert.deepEqual(
      bytes,
      [...bytes].sort((a, b) => a - b),
      'bytes done only grow',
    );
    assert.ok(bytes.at(-1)! > 0, 'progress was reported');
    const moving = done.find((t) => t.bytesPerSec > 0);
    assert.ok(moving !== undefined, 'a speed was measured');
    assert.ok(moving.etaMs !== null && moving.etaMs >= 0);
    const events = stream.messages
      .filter((m) => m.event === 'event')
      .map((m) => JSON.parse(m.data) as EventRecord);
    const fileDone = events.find((e) => e.type === 'file.done');
    assert.equal(fileDone?.path, path);
    assert.ok(events.some((e) => e.type === 'upload.finished'));
    assert.ok(fileDone.id > 0 && typeof fileDone.at === 'number');
    assert.match(stream.raw(), /^: heartbeat$/m, 'heartbeat comments');
  });

  it('a client that disconnects leaves no listener behind', async () => {
    await waitFor('earlier streams gone', () => Promise.resolve(listeners === 0), 5000);
    const before = listeners;
    const streams = await Promise.all(
      [1, 2, 3].map(() =>
        openStream(`${api.url}/api/v1/stream`, { authorization: `Bearer ${api.token ?? ''}` }),
      ),
    );
    await waitFor('three listeners', () => Promise.resolve(listeners === before + 3), 5000);
    for (const s of streams) await s.close();
    await waitFor('listeners removed', () => Promise.resolve(listeners === before), 5000);
  });

  it('closing the API ends open streams', async () => {
    const stream = await openStream(`${api.url}/api/v1/stream`, {
      authorization: `Bearer ${api.token ?? ''}`,
    });
    await sleep(100);
    const closing = api.app.close();
    await Promise.race([
      closing,
      sleep(5000).then(() => {
        throw new Error('app.close() hangs on an open stream');
      }),
    ]);
    await stream.close();
    assert.equal(listeners, 0);
  });
});
