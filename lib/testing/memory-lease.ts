/**
 * An in-process {@link Lease} for tests: every `acquire()` on one memory lease competes for it, as
 * replicas compete for a lease in a coordination engine, and `expire()` ends the current term the
 * way a failed renewal would, so failover can be tested in virtual time.
 */
import type { SchedulerLike } from 'rxjs';
import { show } from '../internal/format.js';
import type { Lease, LeaseTerm } from '../lease.js';

/** Options of {@link createMemoryLease}. */
export interface MemoryLeaseOptions {
  /** The lease's name. @defaultValue `'memory'` */
  name?: string;
  /**
   * Where grants and losses are delivered: with a scheduler (a virtual clock's), a waiting
   * `acquire()` is granted and a term's `lost` settles in a scheduled action at delay 0, the way an
   * engine answers a moment later; without one they settle at once.
   */
  scheduler?: SchedulerLike;
}

/** A {@link Lease} held in memory, shared by every service that acquires it. */
export interface MemoryLease extends Lease {
  /** True while some acquirer holds a term. */
  readonly isHeld: boolean;
  /** The token of the term held now, if any. */
  readonly token: string | undefined;
  /**
   * Ends the term held now as a failed renewal would: its `lost` settles with `reason` (default an
   * Error saying the term expired) and the next waiting `acquire()` gets the lease. False when no
   * term was held.
   */
  expire(reason?: unknown): boolean;
}

interface Waiter {
  grant(term: LeaseTerm): void;
}

/**
 * An in-process lease for tests: two `LeaderService`s on one memory lease elect one leader; `expire()`
 * hands the lease to the other.
 *
 * @throws TypeError for invalid options.
 * @example
 * ```ts
 * const lease = createMemoryLease({ name: 'jobs' });
 * const a = new LeaderService(lease), b = new LeaderService(lease);
 * await a.start(); await b.start();
 * lease.expire();                       // a's term ends: a follows, b leads
 * ```
 */
export function createMemoryLease(options: MemoryLeaseOptions = {}): MemoryLease {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object; received ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'name' && key !== 'scheduler') {
      throw new TypeError(`unknown option ${key} (${show((options as Record<string, unknown>)[key])})`);
    }
  }
  const { name = 'memory', scheduler } = options;
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`name must be a non-empty string; received ${show(name)}`);
  }
  if (scheduler !== undefined && typeof scheduler?.schedule !== 'function') {
    throw new TypeError(`scheduler must be a SchedulerLike; received ${show(scheduler)}`);
  }
  const later = (fn: () => void): void => {
    if (scheduler) scheduler.schedule(fn, 0);
    else fn();
  };
  let tokens = 0;
  let held: { term: LeaseTerm; lose(reason: unknown): void } | undefined;
  const waiters: Waiter[] = [];

  const grantNext = (): void => {
    if (held) return;
    const waiter = waiters.shift();
    if (waiter) waiter.grant(newTerm());
  };

  const newTerm = (): LeaseTerm => {
    let settle!: (reason: unknown) => void;
    const lost = new Promise<unknown>((resolve) => (settle = resolve));
    const term: LeaseTerm = {
      token: String(++tokens),
      lost,
      release: () => {
        if (held?.term === term) {
          held = undefined;
          later(grantNext);
        }
        return Promise.resolve();
      },
    };
    held = { term, lose: (reason) => later(() => settle(reason)) };
    return term;
  };

  return {
    name,
    get isHeld() {
      return held !== undefined;
    },
    get token() {
      return held?.term.token;
    },
    acquire(signal: AbortSignal): Promise<LeaseTerm> {
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      return new Promise<LeaseTerm>((resolve, reject) => {
        const onAbort = (): void => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(signal.reason as Error);
        };
        const waiter: Waiter = {
          grant: (term) => {
            signal.removeEventListener('abort', onAbort);
            resolve(term);
          },
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiters.push(waiter);
        if (!held) later(grantNext);
      });
    },
    expire(reason: unknown = new Error(`the ${name} lease expired`)): boolean {
      if (!held) return false;
      const ending = held;
      held = undefined;
      ending.lose(reason);
      later(grantNext);
      return true;
    },
  };
}
