/**
 * `rxmode/lease/redis`: a {@link Lease} held in Redis through the application's node-redis client.
 * One key per lease set with `NX PX`, a fencing counter beside it, renewal by compare-and-extend and
 * release by compare-and-delete, each a Lua script so that no step can interleave with another client's.
 */
import type { Duration } from '../../duration.js';
import { show } from '../../internal/format.js';
import type { Lease, LeaseTerm } from '../../lease.js';
import { leaseSettings, type LeaseSettings } from '../options.js';
import { HeldTerm } from '../term.js';

/** The reason a term ends without a release (`lost`, and the `leader` event that reports it). */
export { LeaseLostError } from '../term.js';

/**
 * What {@link redisLease} needs of a node-redis client: `createClient()` from `redis` (5 or later),
 * with or without modules, connected.
 */
export interface RedisLeaseClient {
  /** True once `connect()` was called and until the client is closed. */
  readonly isOpen: boolean;
  /** True while the client has a working connection. */
  readonly isReady: boolean;
  /** Sends one command; the adapter passes an `abortSignal` and node-redis 6's `rejectInFlight`. */
  sendCommand(
    args: readonly string[],
    options?: { abortSignal?: AbortSignal; rejectInFlight?: boolean },
  ): Promise<unknown>;
}

/** Options of {@link redisLease}. */
export interface RedisLeaseOptions {
  /** The lease's name, shown in events, metrics and the dashboard. */
  name: string;
  /**
   * The Redis key holding the current term; the fencing counter lives at `<key>:token`.
   * @defaultValue `rxmode:lease:<name>`
   */
  key?: string;
  /**
   * How long Redis keeps a term without a renewal (at least 300 ms). Renewals run every `ttl / 3`;
   * the term stops being trusted `max(ttl / 5, 100 ms)` before the ttl runs out.
   * @defaultValue `'10s'`
   */
  ttl?: Duration;
}

/** Takes the lease when nobody holds it: the term's key and its token are written together or not at all. */
const ACQUIRE = `if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('PTTL', KEYS[1])}
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, token}`;

/** Extends the term only while the key still holds this term's value. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

/** Deletes the key only while it still holds this term's value. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * A lease held in Redis through a node-redis client the application created and connected.
 *
 * @remarks
 * - **Acquire:** one Lua script checks that the key is free, increments `<key>:token` and sets the key
 *   to a random id of this term with a `PX` ttl, so a term never exists without its token and a
 *   failed increment leaves nothing held. While another replica holds the key, `acquire()` polls
 *   every `ttl / 20` (25 to 500 ms, sooner when the key's remaining ttl is shorter): after a
 *   `release()` elsewhere the next poll takes it.
 * - **Token:** the value of `INCR <key>:token`, a decimal integer that grows with every term. It is as
 *   durable as Redis's data: a Redis that restarts without persistence (or fails over to a replica
 *   that had not received the increment) can hand out a token again, so run it with AOF or RDB when
 *   stores rely on fencing.
 * - **Renewal:** every `ttl / 3` a script extends the key's ttl if it still holds this term's id; an
 *   answer of "not ours" settles `lost` at once. A renewal that fails or gets no answer is retried at
 *   the next period, and the term stops being trusted at `ttl - max(ttl / 5, 100 ms)` after the
 *   last successful renewal was sent (monotonic clock), so `lost` settles before Redis could let
 *   another replica in, even when Redis cannot be reached at all.
 * - **Bounded commands:** node-redis keeps commands in its offline queue while it reconnects. Each
 *   command of the adapter carries its own deadline (a renewal `ttl / 3`, a release `ttl / 3`, an
 *   acquire `ttl` minus the margin) through an `AbortSignal`, and with node-redis 6's
 *   `rejectInFlight` also while its answer is outstanding, so a queued renewal goes out as soon as
 *   the client reconnects but nothing waits forever. The client's own command timeout (node-redis 6:
 *   `commandOptions.timeout`, 5 s by default) applies as well, whichever ends first.
 *   `disableOfflineQueue: true` on the client works too: commands then fail at once while it is offline.
 * - **Failures:** an engine error while acquiring (a reply error, a closed client, a timeout) rejects
 *   `acquire()` with it, after deleting the key if the script may have set it. `acquire(signal)`
 *   rejects with `signal.reason` once `signal` aborts, and gives back whatever it took meanwhile.
 *   `release()` deletes the key if it still holds this term's id (idempotent) and rejects with the
 *   engine's error if Redis cannot be reached within `ttl / 3` (the key then expires on its own).
 *   A term that is lost while the client is connected deletes its key the same way, so the next
 *   replica need not wait for the ttl.
 * - The adapter adds no listener to the client. Give the client an `'error'` listener: node-redis
 *   emits `'error'` when the connection drops, and an unheard one crashes the program.
 * - A single Redis (or a primary with its replicas) through `createClient()`; not a cluster client.
 *
 * @param client - A connected node-redis client (`createClient()` then `await client.connect()`).
 * @param options - The lease's `name`, its Redis `key` and its `ttl`.
 * @throws TypeError when `client` is not a connected node-redis client, or an option is invalid
 * (`name` missing or empty, `key` empty, `ttl` under 300 ms or not a duration, an unknown option).
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { LeaderService } from 'rxmode';
 * import { redisLease } from 'rxmode/lease/redis';
 *
 * const client = createClient({ url: 'redis://127.0.0.1:6379' });
 * client.on('error', (error) => console.warn('redis', error));
 * await client.connect();
 * const leader = new LeaderService(redisLease(client, { name: 'outbox-relay', ttl: '15s' }));
 * ```
 */
export function redisLease(client: RedisLeaseClient, options: RedisLeaseOptions): Lease {
  checkClient(client);
  const settings = leaseSettings('redisLease', options, ['name', 'key', 'ttl'], {
    ttl: '10s',
    keyPrefix: 'rxmode:lease:',
  });
  return { name: settings.name, acquire: (signal) => acquire(client, settings, signal) };
}

function checkClient(client: unknown): asserts client is RedisLeaseClient {
  if (typeof client !== 'object' || client === null) {
    throw new TypeError(
      `redisLease: client must be a node-redis client (createClient()); received ${show(client)}`,
    );
  }
  const c = client as Record<string, unknown>;
  if (typeof c.sendCommand !== 'function' || (typeof c.set !== 'function' && typeof c.eval !== 'function')) {
    const kind = (client.constructor as { name?: string } | undefined)?.name || 'object';
    throw new TypeError(
      `redisLease: client must be a node-redis client (createClient()); received ${kind} without sendCommand() and set()`,
    );
  }
  if (c.isOpen !== true) {
    throw new TypeError(
      `redisLease: client must be connected (await client.connect() first); received a client with isOpen ${show(c.isOpen)}`,
    );
  }
}

async function acquire(
  client: RedisLeaseClient,
  settings: LeaseSettings,
  signal: AbortSignal,
): Promise<LeaseTerm> {
  const { key, ttlMs, marginMs, renewEveryMs } = settings;
  const tokenKey = `${key}:token`;
  const pollMs = Math.min(500, Math.max(25, Math.floor(ttlMs / 20)));
  const forget = (value: string) =>
    command(client, ['EVAL', RELEASE, '1', key, value], renewEveryMs, 'a release').then(() => undefined);
  for (;;) {
    signal.throwIfAborted();
    const value = crypto.randomUUID();
    const sentAt = performance.now();
    let reply: unknown;
    try {
      const args = ['EVAL', ACQUIRE, '2', key, tokenKey, value, String(ttlMs)];
      reply = await command(client, args, ttlMs - marginMs, 'an acquire', signal);
    } catch (error) {
      // The script may have run with its answer lost: give back what it may have taken.
      if (client.isReady) await forget(value).catch(() => undefined);
      throw signal.aborted ? signal.reason : error;
    }
    if (!Array.isArray(reply) || reply.length !== 2) {
      await forget(value).catch(() => undefined);
      throw new Error(`redisLease: unexpected answer to the acquire script: ${show(reply)}`);
    }
    const [granted, detail] = reply as unknown[];
    if (Number(granted) === 1) {
      if (signal.aborted) {
        await forget(value).catch(() => undefined);
        throw signal.reason;
      }
      return holdTerm(client, settings, value, String(detail), sentAt, forget);
    }
    const remaining = Number(detail);
    await sleep(remaining >= 0 ? Math.min(pollMs, remaining + 1) : pollMs, signal);
  }
}

function holdTerm(
  client: RedisLeaseClient,
  settings: LeaseSettings,
  value: string,
  token: string,
  sentAt: number,
  forget: (value: string) => Promise<void>,
): HeldTerm {
  const { key, ttlMs, renewEveryMs } = settings;
  let released = false;
  const term = new HeldTerm({
    ...settings,
    token,
    renew: async () => {
      const reply = await command(
        client,
        ['EVAL', RENEW, '1', key, value, String(ttlMs)],
        renewEveryMs,
        'a renewal',
      );
      return Number(reply) === 1;
    },
    release: () => {
      released = true;
      return forget(value);
    },
    close: () => {
      // A lost term gives its key back when it can, so the next replica need not wait for the ttl.
      if (!released && client.isReady) void forget(value).catch(() => undefined);
    },
  });
  term.renewed(sentAt); // trusted from when the acquire was sent, not from when its answer came
  return term;
}

/**
 * Sends one command and settles within `timeoutMs`: with the reply, the engine's error, a timeout
 * error, or `signal.reason` once `signal` aborts. Either way node-redis is told to drop the command.
 */
function command(
  client: RedisLeaseClient,
  args: readonly string[],
  timeoutMs: number,
  what: string,
  signal?: AbortSignal,
): Promise<unknown> {
  const timeout = new Error(`redisLease: Redis did not answer ${what} within ${timeoutMs} ms`);
  return new Promise<unknown>((resolve, reject) => {
    const drop = new AbortController();
    const stop = (reason: unknown) => {
      finish();
      drop.abort(reason);
      reject(reason);
    };
    const onAbort = () => stop(signal!.reason);
    const timer = setTimeout(() => stop(timeout), timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted) return stop(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      client.sendCommand(args, { abortSignal: drop.signal, rejectInFlight: true }).then(
        (reply) => (finish(), resolve(reply)),
        (error: unknown) => (finish(), reject(error)),
      );
    } catch (error) {
      stop(error);
    }
  });
}

/** Waits `ms`, or rejects with `signal.reason` once `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
