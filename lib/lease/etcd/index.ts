/**
 * `rxmode/lease/etcd`: a {@link Lease} held in etcd through the application's `etcd3` client. Each
 * acquire grants an etcd lease, puts a candidate key under it and waits, as etcd's election recipe
 * does, until every candidate created before it is gone; the key's create revision is the token.
 */
import type { Etcd3, IKeyValue, Lease as EtcdLeaseHandle, Namespace } from 'etcd3';
import type { Duration } from '../../duration.js';
import { show } from '../../internal/format.js';
import type { Lease, LeaseTerm } from '../../lease.js';
import { leaseSettings, type LeaseSettings } from '../options.js';
import { HeldTerm, LeaseLostError } from '../term.js';

/** The reason a term ends without a release (`lost`, and the `leader` event that reports it). */
export { LeaseLostError } from '../term.js';

/** Options of {@link etcdLease}. */
export interface EtcdLeaseOptions {
  /** The lease's name, shown in events, metrics and the dashboard. */
  name: string;
  /**
   * The election prefix: candidates put `<key>/<etcd lease id in hex>`, as etcd's Go election
   * recipe and `etcdctl elect <key>` do, so `etcdctl elect -l <key>` shows the leader's key.
   * @defaultValue `rxmode/lease/<name>`
   */
  key?: string;
  /**
   * How long etcd keeps a term without a renewal. etcd counts whole seconds, so it is rounded up to
   * one (`'2500ms'` becomes 3 s); etcd also grants no less than its own minimum (2 s with the
   * default election timeout), which only makes etcd keep an abandoned lease longer. Renewals run
   * every `ttl / 3`; the term stops being trusted `max(ttl / 5, 100 ms)` before the ttl runs out.
   * @defaultValue `'10s'`
   */
  ttl?: Duration;
}

/** The client methods the adapter calls: an `Etcd3` has them all, and so has one of its namespaces. */
const METHODS = ['lease', 'put', 'get', 'getAll', 'if', 'watch'] as const;

/**
 * A {@link Lease} held in etcd: one leader among every replica that calls `acquire()` on the same
 * `key`, in the order they asked.
 *
 * @remarks
 * - **Mechanism.** `acquire()` grants an etcd lease of `ttl` (whole seconds) and, in one transaction,
 *   creates the key `<key>/<lease id in hex>` attached to it. Candidates are served by the create
 *   revision of their keys: `acquire()` resolves once no key under `<key>/` was created before its
 *   own (it watches the one just before it until etcd deletes it), which is etcd's election recipe
 *   (`concurrency.Election` in Go, `client.election()` in `etcd3`) with an abortable wait.
 * - **Token.** The candidate key's create revision, a decimal string: etcd's revision counter only
 *   grows, and a candidate is elected only after every older key is gone, so each term's token is
 *   greater than every earlier term's.
 * - **Renewal.** While it waits and while it leads, the adapter sends one keep-alive every `ttl / 3`
 *   (`lease.keepaliveOnce()`, with a deadline). The term is trusted until `ttl - max(ttl / 5, 100 ms)`
 *   after the last keep-alive etcd confirmed, counted on a monotonic clock from when it was sent:
 *   `lost` settles then even when etcd cannot be reached, before etcd could delete the key and
 *   elect another candidate. `lost` also settles at once when etcd answers that the lease expired.
 * - **Release.** `release()` revokes the etcd lease, which deletes the key, so the next candidate
 *   is elected at once; it is idempotent, and rejects with etcd's error when the revoke fails (the
 *   lease then expires by itself within `ttl`). A lost term revokes its lease in the background.
 * - **Failures.** An etcd error while acquiring (granting, creating the key, reading the candidates)
 *   rejects `acquire()` with that error, after revoking what it had granted; so does a lost candidate
 *   lease while waiting. When `signal` aborts, `acquire()` revokes its lease, then rejects with
 *   `signal.reason`.
 * - **Client configuration.** The adapter uses the client it is given. `etcd3` waits on a hung server
 *   without a deadline: give unary calls one (`defaultCallOptions: (c) => c.isStream ? {} :
 *   { deadline: Date.now() + 5000 }`). Its default fault handling retries each call three times and
 *   then stops calling a host for 5 s (`faultHandling.host`), so after an outage the lease is taken
 *   again up to 5 s late; its watch streams reconnect with an exponential backoff of up to 30 s
 *   (`faultHandling.watchBackoff`), which delays a waiting replica as long: a shorter backoff, as in
 *   the example, hands the lease over sooner after an outage.
 * - **After an etcd restart** etcd restores every lease with its full ttl plus an election timeout, so
 *   the lease of a holder that lost its term during the outage blocks the next one that long.
 *
 * @param client - an `Etcd3` client, or a namespace of one (`client.namespace('app/')`)
 * @param options - the name, the election key and the ttl
 * @returns the lease; nothing is sent to etcd before `acquire()`
 * @throws TypeError naming the option and the value: a missing or empty `name`, an empty `key`, a
 * `ttl` that is not a duration or below 300 ms, an unknown option, or a `client` that is not an
 * `etcd3` client.
 * @example
 * ```ts
 * import { Etcd3 } from 'etcd3';
 * import { ExponentialBackoff } from 'cockatiel'; // etcd3's fault-handling library
 * import { LeaderService } from 'rxmode';
 * import { etcdLease } from 'rxmode/lease/etcd';
 *
 * const etcd = new Etcd3({
 *   hosts: 'http://127.0.0.1:2379',
 *   defaultCallOptions: (call) => (call.isStream ? {} : { deadline: Date.now() + 5000 }),
 *   faultHandling: { watchBackoff: new ExponentialBackoff({ maxDelay: 1000 }) },
 * });
 * const leader = new LeaderService(etcdLease(etcd, { name: 'scheduler', ttl: '10s' }));
 * leader.addDependency(new Scheduler()); // runs on one replica at a time
 * await leader.start();
 * ```
 */
export function etcdLease(client: Etcd3 | Namespace, options: EtcdLeaseOptions): Lease {
  const candidate = client as unknown as Record<string, unknown> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    METHODS.some((method) => typeof candidate[method] !== 'function')
  ) {
    throw new TypeError(`etcdLease: client must be an etcd3 client (new Etcd3()); received ${show(client)}`);
  }
  const settings = leaseSettings('etcdLease', options, ['name', 'key', 'ttl'], {
    keyPrefix: 'rxmode/lease/',
  });
  const ttlSeconds = Math.ceil(settings.ttlMs / 1000);
  const ttlMs = ttlSeconds * 1000;
  const timing: Timing = {
    ...settings,
    ttlSeconds,
    ttlMs,
    renewEveryMs: Math.floor(ttlMs / 3),
    marginMs: Math.max(100, Math.floor(ttlMs / 5)),
  };
  return {
    name: settings.name,
    acquire: async (signal) => {
      signal.throwIfAborted();
      return new Campaign(client, timing, signal).run();
    },
  };
}

/** The checked options with the ttl in whole seconds. */
interface Timing extends LeaseSettings {
  readonly ttlSeconds: number;
}

/** A monotonic clock in ms. */
const now = (): number => performance.now();

/** One `acquire()`: the etcd lease it granted, its candidate key and, once created, its term. */
class Campaign {
  readonly #client: Namespace;
  readonly #timing: Timing;
  readonly #signal: AbortSignal;
  readonly #lease: EtcdLeaseHandle;
  /** When the grant was sent: etcd keeps the lease at least `ttl` from then. */
  readonly #grantedAt = now();
  /** Rejects when the campaign cannot go on: `signal` aborted, the lease or the term was lost. */
  readonly #failed: Promise<never>;
  #fail!: (reason: unknown) => void;
  #term: HeldTerm | undefined;
  #revoking: Promise<void> | undefined;
  readonly #onLost = (error: unknown): void => {
    this.#fail(error);
    this.#term?.lose(
      new LeaseLostError('etcd reports that the lease expired or was revoked', { cause: error }),
    );
  };
  readonly #onAbort = (): void => this.#fail(this.#signal.reason);

  constructor(client: Namespace, timing: Timing, signal: AbortSignal) {
    this.#client = client;
    this.#timing = timing;
    this.#signal = signal;
    this.#failed = new Promise<never>((_, reject) => (this.#fail = reject));
    this.#failed.catch(() => undefined);
    // Without etcd3's own keep-alive loop: the term renews, so that it knows when each renewal was sent.
    this.#lease = client.lease(timing.ttlSeconds, { autoKeepAlive: false });
    this.#lease.on('lost', this.#onLost);
  }

  async run(): Promise<LeaseTerm> {
    const signal = this.#signal;
    signal.addEventListener('abort', this.#onAbort, { once: true });
    try {
      const id = await this.#until(this.#lease.grant());
      const key = `${this.#timing.key}/${BigInt(id).toString(16)}`;
      const client = this.#client;
      const created = await this.#until(
        client.if(key, 'Create', '==', 0).then(client.put(key).value('').lease(id)).commit(),
      );
      if (!created.succeeded) throw new Error(`etcdLease: the candidate key ${key} exists already`);
      const token = created.header.revision;
      this.#term = this.#hold(token);
      await this.#waitForTurn(BigInt(token));
      return this.#term;
    } catch (error) {
      this.#abandon();
      await this.#revoking?.catch(() => undefined); // the lease expires by itself within the ttl
      throw signal.aborted ? signal.reason : error;
    } finally {
      signal.removeEventListener('abort', this.#onAbort);
    }
  }

  /** The term of this candidate, renewing from now on; trusted from the grant, not from now. */
  #hold(token: string): HeldTerm {
    const { ttlMs, marginMs } = this.#timing;
    const lease = this.#lease;
    const term = new HeldTerm({
      ...this.#timing,
      token,
      renew: async () => {
        // A keep-alive answered after the term stops being trusted is of no use: that is its deadline.
        await lease.keepaliveOnce({ deadline: Date.now() + ttlMs - marginMs });
        return true; // an expired lease rejects, and emits 'lost' first
      },
      release: () => this.#revoke(),
      close: () => this.#close(),
    });
    term.renewed(this.#grantedAt);
    void term.lost.then((reason) => this.#fail(reason));
    return term;
  }

  /** Resolves once no candidate key under the prefix was created before `revision`. */
  async #waitForTurn(revision: bigint): Promise<void> {
    for (;;) {
      const older = await this.#until(
        this.#client
          .getAll()
          .prefix(`${this.#timing.key}/`)
          .maxCreateRevision((revision - 1n).toString())
          .sort('Create', 'Descend')
          .limit(1)
          .exec(),
      );
      const previous = older.kvs[0];
      if (!previous) return;
      await this.#deleted(previous, BigInt(older.header.revision) + 1n);
    }
  }

  /** Resolves once `kv` is deleted at or after `fromRevision`, watching it; the watcher is cancelled after. */
  async #deleted(kv: IKeyValue, fromRevision: bigint): Promise<void> {
    const watcher = this.#client
      .watch()
      .key(kv.key)
      .startRevision(fromRevision.toString())
      .only('delete')
      .watcher();
    const ignore = (): void => undefined;
    watcher.on('error', ignore); // kept after the cancel, so that a late error cannot go unheard
    let onDelete!: () => void;
    let onError!: (error: unknown) => void;
    const deleted = new Promise<void>((resolve, reject) => {
      onDelete = resolve;
      onError = reject;
    });
    watcher.on('delete', onDelete).on('error', onError);
    try {
      await this.#until(deleted);
    } finally {
      watcher.off('delete', onDelete).off('error', onError);
      void watcher.cancel().catch(ignore);
    }
  }

  /** `work`, unless the campaign fails first. */
  #until<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.#failed]);
  }

  /** Ends the campaign: the term (if any) ends and the lease is revoked. */
  #abandon(): void {
    if (this.#term) this.#term.lose(new LeaseLostError('the acquire was abandoned'));
    else this.#close();
  }

  #revoke(): Promise<void> {
    return (this.#revoking ??= this.#lease.revoke());
  }

  /** Once the term ended: no more 'lost' events, and the lease revoked unless that happened already. */
  #close(): void {
    this.#lease.off('lost', this.#onLost);
    if (!this.#revoking) void this.#revoke().catch(() => undefined);
  }
}
