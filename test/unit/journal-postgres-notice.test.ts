/**
 * An unreachable PostgreSQL journal is said at once (issue 15, item 14): the first failed
 * connection attempt of an outage, or one still unanswered after a few seconds, gives one notice
 * naming host:port, never the password, saying that s3ferry retries. Before, nothing was said
 * until the whole retry time (60 s) had passed.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { createPostgresPool } from '../../src/journal/postgres/postgres-connection.js';
import { waitFor } from '../support/agent-process.js';
import { cliEnv, spawnCli } from '../support/cli.js';

const PASSWORD = 'pw-never-shown-4711';

/** A TCP server that accepts connections and never answers (a host that swallows the login). */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

describe('an unreachable PostgreSQL journal is said at once, with where', () => {
  it('a refused connection: one notice per outage, host:port, no password', async () => {
    const notices: string[] = [];
    const pool = createPostgresPool({
      url: `postgres://s3ferry:${PASSWORD}@127.0.0.1:1/journal`,
      maxConnections: 2,
      connectTimeoutMs: 10_000,
      onUnreachable: (m) => notices.push(m),
    });
    try {
      await assert.rejects(pool.db.query('SELECT 1'));
      await assert.rejects(pool.db.query('SELECT 1'));
    } finally {
      await pool.end();
    }
    assert.equal(notices.length, 1, notices.join('\n'));
    assert.match(
      notices[0] ?? '',
      /^the PostgreSQL journal at 127\.0\.0\.1:1 cannot be reached \(.*ECONNREFUSED.*\); retrying/,
    );
    assert.ok(!(notices[0] ?? '').includes(PASSWORD));
  });

  it('a server that never answers is said before its connection attempt times out', async () => {
    const server = await silentServer();
    const notices: string[] = [];
    const pool = createPostgresPool({
      url: `postgres://s3ferry:${PASSWORD}@127.0.0.1:${server.port}/journal`,
      maxConnections: 1,
      connectTimeoutMs: 120_000,
      onUnreachable: (m) => notices.push(m),
    });
    const query = pool.db.query('SELECT 1').catch((err: unknown) => err);
    try {
      await waitFor('the notice', () => Promise.resolve(notices[0]), 60_000);
      assert.match(
        notices[0] ?? '',
        new RegExp(
          `^the PostgreSQL journal at 127\\.0\\.0\\.1:${server.port} has not answered for 3 s; retrying`,
        ),
      );
      assert.ok(!(notices[0] ?? '').includes(PASSWORD));
    } finally {
      await server.close();
      await query;
      await pool.end();
    }
  });

  it('`s3ferry run` says so on stderr while it is still retrying, before giving up', async () => {
    const cli = spawnCli(
      ['run', '--journal', `postgres://s3ferry:${PASSWORD}@127.0.0.1:1/journal`, '--api-port', '0'],
      cliEnv({
        endpoint: 'http://127.0.0.1:1',
        accessKeyId: 'x',
        secretAccessKey: 'y',
        region: 'us-east-1',
      }),
    );
    let stderr = '';
    cli.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitFor(
        'the warning on stderr',
        () => Promise.resolve(/warning: /.test(stderr)),
        60_000,
      );
      assert.equal(cli.child.exitCode, null, 'still retrying: the error has not ended it yet');
      assert.match(
        stderr,
        /s3ferry: warning: the PostgreSQL journal at 127\.0\.0\.1:1 cannot be reached .*; retrying/,
      );
      assert.ok(!stderr.includes(PASSWORD));
    } finally {
      cli.child.kill('SIGKILL');
      await cli.result;
    }
  });
});
