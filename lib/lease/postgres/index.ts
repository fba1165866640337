/**
 * The PostgreSQL lease (`rxmode/lease/postgres`): a session advisory lock held on one connection of
 * the application's `pg.Pool` for the whole term, a counter row for fencing tokens, and a server-side
 * idle timeout on that session, so that a holder that stops renewing loses the lock on the server.
 */
import type { Notification, Pool, PoolClient, QueryResult } from 'pg';
import type { Duration } from '../../duration.js';
import { show } from '../../internal/format.js';
import type { Lease, LeaseTerm } from '../../lease.js';
import { leaseSettings, type LeaseSettings } from '../options.js';
import { HeldTerm, LeaseLostError } from '../term.js';

/** The reason a term ends without a release (`lost`, and the `leader` event that reports it). */
export { LeaseLostError } from '../term.js';

/** Options of {@link postgresLease}. */
export interface PostgresLeaseOptions {
  /** The lease's name: shown in `leader` events, metrics and the dashboard. */
  readonly name: string;
  /**
   * The text the advisory lock key is hashed from (`hashtextextended(key, 0)` on the server) and the
   * row of `rxmode_lease_terms` that counts its terms. Replicas that compete share it.
   *
   * @defaultValue `rxmode:lease:<name>`
   */
  readonly key?: string;
  /**
   * How long the server keeps the session (and so the lock) of a holder that stopped renewing: the
   * session's `idle_session_timeout`. The holder renews every `ttl / 3` and stops trusting its term
   * at `ttl` minus a margin (a fifth of it, at least 100 ms) after the last renewal it sent.
   *
   * @defaultValue `'10s'`
   */
  readonly ttl?: Duration;
}

/** The table that counts terms; created on first use. */
const TERMS_TABLE = 'rxmode_lease_terms';
/** The channel a release notifies, so that waiting replicas try at once instead of at their next poll. */
const CHANNEL = 'rxmode_lease';

const LOCK_SQL = 'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked';
const TOKEN_SQL =
  `INSERT INTO ${TERMS_TABLE} (key, term) VALUES ($1, 1) ` +
  `ON CONFLICT (key) DO UPDATE SET term = ${TERMS_TABLE}.term + 1 RETURNING term::text AS term`;
const CREATE_SQL = `CREATE TABLE IF NOT EXISTS ${TERMS_TABLE} (key text PRIMARY KEY, term bigint NOT NULL)`;
const RESTORE_SQL =
  "SELECT set_config('idle_session_timeout', $1, false), set_config('idle_in_transaction_session_timeout', $2, false)";
const UNLOCK_SQL = `SELECT pg_advisory_unlock(hashtextextended($1, 0)) AS unlocked, pg_notify('${CHANNEL}', $1)`;

/**
 * A {@link Lease} held as a PostgreSQL session advisory lock, for `LeaderService`.
 *
 * @remarks
 * - **Mechanism.** `acquire()` checks a connection out of `pool` and keeps it for the whole term. It
 *   sets `idle_session_timeout` and `idle_in_transaction_session_timeout` to the ttl on that session,
 *   then polls `pg_try_advisory_lock(hashtextextended(key, 0))` every tenth of the ttl (at most a
 *   second), and at once when a holder's release notifies the `rxmode_lease` channel, until it gets
 *   the lock. Any signal abort ends the wait.
 * - **Token.** Once the lock is held, one statement increments the row of `key` in the table
 *   `rxmode_lease_terms (key text primary key, term bigint)` and returns the new term as the fencing
 *   token. The table is created (`CREATE TABLE IF NOT EXISTS`, in the first schema of the search
 *   path) on first use: the pool's role needs the right to create it there, or to insert into and
 *   update it when an administrator created it.
 * - **Renewal and margin.** An advisory lock never expires by itself; the idle timeout bounds it: the
 *   server ends a session idle for the ttl, and with it the lock. The holder keeps its session busy
 *   with `SELECT 1` every `ttl / 3` and stops trusting the term (settles `lost`) at the ttl minus a
 *   margin (a fifth of it, at least 100 ms) after the last renewal it sent, on a monotonic clock. A
 *   paused process (SIGSTOP, a long GC) therefore settles `lost` before the server can give the lock
 *   to another replica, and the server gives it away about a ttl after the pause began.
 * - **Failures.** An error or the end of the held connection settles `lost` with a
 *   `LeaseLostError` whose `cause` is the connection's error; so does a renewal that cannot reach the
 *   server in time. A failure while acquiring (the pool cannot connect, a query fails) rejects
 *   `acquire()` with the driver's error, after giving up whatever was taken.
 * - **Release.** `release()` unlocks, notifies the waiters, restores the session's two timeouts and
 *   gives the connection back to the pool; a connection whose term was lost, or whose unlock failed
 *   or took longer than the ttl, is destroyed (`client.release(true)`) and never reused.
 * - **Requirements.** PostgreSQL 14 or later (`idle_session_timeout`); a direct connection or a
 *   session-mode pooler (a transaction-mode PgBouncer breaks session locks); one pool connection per
 *   term and per waiting `acquire()`; the pool should have an `'error'` listener, as pg asks of any
 *   pool. Two different keys share a lock only if their 64-bit hashes collide.
 *
 * @param pool - a `pg.Pool` (only its `connect()` is used)
 * @param options - see {@link PostgresLeaseOptions}
 * @throws TypeError when `pool` has no `connect()` or was ended, when `name` is missing, `key` is
 * empty, `ttl` is not a duration of at least 300 ms, or an option is unknown.
 * @example
 * ```ts
 * import pg from 'pg';
 * import { LeaderService } from 'rxmode';
 * import { postgresLease } from 'rxmode/lease/postgres';
 *
 * const pool = new pg.Pool({ connectionString: 'postgres://app@127.0.0.1/app' });
 * pool.on('error', (error) => console.error('idle client', error));
 * const leader = new LeaderService(postgresLease(pool, { name: 'scheduler', ttl: '15s' }));
 * ```
 */
export function postgresLease(pool: Pool, options: PostgresLeaseOptions): Lease {
  if (
    typeof pool !== 'object' ||
    pool === null ||
    typeof (pool as { connect?: unknown }).connect !== 'function'
  ) {
    throw new TypeError(
      `postgresLease: pool must be a pg.Pool (an object with connect()); received ${show(pool)}`,
    );
  }
  if ((pool as { ending?: unknown }).ending === true) {
    throw new TypeError('postgresLease: pool must be open; received a pool whose end() was called');
  }
  const settings = leaseSettings('postgresLease', options, ['name', 'key', 'ttl'], {
    ttl: '10s',
    keyPrefix: 'rxmode:lease:',
  });
  return { name: settings.name, acquire: (signal) => acquire(pool, settings, signal) };
}

/** Races one acquisition against `signal`: an abort rejects at once, and the attempt gives up what it took. */
function acquire(pool: Pool, settings: LeaseSettings, signal: AbortSignal): Promise<LeaseTerm> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<LeaseTerm>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    attempt(pool, settings, signal)
      .then((term) => {
        // An abort between the attempt's last check and here: nobody will take this term.
        if (signal.aborted) void term.release();
        else resolve(term);
      }, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function attempt(pool: Pool, settings: LeaseSettings, signal: AbortSignal): Promise<LeaseTerm> {
  const client = await pool.connect();
  const session = new Session(client, settings);
  let locked = false;
  try {
    signal.throwIfAborted();
    await session.prepare();
    signal.throwIfAborted();
    const pollMs = Math.min(1000, Math.max(20, settings.ttlMs / 10));
    for (;;) {
      session.notified = false;
      const { rows } = await client.query<{ locked: boolean }>(LOCK_SQL, [settings.key]);
      locked = rows[0]?.locked === true;
      signal.throwIfAborted();
      if (locked) break;
      await session.pause(pollMs, signal);
      signal.throwIfAborted();
      session.throwIfFailed(); // the connection's own error, rather than pg's "not queryable"
    }
    await client.query(`UNLISTEN ${CHANNEL}`);
    const sentAt = performance.now();
    const token = await nextToken(client, settings.key);
    signal.throwIfAborted();
    return session.hold(token, sentAt);
  } catch (error) {
    void session.giveBack(locked);
    throw error;
  }
}

/** Increments and returns the term counter of `key`, creating the table when it is missing. */
async function nextToken(client: PoolClient, key: string): Promise<string> {
  const run = () => client.query<{ term: string }>(TOKEN_SQL, [key]);
  let result: QueryResult<{ term: string }>;
  try {
    result = await run();
  } catch (error) {
    if (codeOf(error) !== '42P01') throw error; // undefined_table
    await client.query(CREATE_SQL).catch((createError: unknown) => {
      // Another session created it at the same moment: duplicate_table, or unique_violation on its type.
      if (!['42P07', '23505'].includes(codeOf(createError) ?? '')) throw createError;
    });
    result = await run();
  }
  const term = result.rows[0]?.term;
  if (term === undefined) throw new Error(`postgresLease: ${TERMS_TABLE} returned no term for ${show(key)}`);
  return term;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Rejects when `promise` takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The connection checked out for one acquisition and, when it succeeds, its term. */
class Session {
  /** Set when the holder's release notified our key; reset before each lock attempt. */
  notified = false;
  readonly #client: PoolClient;
  readonly #settings: LeaseSettings;
  /** The timeouts found at checkout; undefined before `prepare()`, or when it failed midway. */
  #previous: [idle: string, idleInTransaction: string] | undefined;
  #isPrepared = false;
  #failure: unknown;
  #term: HeldTerm | undefined;
  #wake: (() => void) | undefined;
  #returned = false;

  constructor(client: PoolClient, settings: LeaseSettings) {
    this.#client = client;
    this.#settings = settings;
    client.on('error', this.#onError);
    client.on('end', this.#onEnd);
    client.on('notification', this.#onNotification);
  }

  /** Bounds the session by the ttl on the server and listens for releases; remembers what it changed. */
  async prepare(): Promise<void> {
    const ms = Math.ceil(this.#settings.ttlMs);
    this.#isPrepared = true;
    const results = (await this.#client.query(
      "SELECT current_setting('idle_session_timeout') AS idle, " +
        "current_setting('idle_in_transaction_session_timeout') AS idle_in_transaction; " +
        `SET idle_session_timeout = ${ms}; SET idle_in_transaction_session_timeout = ${ms}; LISTEN ${CHANNEL}`,
    )) as unknown as QueryResult<{ idle: string; idle_in_transaction: string }>[];
    const row = results[0]?.rows[0];
    if (row) this.#previous = [row.idle, row.idle_in_transaction];
  }

  /** Throws the error that ended the connection, if it did. */
  throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Waits `ms`, or less when a release of our key was notified, the connection failed or `signal` aborts. */
  pause(ms: number, signal: AbortSignal): Promise<void> {
    if (this.notified || this.#failure !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref?.();
      signal.addEventListener('abort', done, { once: true });
      this.#wake = done;
    });
  }

  /** Starts the term: renewals every `ttl / 3`, trusted until the ttl minus the margin after `sentAt`. */
  hold(token: string, sentAt: number): HeldTerm {
    const { ttlMs, key } = this.#settings;
    let isReleased = false;
    const term = new HeldTerm({
      ...this.#settings,
      token,
      renew: async () => {
        await this.#client.query('SELECT 1');
        return true;
      },
      release: async () => {
        isReleased = await within(this.#unlock(key), ttlMs).catch(() => false);
      },
      close: () => this.#return(!isReleased),
    });
    term.renewed(sentAt); // the session has been bounded since before this query was sent
    this.#term = term;
    if (this.#failure !== undefined) this.#lose(this.#failure);
    return term;
  }

  /** After a failed or aborted acquisition: unlocks when `locked`, restores the session and returns it. */
  async giveBack(locked: boolean): Promise<void> {
    let isClean = false;
    try {
      isClean = await within(
        locked ? this.#unlock(this.#settings.key) : this.#restore(),
        this.#settings.ttlMs,
      );
    } catch {
      // destroyed below
    }
    this.#return(!isClean);
  }

  /** Unlocks `key`, notifies the waiters and restores the session; true when the lock was ours. */
  async #unlock(key: string): Promise<boolean> {
    if (this.#failure !== undefined) return false;
    const { rows } = await this.#client.query<{ unlocked: boolean }>(UNLOCK_SQL, [key]);
    return rows[0]?.unlocked === true && (await this.#restore());
  }

  /** Puts back the timeouts found at checkout and stops listening; true when the session is clean. */
  async #restore(): Promise<boolean> {
    if (this.#failure !== undefined) return false;
    if (!this.#isPrepared) return true;
    if (!this.#previous) return false;
    await this.#client.query(RESTORE_SQL, this.#previous);
    await this.#client.query(`UNLISTEN ${CHANNEL}`);
    return true;
  }

  /** Hands the connection back to the pool, or destroys it; once. */
  #return(destroy: boolean): void {
    if (this.#returned) return;
    this.#returned = true;
    this.#wake?.();
    this.#client.off('notification', this.#onNotification);
    this.#client.off('end', this.#onEnd);
    this.#client.off('error', this.#onError); // the pool puts its own listener back in release()
    this.#client.release(destroy || this.#failure !== undefined);
  }

  #lose(cause: unknown): void {
    const message = `the PostgreSQL session holding the lease ended: ${show(cause)}`;
    this.#term?.lose(new LeaseLostError(message, { cause }));
  }

  readonly #onError = (error: unknown): void => {
    this.#failure ??= error;
    this.#wake?.();
    this.#lose(error);
  };

  readonly #onEnd = (): void => this.#onError(new Error('the connection ended'));

  readonly #onNotification = (message: Notification): void => {
    if (message.channel !== CHANNEL || message.payload !== this.#settings.key) return;
    this.notified = true;
    this.#wake?.();
  };
}
