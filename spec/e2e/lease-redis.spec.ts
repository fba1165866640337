/**
 * `redisLease` against a real Redis (Debian's `redis-server`): terms, tokens, waiting and release,
 * aborts, engine errors, a Redis that goes away under a held term and comes back, and what a term
 * leaves behind. A missing `redis-server` fails the spec with the `apt-get install` line.
 */
import { expect } from 'chai';
import { getEventListeners } from 'node:events';
import { createClient } from 'redis';
import type { Lease } from '../../lib/lease.js';
import { redisLease } from '../../lib/lease/redis/index.js';
import redis, { type RedisFixtureClient } from './fixtures/engines/redis.js';
import { startRedis } from './support/redis.js';
import type { EngineServer } from './support/failover-suite.js';
import { settledWithin, sleep } from './support/timing.js';

const TTL = 1_500; // renewals every 500 ms, trusted until 1 200 ms after the last one, polls every 75 ms

/** Records the timers that code under `lib/lease/` sets itself (not node-redis's own), until `restore()`: `pending()` lists those neither fired nor cleared. */
function trackLeaseTimers() {
  const { setTimeout: realSet, clearTimeout: realClear } = globalThis;
  const live = new Map<unknown, string>();
  let seen = 0;
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const stack = new Error().stack ?? '';
    const caller = stack.split('\n')[2] ?? ''; // below "Error" and this function: who set the timer
    const handle = realSet(() => {
      live.delete(handle);
      callback(...args);
    }, ms);
    if (/lib[\\/]lease[\\/]/.test(caller)) {
      live.set(handle, stack);
      seen++;
    }
    return handle;
  }) as typeof setTimeout;
  globalThis.clearTimeout = (handle?: Parameters<typeof clearTimeout>[0]) => {
    live.delete(handle);
    realClear(handle);
  };
  return {
    pending: () => [...live.values()],
    /** How many timers were recorded in all (the tracking works). */
    seen: () => seen,
    restore: () => {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    },
  };
}

describe('redisLease against a real Redis', function () {
  let server: EngineServer | undefined;
  const clients: RedisFixtureClient[] = [];
  let counter = 0;

  before(async () => {
    server = await startRedis();
  });

  after(async () => {
    await Promise.all(clients.splice(0).map((client) => redis.close(client)));
    await server?.stop();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => redis.close(client)));
  });

  async function connect(): Promise<RedisFixtureClient> {
    const client = await redis.connect(server!.address);
    clients.push(client);
    return client;
  }

  /** A lease name of its own for each use. */
  const freshName = () => `spec-${process.pid}-${++counter}`;
  const keyOf = (name: string) => `rxmode:lease:${name}`;

  describe('#acquire()', () => {
    it('holds the key with a ttl while the term lasts, and release() deletes it', async () => {
      const client = await connect();
      const name = freshName();
      const lease = redisLease(client, { name, ttl: TTL });
      expect(lease.name).to.equal(name);
      const term = await lease.acquire(new AbortController().signal);
      expect(term.token).to.match(/^[1-9]\d*$/);
      expect(await client.exists(keyOf(name))).to.equal(1);
      const pttl = await client.pTTL(keyOf(name));
      expect(pttl).to.be.within(1, TTL);
      await sleep(TTL * 1.5); // past the ttl: only the renewals keep the key
      expect(await client.exists(keyOf(name))).to.equal(1);
      await term.release();
      expect(await client.exists(keyOf(name))).to.equal(0);
      expect(await settledWithin(term.lost, TTL)).to.equal('pending');
    });

    it('waits while another client holds the lease and takes it soon after release()', async function () {
      this.timeout(20_000);
      const [a, b] = [await connect(), await connect()];
      const name = freshName();
      const first = await redisLease(a, { name, ttl: TTL }).acquire(new AbortController().signal);
      const second = redisLease(b, { name, ttl: TTL }).acquire(new AbortController().signal);
      expect(await settledWithin(second, TTL * 2), 'the second acquire while the first term renews').to.equal(
        'pending',
      );
      const releasedAt = performance.now();
      await first.release();
      const term = await second;
      const handover = performance.now() - releasedAt;
      console.log(
        `      release() to the next acquire: ${handover.toFixed(0)} ms (ttl ${TTL} ms, polls every 75 ms)`,
      );
      expect(handover).to.be.below(75 + 500); // one poll, with room for a busy machine
      expect(BigInt(term.token) > BigInt(first.token)).to.equal(true);
      await term.release();
    });

    it('hands out strictly increasing tokens across terms and clients', async () => {
      const [a, b] = [await connect(), await connect()];
      const name = freshName();
      const leases = [redisLease(a, { name, ttl: TTL }), redisLease(b, { name, ttl: TTL })];
      const tokens: bigint[] = [];
      for (let i = 0; i < 6; i++) {
        const term = await leases[i % 2]!.acquire(new AbortController().signal);
        tokens.push(BigInt(term.token));
        await term.release();
      }
      for (let i = 1; i < tokens.length; i++) {
        expect(tokens[i]! > tokens[i - 1]!, `token ${tokens[i]} after ${tokens[i - 1]}`).to.equal(true);
      }
    });

    it('uses options.key for the term and <key>:token for the counter', async () => {
      const client = await connect();
      const key = `custom:${freshName()}`;
      const term = await redisLease(client, { name: 'custom', key, ttl: TTL }).acquire(
        new AbortController().signal,
      );
      expect(await client.get(`${key}:token`)).to.equal(term.token);
      expect(await client.exists(key)).to.equal(1);
      await term.release();
      expect(await client.exists(key)).to.equal(0);
    });

    it('rejects with the engine error when the script fails, holding nothing', async () => {
      const client = await connect();
      const name = freshName();
      await client.set(`${keyOf(name)}:token`, 'not a number');
      const lease = redisLease(client, { name, ttl: TTL });
      const outcome = await settledWithin(lease.acquire(new AbortController().signal), 5_000);
      expect(outcome).to.have.property('error').that.is.instanceOf(Error);
      expect(String((outcome as { error: Error }).error.message)).to.match(/not an integer/);
      expect(await client.exists(keyOf(name))).to.equal(0);
    });

    it('rejects with the client error once the client is closed', async () => {
      const client = await connect();
      const lease = redisLease(client, { name: freshName(), ttl: TTL });
      await client.close();
      const outcome = await settledWithin(lease.acquire(new AbortController().signal), 5_000);
      expect(outcome).to.have.property('error').that.is.instanceOf(Error);
      expect(String((outcome as { error: Error }).error.message)).to.match(/closed/i);
    });
  });

  describe('#acquire(signal)', () => {
    it('rejects with signal.reason at once when the signal has aborted already, taking nothing', async () => {
      const client = await connect();
      const name = freshName();
      const reason = new Error('stop now');
      const outcome = await settledWithin(
        redisLease(client, { name, ttl: TTL }).acquire(AbortSignal.abort(reason)),
        1_000,
      );
      expect(outcome).to.deep.equal({ error: reason });
      expect(await client.exists(keyOf(name))).to.equal(0);
    });

    it('rejects with signal.reason while waiting, and never takes the lease afterwards', async () => {
      const [a, b] = [await connect(), await connect()];
      const name = freshName();
      const held = await redisLease(a, { name, ttl: TTL }).acquire(new AbortController().signal);
      const controller = new AbortController();
      const waiting = redisLease(b, { name, ttl: TTL }).acquire(controller.signal);
      await sleep(300);
      const reason = new Error('shutting down');
      const abortedAt = performance.now();
      controller.abort(reason);
      expect(await settledWithin(waiting, 1_000)).to.deep.equal({ error: reason });
      expect(performance.now() - abortedAt).to.be.below(200);
      expect(getEventListeners(controller.signal, 'abort')).to.have.length(0);
      await held.release();
      await sleep(300); // several polls of the aborted acquire, had it gone on
      expect(await a.exists(keyOf(name))).to.equal(0);
    });

    it('gives back a term it may have got when the signal aborts around the grant', async function () {
      this.timeout(30_000);
      const [client, observer] = [await connect(), await connect()];
      const delays: (() => Promise<unknown>)[] = [
        () => Promise.resolve(),
        () => new Promise((resolve) => setImmediate(resolve)),
        () => sleep(0),
        () => sleep(1),
        () => sleep(2),
        () => sleep(5),
      ];
      const seen = { rejected: 0, granted: 0, rejectedAfterTheScriptRan: 0 };
      for (let round = 0; round < 10; round++) {
        for (const delay of delays) {
          const name = freshName();
          const controller = new AbortController();
          const reason = new Error(`abort ${round}`);
          const acquiring = redisLease(client, { name, ttl: TTL }).acquire(controller.signal);
          await delay();
          controller.abort(reason);
          const outcome = await settledWithin(acquiring, 2_000);
          if (outcome !== 'pending' && 'value' in outcome) {
            seen.granted++; // the grant came first: a term the caller owns and releases
            await outcome.value.release();
          } else {
            seen.rejected++;
            expect(outcome).to.deep.equal({ error: reason });
            // The counter moved: the script took the lease on the server, and the abort gave it back.
            if ((await observer.exists(`${keyOf(name)}:token`)) === 1) seen.rejectedAfterTheScriptRan++;
          }
          expect(await observer.exists(keyOf(name)), `lease ${name} after the abort`).to.equal(0);
        }
      }
      console.log(`      outcomes: ${JSON.stringify(seen)}`);
      expect(seen.rejectedAfterTheScriptRan, JSON.stringify(seen)).to.be.above(0);
    });
  });

  describe('LeaseTerm', () => {
    it('release() is idempotent and never deletes the next holder’s key', async () => {
      const [a, b] = [await connect(), await connect()];
      const name = freshName();
      const first = await redisLease(a, { name, ttl: TTL }).acquire(new AbortController().signal);
      const once = first.release();
      expect(first.release()).to.equal(once);
      await once;
      const second = await redisLease(b, { name, ttl: TTL }).acquire(new AbortController().signal);
      await first.release();
      expect(await b.get(keyOf(name))).to.be.a('string');
      await sleep(TTL); // the second term renews on
      expect(await b.exists(keyOf(name))).to.equal(1);
      await second.release();
      expect(await b.exists(keyOf(name))).to.equal(0);
    });

    it('settles lost at the next renewal when the key no longer holds this term', async () => {
      const client = await connect();
      const name = freshName();
      const term = await redisLease(client, { name, ttl: TTL }).acquire(new AbortController().signal);
      await client.set(keyOf(name), 'someone else', { PX: 10_000 });
      const outcome = await settledWithin(term.lost, TTL);
      expect(outcome).to.have.property('value').that.has.property('name', 'LeaseLostError');
      await term.release(); // after a loss: nothing to give back, and it must not delete the other key
      expect(await client.get(keyOf(name))).to.equal('someone else');
    });

    it('leaves no timer and no listener behind after a release or a loss', async () => {
      const client = await connect();
      const listeners = () =>
        client.eventNames().map((event) => `${String(event)}:${client.listenerCount(event)}`);
      const before = listeners();
      const timers = trackLeaseTimers();
      try {
        const name = freshName();
        const lease: Lease = redisLease(client, { name, ttl: TTL });
        const signal = new AbortController().signal;
        const released = await lease.acquire(signal);
        await sleep(TTL / 2); // a renewal in between
        await released.release();
        const lost = await lease.acquire(signal);
        await client.del(keyOf(name));
        expect(await settledWithin(lost.lost, TTL))
          .to.have.property('value')
          .that.has.property('name', 'LeaseLostError');
        await sleep(100); // the lost term's clean-up command answers
        expect(getEventListeners(signal, 'abort')).to.have.length(0);
      } finally {
        timers.restore();
      }
      expect(timers.seen(), 'timers set by the adapter').to.be.above(3);
      expect(timers.pending(), timers.pending().join('\n\n')).to.deep.equal([]);
      expect(listeners()).to.deep.equal(before);
    });
  });

  describe('a Redis that goes away under a held term', () => {
    it('settles lost within the ttl, and the lease goes to another client once Redis is back', async function () {
      this.timeout(30_000);
      const [a, b] = [await connect(), await connect()];
      const name = freshName();
      const ttl = 2_000;
      const term = await redisLease(a, { name, ttl }).acquire(new AbortController().signal);
      await sleep(ttl / 2);
      const haltedAt = performance.now();
      await server!.halt();
      const outcome = await settledWithin(term.lost, ttl + 1_000);
      const toLost = performance.now() - haltedAt;
      console.log(`      Redis halted to lost: ${toLost.toFixed(0)} ms (ttl ${ttl} ms, margin 400 ms)`);
      expect(outcome).to.have.property('value').that.has.property('name', 'LeaseLostError');
      // trusted until ttl - margin after the last renewal sent, which was at most ttl / 3 before the halt
      expect(toLost).to.be.within(ttl - 400 - ttl / 3 - 200, ttl - 400 + 500);
      await term.release(); // lost already: resolves, changes nothing

      const lease = redisLease(b, { name, ttl });
      const duringOutage = lease.acquire(new AbortController().signal);
      await sleep(200);
      const resumingAt = performance.now(); // the server's start-up counts too
      await server!.resume();
      // The acquire sent during the outage either waits for the reconnect or fails within its deadline.
      const next =
        (await duringOutage.catch(() => undefined)) ?? (await lease.acquire(new AbortController().signal));
      const toNext = performance.now() - resumingAt;
      console.log(`      resume() called to the next term: ${toNext.toFixed(0)} ms`);
      expect(toNext).to.be.below(ttl + 1_000);
      expect(BigInt(next.token) > BigInt(term.token), `${next.token} after ${term.token}`).to.equal(true);
      await next.release();
    });

    it('rejects an acquire within the ttl while Redis is down', async function () {
      this.timeout(30_000);
      const client = await connect();
      const ttl = 1_500;
      await server!.halt();
      try {
        const startedAt = performance.now();
        const outcome = await settledWithin(
          redisLease(client, { name: freshName(), ttl }).acquire(new AbortController().signal),
          ttl + 1_000,
        );
        expect(outcome).to.have.property('error').that.is.instanceOf(Error);
        expect(performance.now() - startedAt).to.be.below(ttl + 500);
      } finally {
        await server!.resume();
      }
    });
  });

  describe('the failover fixture', () => {
    it('appends to a log in Redis, refusing a token older than the newest that wrote, across a restart', async function () {
      this.timeout(30_000);
      const client = await connect();
      const name = freshName();
      const startedAt = Date.now();
      expect(await redis.fencedAppend(client, name, '5', 'a')).to.equal(true);
      expect(await redis.fencedAppend(client, name, '5', 'a')).to.equal(true);
      expect(await redis.fencedAppend(client, name, '12', 'b')).to.equal(true);
      expect(await redis.fencedAppend(client, name, '9', 'a')).to.equal(false);
      await server!.halt();
      try {
        const outcome = await settledWithin(redis.fencedAppend(client, name, '13', 'c'), 5_000);
        expect(outcome, 'a write while Redis is down').to.have.property('error');
      } finally {
        await server!.resume();
      }
      expect(await redis.fencedAppend(client, name, '11', 'a')).to.equal(false);
      expect(await redis.fencedAppend(client, name, '14', 'c')).to.equal(true);
      const log = await redis.readLog(client, name);
      expect(log.map(({ token, replica }) => `${token}:${replica}`)).to.deep.equal([
        '5:a',
        '5:a',
        '12:b',
        '14:c',
      ]);
      for (const { at } of log) expect(at).to.be.within(startedAt - 1_000, Date.now() + 1_000);
    });
  });

  describe('redisLease()', () => {
    it('throws a TypeError naming a bad option and the value', async () => {
      const client = await connect();
      const cases: [unknown, RegExp][] = [
        [undefined, /options must be an object/],
        [{}, /options\.name .*undefined/],
        [{ name: '' }, /options\.name .*""/],
        [{ name: 'x', key: '' }, /options\.key .*""/],
        [{ name: 'x', ttl: 0 }, /options\.ttl/],
        [{ name: 'x', ttl: 100 }, /options\.ttl .*100/],
        [{ name: 'x', ttl: 'soon' }, /options\.ttl/],
        [{ name: 'x', tll: '5s' }, /unknown option tll/],
      ];
      for (const [options, message] of cases) {
        expect(() => redisLease(client, options as never), JSON.stringify(options)).to.throw(
          TypeError,
          message,
        );
      }
    });

    it('throws a TypeError for something that is not a connected node-redis client', () => {
      const unconnected = createClient();
      unconnected.on('error', () => undefined);
      expect(() => redisLease(unconnected, { name: 'x' })).to.throw(
        TypeError,
        /client must be connected.*isOpen false/,
      );
      const withScripts = createClient({ RESP: 2, scripts: {} });
      expect(() => redisLease(withScripts, { name: 'x' })).to.throw(TypeError, /client must be connected/);
      expect(() => redisLease({} as never, { name: 'x' })).to.throw(
        TypeError,
        /client must be a node-redis client/,
      );
      expect(() => redisLease(null as never, { name: 'x' })).to.throw(
        TypeError,
        /client must be .* received null/,
      );
    });
  });
});
