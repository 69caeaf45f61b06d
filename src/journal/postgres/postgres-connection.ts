/**
 * The PostgreSQL journal's connections: a `pg` pool made from the journal URL, the narrow
 * {@link PgQueryable} surface the rest of the store uses, transactions, and which failures are the
 * connection's (worth retrying once the server is back) rather than the statement's.
 *
 * BIGINT columns come back as strings from `pg` by default; this pool parses them to numbers (its
 * own type parser, not the global one, so other users of `pg` in the process are not affected).
 * Every value the journal stores fits a double exactly (ids, sizes, ms times, inodes).
 *
 * A server that cannot be reached is said at once, not after the whole retry time: the first
 * failed connection attempt of an outage (refused, reset, no route), or one still unanswered
 * after {@link RETRY_NOTICE_AFTER_MS} (a host that drops packets), gives one notice naming
 * host:port (never the password) and saying that s3ferry keeps retrying. A connection that
 * opens ends the outage; the next one is said again (issue 15, item 14).
 */
import pg from 'pg';

/** SQLSTATE and errno codes of a failure of the connection, not of the statement. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01', // admin_shutdown: the server is stopping or restarting
  '57P02', // crash_shutdown: another backend crashed, the server resets
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
]);

/** Errors that abort the transaction, so running it again is safe and will likely succeed. */
const TRANSIENT_CODES = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/** `pg` reports some connection losses with a message and no code. */
const CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /not queryable/,
  /^timeout expired/,
  /^Client network socket disconnected/,
];

/** The driver's error code, if any. */
function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when `err` is the connection's failure (refused, reset, closed by a restarting server),
 * worth retrying once the server is back. SQLSTATE class 08 included.
 */
export function isConnectionFailure(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined) return CONNECTION_CODES.has(code) || code.startsWith('08');
  if (err instanceof AggregateError) return err.errors.some(isConnectionFailure);
  return err instanceof Error && CONNECTION_MESSAGES.some((re) => re.test(err.message));
}

/** pg-pool's answer when every connection stayed busy for the connect timeout. */
const POOL_BUSY = /^timeout exceeded when trying to connect/;

/**
 * True when running the operation again may succeed: a lost connection, a deadlock, a pool whose
 * connections were all busy.
 */
export function isRetryable(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined) return isConnectionFailure(err) || TRANSIENT_CODES.has(code);
  return isConnectionFailure(err) || (err instanceof Error && POOL_BUSY.test(err.message));
}

/** `pg`'s answer to a server asking for a password when it has none (not in the URL nor PGPASSWORD). */
const NO_PASSWORD = /client password must be a string/;

/**
 * Driver errors reported without a code get the SQLSTATE that says what they are, so the shared
 * error mapping names them: a connection loss gets 08006 (connection_failure, as libpq gives it),
 * a login without any password gets 28P01 (invalid_password), with a message saying so.
 */
export function withConnectionCode(err: unknown): unknown {
  if (!(err instanceof Error) || codeOf(err) !== undefined) return err;
  if (NO_PASSWORD.test(err.message)) {
    const message = 'the server asks for a password and none was given (in the URL or PGPASSWORD)';
    return Object.assign(new Error(message, { cause: err }), { code: '28P01' });
  }
  if (!isConnectionFailure(err)) return err;
  return Object.assign(new Error(err.message, { cause: err }), { code: '08006' });
}

/** The narrow surface of `pg` the store uses: one statement with positional parameters. */
export interface PgQueryable {
  query<R>(text: string, values?: readonly unknown[]): Promise<PgResult<R>>;
}

/** What a statement gave back. */
export interface PgResult<R> {
  readonly rows: R[];
  readonly rowCount: number | null;
}

/** This pool's type parsers: the defaults, except BIGINT (int8) as a number. */
const TYPES = new pg.TypeOverrides();
TYPES.setTypeParser(pg.types.builtins.INT8, (text: string) => Number(text));

/** How the pool connects. */
export interface PostgresPoolOptions {
  readonly url: string;
  /** Most connections at once (one per concurrent operation). */
  readonly maxConnections: number;
  /** How long one connection attempt may take, in ms. */
  readonly connectTimeoutMs: number;
  /**
   * Told once per outage that the server cannot be reached and s3ferry retries (a sentence naming
   * host:port, never the password). Default: a warning line on stderr.
   */
  readonly onUnreachable?: (message: string) => void;
}

/** An attempt to connect still unanswered after this long is said (a host that drops packets). */
export const RETRY_NOTICE_AFTER_MS = 3_000;

/** host:port of a journal URL, for messages (no user, no password). */
export function serverOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port === '' ? '5432' : u.port}`;
  } catch {
    return '(unparseable URL)';
  }
}

function warnOnStderr(message: string): void {
  process.stderr.write(`s3ferry: warning: ${message}\n`);
}

/** One notice per outage: the connection attempts of a pool report here. */
class OutageNotice {
  #said = false;

  constructor(
    private readonly server: string,
    private readonly say: (message: string) => void,
  ) {}

  /** An attempt begins; call the result with its outcome (undefined: connected). */
  begin(): (err: unknown) => void {
    const timer = setTimeout(() => {
      this.#tell(`has not answered for ${RETRY_NOTICE_AFTER_MS / 1000} s`);
    }, RETRY_NOTICE_AFTER_MS);
    timer.unref();
    return (err) => {
      clearTimeout(timer);
      if (err === undefined) this.#said = false;
      else if (isConnectionFailure(err)) this.#tell(`cannot be reached (${describe(err)})`);
    };
  }

  #tell(what: string): void {
    if (this.#said) return;
    this.#said = true;
    this.say(
      `the PostgreSQL journal at ${this.server} ${what}; retrying (operations wait for it ` +
        'and fail with ERR_JOURNAL_UNAVAILABLE if it stays away). Check that PostgreSQL runs ' +
        'there and that this host can reach it',
    );
  }
}

function describe(err: unknown): string {
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return code === undefined || message.includes(code) ? message : `${code}: ${message}`;
}

/** pg's Client, whose connection attempts report to `notice`. */
function watchedClient(notice: OutageNotice): typeof pg.Client {
  return class WatchedClient extends pg.Client {
    override connect(): Promise<pg.Client>;
    override connect(callback: (err: Error) => void): void;
    override connect(callback?: (err: Error) => void): Promise<pg.Client> | undefined {
      const end = notice.begin();
      if (callback === undefined)
        return super.connect().then(
          (client) => {
            end(undefined);
            return client;
          },
          (err: unknown) => {
            end(err);
            throw err;
          },
        );
      super.connect((err?: Error | null) => {
        end(err ?? undefined);
        callback(err as Error);
      });
      return undefined;
    }
  };
}

/** A pool and its queryable surface. */
export interface PostgresPool {
  readonly db: PgQueryable;
  /** Runs `fn` in one transaction on one connection: BEGIN, fn, COMMIT (ROLLBACK if it throws). */
  transaction<T>(fn: (db: PgQueryable) => Promise<T>): Promise<T>;
  /** Closes every connection once in-flight statements end. */
  end(): Promise<void>;
}

/** Makes the pool. Connections open lazily, on the first statement. */
export function createPostgresPool(options: PostgresPoolOptions): PostgresPool {
  const pool = new pg.Pool({
    connectionString: options.url,
    types: TYPES,
    max: options.maxConnections,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 's3ferry',
    Client: watchedClient(
      new OutageNotice(serverOf(options.url), options.onUnreachable ?? warnOnStderr),
    ),
  });
  // An idle connection the server closes (a restart, an administrator) is reported here and
  // dropped by the pool; the next statement opens a new one. Without a listener, the process dies.
  pool.on('error', () => undefined);
  const asQueryable = (target: pg.Pool | pg.PoolClient): PgQueryable => ({
    query: async (text: string, values?: readonly unknown[]) => {
      const result = await target.query(text, values === undefined ? undefined : [...values]);
      // The caller names the row type: the SQL it sent decides the columns.
      return { rows: result.rows as never[], rowCount: result.rowCount };
    },
  });
  return {
    db: asQueryable(pool),
    transaction: async (fn) => {
      const client = await pool.connect();
      // While checked out, a connection's errors come here (the pool only listens to idle ones).
      let broken: unknown;
      const onError = (err: unknown): void => {
        broken = err;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(asQueryable(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        broken ??= isConnectionFailure(err) ? err : undefined;
        if (broken === undefined) await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.off('error', onError);
        // A broken connection is destroyed rather than returned to the pool.
        client.release(broken === undefined ? undefined : true);
      }
    },
    end: () => pool.end(),
  };
}
