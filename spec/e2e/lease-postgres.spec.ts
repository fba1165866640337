/**
 * `postgresLease` against a real PostgreSQL server (Debian's `postgresql` package), in one process:
 * terms, waiting and handover, tokens, aborts, and the ways a term is lost (engine halted, server
 * not answering, session terminated, holder paused past its ttl). What the server holds is read back
 * from `pg_locks`, `pg_stat_activity` and its log.
 */
import { expect } from 'chai';
import pg from 'pg';
import { postgresLease } from '../../lib/lease/postgres/index.js';
import { LeaseLostError } from '../../lib/lease/term.js';
import { startPostgres, type PostgresServer } from './support/postgres.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const never = () => new AbortController().signal;

/** 'pending' when `promise` has not settled within `ms`. */
async function stateAfter(promise: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> {
  const settled = promise.then(
    () => 'settled' as const,
    () => 'settled' as const,
  );
  return Promise.race([settled, sleep(ms).then(() => 'pending' as const)]);
}

/**
 * Counts the timers set through the global `setTimeout` from now on that have neither fired nor been
 * cleared (mocha keeps its own reference, so its timeouts are not counted).
 */
function trackTimers(): { live(): number; restore(): void } {
  const pending = new Set<unknown>();
  const { setTimeout: set, clearTimeout: clear } = globalThis;
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const handle = set(() => {
      pending.delete(handle);
      callback(...args);
    }, ms);
    pending.add(handle);
    return handle;
  }) as typeof setTimeout;
  globalThis.clearTimeout = (handle: Parameters<typeof clearTimeout>[0]) => {
    pending.delete(handle);
    clear(handle);
  };
  return {
    live: () => pending.size,
    restore: () => Object.assign(globalThis, { setTimeout: set, clearTimeout: clear }),
  };
}

/** Asserts that fencing token `token` is greater than `than`, as integers. */
function expectNewer(token: string, than: string, message = `${token} > ${than}`): void {
  expect(BigInt(token) > BigInt(than), message).to.equal(true);
}

/** Prints a measured figure under the test's title. */
function note(line: string): void {
  process.stdout.write(`        ${line}\n`);
}

describe('postgresLease (a real PostgreSQL server)', function () {
  let server: PostgresServer;
  let admin: pg.Pool;
  const pools: pg.Pool[] = [];
  let names = 0;
  /** A lease name no other test used. */
  const fresh = () => `spec-${++names}`;

  /** A pool on the server, ended in after(); `max: 1` pins each lease to one connection. */
  function newPool(options: pg.PoolConfig = {}): pg.Pool {
    // No idle timeout: a pool's sockets and timers stay put between tests (see the last spec).
    const pool = new pg.Pool({
      ...server.connection,
      max: 1,
      idleTimeoutMillis: 0,
      connectionTimeoutMillis: 3000,
      ...options,
    });
    pool.on('error', () => {}); // idle connections die when the server halts
    pools.push(pool);
    return pool;
  }

  /** The backend pids holding the advisory lock of lease `name` in the database of `via`. */
  async function holders(name: string, via: pg.Pool = admin): Promise<number[]> {
    const { rows } = await via.query<{ pid: number }>(
      `SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 1
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
      [`rxmode:lease:${name}`],
    );
    return rows.map((row) => row.pid);
  }

  /** What a pool's only connection carries after use: its timeout and listened channels. */
  async function sessionState(pool: pg.Pool): Promise<{ idle: string; channels: number; locks: number }> {
    const { rows } = await pool.query<{ idle: string; channels: number; locks: number }>(
      `SELECT current_setting('idle_session_timeout') AS idle,
              (SELECT count(*)::int FROM pg_listening_channels()) AS channels,
              (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS locks`,
    );
    return rows[0]!;
  }

  before(async function () {
    this.timeout(60_000);
    server = await startPostgres();
    admin = newPool({ max: 2 });
  });

  after(async function () {
    this.timeout(30_000);
    await Promise.all(pools.map((pool) => pool.end().catch(() => {})));
    await server?.stop();
  });

  describe('options', () => {
    it('rejects a pool that is not a pg.Pool, or an ended one, with a TypeError naming pool', async () => {
      for (const pool of [undefined, null, {}, 'postgres://localhost/db']) {
        expect(() => postgresLease(pool as never, { name: 'jobs' })).to.throw(
          TypeError,
          /postgresLease: pool .*received/,
        );
      }
      const ended = newPool();
      await ended.end();
      expect(() => postgresLease(ended, { name: 'jobs' })).to.throw(TypeError, /pool must be open/);
    });

    it('rejects bad options with a TypeError naming the option and the value', () => {
      const pool = newPool();
      const cases: [options: unknown, message: RegExp][] = [
        [undefined, /options must be an object.*received undefined/],
        [{}, /options\.name must be a non-empty string; received undefined/],
        [{ name: '' }, /options\.name .*received ""/],
        [{ name: 'jobs', key: '' }, /options\.key .*received ""/],
        [{ name: 'jobs', ttl: 0 }, /options\.ttl .*received 0/],
        [{ name: 'jobs', ttl: 250 }, /options\.ttl must be at least 300 ms; received 250/],
        [{ name: 'jobs', ttl: '5 parsecs' }, /options\.ttl .*received "5 parsecs"/],
        [{ name: 'jobs', scheduler: 1 }, /unknown option scheduler/],
      ];
      for (const [options, message] of cases) {
        expect(() => postgresLease(pool, options as never), String(message)).to.throw(TypeError, message);
      }
      expect(postgresLease(pool, { name: 'jobs', key: 'custom', ttl: '2s' }).name).to.equal('jobs');
    });
  });

  describe('#acquire()', () => {
    it('holds the advisory lock for the term and gives a clean connection back on release()', async () => {
      const name = fresh();
      const pool = newPool();
      const term = await postgresLease(pool, { name, ttl: 1000 }).acquire(never());
      expect(term.token).to.match(/^[1-9]\d*$/);
      const [pid] = await holders(name);
      expect(pid).to.be.a('number');
      expect(pool.idleCount, 'the connection is checked out for the term').to.equal(0);

      await term.release();
      expect(await holders(name)).to.deep.equal([]);
      expect(pool.totalCount).to.equal(1);
      expect(pool.idleCount).to.equal(1);
      // The pool's only connection is the one that held the lock: restored, not listening, no lock.
      expect(await sessionState(pool)).to.deep.equal({ idle: '0', channels: 0, locks: 0 });
      const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      expect(rows[0]!.pid).to.equal(pid);
    });

    it('makes a second acquire() wait while the first holds, and hands the lease over at once on release()', async () => {
      const name = fresh();
      const first = await postgresLease(newPool(), { name, ttl: 1000 }).acquire(never());
      const second = postgresLease(newPool(), { name, ttl: 1000 }).acquire(never());
      expect(await stateAfter(second, 800), 'waits while held').to.equal('pending');

      const released = performance.now();
      await first.release();
      const term = await second;
      const handover = performance.now() - released;
      note(`release() → next acquire(): ${handover.toFixed(1)} ms`);
      expect(handover, 'well under the poll interval (100 ms): the release notifies the waiter').to.be.below(
        90,
      );
      expectNewer(term.token, first.token);
      await term.release();
    });

    it('gives tokens that strictly increase across terms, pools and lease objects', async () => {
      const name = fresh();
      const leases = [newPool(), newPool()].map((pool) => postgresLease(pool, { name, ttl: 1000 }));
      const tokens: bigint[] = [];
      for (let i = 0; i < 6; i++) {
        const term = await leases[i % 2]!.acquire(never());
        tokens.push(BigInt(term.token));
        await term.release();
      }
      for (let i = 1; i < tokens.length; i++)
        expect(tokens[i]! > tokens[i - 1]!, `${tokens.join(', ')}`).to.equal(true);
    });

    it('counts terms per key: another lease name starts its own counter', async () => {
      const term = await postgresLease(newPool(), { name: fresh(), key: 'spec:own-counter' }).acquire(
        never(),
      );
      expect(term.token).to.equal('1');
      await term.release();
    });

    it('rejects at once with signal.reason when the signal is already aborted, checking nothing out', async () => {
      const pool = newPool();
      const reason = new Error('shutting down');
      const acquired = postgresLease(pool, { name: fresh() }).acquire(AbortSignal.abort(reason));
      await acquired.then(
        () => expect.fail('acquired'),
        (error: unknown) => expect(error).to.equal(reason),
      );
      expect(pool.totalCount).to.equal(0);
    });

    it('rejects with signal.reason when aborted while waiting, and leaves nothing held', async () => {
      const name = fresh();
      const holder = await postgresLease(newPool(), { name, ttl: 1000 }).acquire(never());
      const pool = newPool();
      const controller = new AbortController();
      const waiting = postgresLease(pool, { name, ttl: 1000 }).acquire(controller.signal);
      expect(await stateAfter(waiting, 400)).to.equal('pending');

      const reason = new Error('stop requested');
      const aborted = performance.now();
      controller.abort(reason);
      const error = await waiting.then(
        () => expect.fail('acquired'),
        (e: unknown) => e,
      );
      expect(error).to.equal(reason);
      expect(performance.now() - aborted, 'rejects without waiting for the engine').to.be.below(50);

      // Its connection goes back to the pool as it came: no timeout, no LISTEN, no lock.
      for (let i = 0; i < 50 && pool.idleCount < 1; i++) await sleep(20);
      expect(pool.idleCount).to.equal(1);
      expect(await sessionState(pool)).to.deep.equal({ idle: '0', channels: 0, locks: 0 });

      await holder.release();
      const next = await postgresLease(newPool(), { name, ttl: 1000 }).acquire(never());
      expect(await holders(name)).to.have.length(1);
      await next.release();
    });

    it('rejects with the engine error when a query fails, and releases the lock it took', async () => {
      // PostgreSQL 15 lets only the owner create in schema public: this role can lock but not create the table.
      await admin.query('CREATE ROLE rxmode_reader LOGIN');
      await admin.query('CREATE DATABASE rxmode_bare');
      const bareAdmin = newPool({ database: 'rxmode_bare' });
      const name = fresh();
      const pool = newPool({ database: 'rxmode_bare', user: 'rxmode_reader' });
      const error = await postgresLease(pool, { name })
        .acquire(never())
        .then(
          () => expect.fail('acquired'),
          (e: unknown) => e as { code?: string; message: string },
        );
      expect(error.code).to.equal('42501'); // insufficient_privilege, straight from the driver
      expect(error.message).to.match(/permission denied for schema public/);

      for (let i = 0; i < 50 && pool.idleCount < 1; i++) await sleep(20);
      expect(await holders(name, bareAdmin)).to.deep.equal([]);
      expect(await sessionState(pool)).to.deep.equal({ idle: '0', channels: 0, locks: 0 });
      // A role that may create the table gets the lease there at once, starting the count.
      const term = await postgresLease(bareAdmin, { name }).acquire(never());
      expect(term.token).to.equal('1');
      await term.release();
    });
  });

  describe('a held term', () => {
    it('stays held past its idle_session_timeout while renewals run', async () => {
      const name = fresh();
      const term = await postgresLease(newPool(), { name, ttl: 1000 }).acquire(never());
      const [pid] = await holders(name);
      expect(await stateAfter(term.lost, 3500), 'lost').to.equal('pending');
      expect(await holders(name)).to.deep.equal([pid]);
      await term.release();
    });

    it('is released idempotently, and a released term is never lost', async () => {
      const name = fresh();
      const term = await postgresLease(newPool(), { name, ttl: 1000 }).acquire(never());
      const first = term.release();
      const second = term.release();
      expect(second).to.equal(first);
      await Promise.all([first, second]);
      await term.release();
      expect(await holders(name)).to.deep.equal([]);
      expect(await stateAfter(term.lost, 1500)).to.equal('pending');
    });

    it('settles lost at once when its session is terminated, and its connection is not reused', async () => {
      const name = fresh();
      const pool = newPool();
      const term = await postgresLease(pool, { name, ttl: 2000 }).acquire(never());
      const [pid] = await holders(name);
      const killed = performance.now();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      const reason = await term.lost;
      note(`session terminated → lost: ${(performance.now() - killed).toFixed(1)} ms`);
      expect(reason).to.be.instanceOf(LeaseLostError);
      expect((reason as Error).message).to.match(/terminating connection due to administrator command/);
      expect(pool.totalCount, 'the dead connection left the pool').to.equal(0);
      await term.release(); // after a loss: resolves, does nothing
      const next = await postgresLease(newPool(), { name }).acquire(never());
      expectNewer(next.token, term.token);
      await next.release();
    });

    it('settles lost within ttl minus the margin when the server stops answering its renewals', async () => {
      const name = fresh();
      const ttl = 1500; // margin 300 ms, renewals every 500 ms: trusted for at most 1200 ms after one is sent
      const pool = newPool();
      const term = await postgresLease(pool, { name, ttl }).acquire(never());
      const [pid] = await holders(name);
      const frozen = performance.now();
      process.kill(pid!, 'SIGSTOP'); // the backend holds the lock but answers nothing
      try {
        const reason = await term.lost;
        const after = performance.now() - frozen;
        note(`server stopped answering → lost: ${after.toFixed(0)} ms (ttl ${ttl} ms)`);
        expect(reason).to.be.instanceOf(LeaseLostError);
        expect((reason as Error).message).to.match(/not renewed within its ttl/);
        expect(after).to.be.below(ttl - 300 + 150);
        expect(pool.totalCount, 'the unanswered connection was destroyed').to.equal(0);
      } finally {
        process.kill(pid!, 'SIGCONT');
      }
      // The backend finds its client gone, ends, and the lock goes with it.
      const next = await postgresLease(newPool(), { name, ttl }).acquire(AbortSignal.timeout(5000));
      expectNewer(next.token, term.token);
      await next.release();
    });

    it('of a paused holder is ended by the server after the ttl, and settles lost as the holder wakes', async () => {
      const name = fresh();
      const ttl = 1000;
      const term = await postgresLease(newPool(), { name, ttl }).acquire(never());
      const [pid] = await holders(name);
      // A paused process: nothing of it runs, renewals included, for two and a half ttls.
      const wakeAt = performance.now() + 2.5 * ttl;
      while (performance.now() < wakeAt);
      const reason = await term.lost;
      expect(performance.now() - wakeAt, 'lost as soon as it runs again').to.be.below(100);
      expect(reason).to.be.instanceOf(LeaseLostError);
      // Meanwhile the server ended the session (and its lock) on its own, a ttl after the last renewal.
      const line = `[${pid}] FATAL:  terminating connection due to idle-session timeout`;
      for (let i = 0; i < 50 && !server.output().includes(line); i++) await sleep(20);
      expect(server.output()).to.include(line);
      expect(await holders(name)).to.deep.equal([]);
    });

    it('settles lost when the engine halts; acquire() rejects with the connection error until it is back', async function () {
      this.timeout(60_000);
      const name = fresh();
      const ttl = 1000;
      const term = await postgresLease(newPool(), { name, ttl }).acquire(never());
      const other = postgresLease(newPool(), { name, ttl });
      const waiting = other.acquire(never());
      expect(await stateAfter(waiting, 300)).to.equal('pending');
      const halted = performance.now();
      const halting = server.halt();
      const reason = await term.lost;
      const lostAfter = performance.now() - halted;
      note(`engine halted → lost: ${lostAfter.toFixed(1)} ms (ttl ${ttl} ms)`);
      expect(reason).to.be.instanceOf(LeaseLostError);
      expect(lostAfter).to.be.below(ttl + 500);
      // The waiter's connection was ended too: its acquire() reports that instead of hanging.
      const waitError = await waiting.then(
        () => expect.fail('acquired while halted'),
        (e: unknown) => e as Error,
      );
      expect(waitError.message).to.match(/terminating connection due to administrator command/);
      await halting;

      const refused = await other.acquire(never()).then(
        () => expect.fail('acquired while halted'),
        (e: unknown) => e as { code?: string },
      );
      expect(refused.code).to.equal('ECONNREFUSED');

      await server.resume();
      const next = await other.acquire(never());
      expectNewer(next.token, term.token, 'the counter survived the restart');
      await next.release();
    });
  });

  it('leaves no timer, listener or socket behind once its terms are released or lost and the pool ends', async () => {
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const timers = trackTimers(); // unref'd timers are invisible to getActiveResourcesInfo()
    try {
      await admin.query('SELECT 1'); // its connections are open before counting
      const socketsBefore = sockets();
      const name = fresh();
      const pool = new pg.Pool({ ...server.connection, max: 3 });
      pool.on('error', () => {});
      const listenerCounts = (client: pg.PoolClient) =>
        ['error', 'end', 'notification'].map((event) => client.listenerCount(event)).join(',');
      const pristine = await pool.connect();
      pristine.release();
      const baseline = listenerCounts(pristine); // the pool's own idle listener, nothing else
      const returned: pg.PoolClient[] = [];
      pool.on('release', (_error: unknown, client: pg.PoolClient) => returned.push(client));

      const lease = postgresLease(pool, { name, ttl: 1000 });
      const first = await lease.acquire(never());
      const controller = new AbortController();
      const waiting = lease.acquire(controller.signal);
      await sleep(250);
      controller.abort();
      await waiting.catch(() => {});
      await first.release();
      const second = await lease.acquire(never());
      const [pid] = await holders(name);
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await second.lost;

      for (let i = 0; i < 50 && returned.length < 3; i++) await sleep(20);
      expect(returned.map(listenerCounts)).to.deep.equal([baseline, baseline, baseline]);
      await pool.end();
      for (let i = 0; i < 50 && sockets() > socketsBefore; i++) await sleep(20);
      expect(sockets()).to.equal(socketsBefore);
      expect(timers.live(), 'timers still pending').to.equal(0);
    } finally {
      timers.restore();
    }
  });
});
