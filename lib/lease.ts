/**
 * What a `LeaderService` holds (section 13 of the contract): a lease in a coordination engine the
 * application already runs. The adapters live in `rxmode/lease/postgres`, `rxmode/lease/redis` and
 * `rxmode/lease/etcd`; `createMemoryLease()` in `rxmode/testing` is one for tests.
 */

/**
 * A named lease that replicas compete for: at most one of them holds a term at a time.
 *
 * @remarks An adapter renews a term in the background and settles {@link LeaseTerm.lost} before the
 * engine could grant the lease to anyone else: it stops trusting a term at its ttl minus a safety
 * margin after the last successful renewal, measured on a monotonic clock, even when the engine
 * cannot be reached.
 */
export interface Lease {
  /** Shown in `leader` events, metrics and the dashboard. */
  readonly name: string;
  /**
   * Resolves with a term once this replica holds the lease; waits while another one holds it.
   * Rejects when the engine fails (the caller retries with backoff) or with `signal.reason` once
   * `signal` aborts.
   */
  acquire(signal: AbortSignal): Promise<LeaseTerm>;
}

/** One term of a held lease. */
export interface LeaseTerm {
  /**
   * The fencing token: a decimal integer, greater than every earlier term's. Writes to shared state
   * carry it, and the store refuses a token older than the newest it has seen.
   */
  readonly token: string;
  /** Resolves, with the reason, when the term ends without {@link release} (renewal failed, expired). */
  readonly lost: Promise<unknown>;
  /** Gives the lease up, so another replica can take it at once; idempotent. */
  release(): Promise<void>;
}
