/**
 * What tells a service's work that its run is ending: the run's `AbortSignal` (a new one per run),
 * the callbacks of `sleep()` and the waits, and the `stop$` Observable built on them. Allocated on
 * first use.
 */
import { Observable } from 'rxjs';
import type { StopReason } from '../events.js';
import { onStopBegin, stopReason } from './symbols.js';

/** @internal The abort side of a service's runs. */
export class StopSignal {
  #abort: AbortController | undefined;
  #waiters: Set<(reason: StopReason) => void> | undefined;

  /** @param service - the service whose runs it ends (its path names it in `signal.reason`) */
  constructor(readonly service: { readonly path: string }) {}

  /** `signal.reason` of a stop: an `AbortError` whose `cause` is the StopReason. */
  abortReason(reason: StopReason): Error {
    const verb = reason.type === 'crash' ? 'crashing' : 'stopping';
    const error = new Error(`${this.service.path} is ${verb} (${reason.type})`, { cause: reason });
    error.name = 'AbortError';
    return error;
  }

  /** The run's signal; `stopped` is the reason of the stop that already began, if one did. */
  signal(stopped: StopReason | undefined): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (stopped) this.#abort.abort(this.abortReason(stopped));
    }
    return this.#abort.signal;
  }

  /** Calls `waiter` once when the stop begins; returns a function that forgets it. */
  onStopBegin(waiter: (reason: StopReason) => void): () => void {
    (this.#waiters ??= new Set()).add(waiter);
    return () => this.#waiters?.delete(waiter);
  }

  /** A new run begins: the next `signal` is a fresh one. */
  reset(): void {
    this.#abort = undefined;
  }

  /** The stop began: `signal` aborts, then every waiter is called once. */
  announce(reason: StopReason): void {
    this.#abort?.abort(this.abortReason(reason));
    const waiters = this.#waiters;
    this.#waiters = undefined;
    if (waiters) for (const waiter of waiters) waiter(reason);
  }
}

/** What `stop$` needs from its service. */
export interface StopNoticeHost {
  readonly shouldStop: boolean;
  readonly [stopReason]: StopReason | undefined;
  [onStopBegin](waiter: (reason: StopReason) => void): () => void;
}

/**
 * @internal The `stop$` of `host`: emits the reason once when a stop or crash begins, then completes;
 * a subscriber that arrives while it is stopping, stopped or crashed gets the last reason at once.
 */
export function stopNotice(host: StopNoticeHost): Observable<StopReason> {
  return new Observable<StopReason>((subscriber) => {
    if (host.shouldStop) {
      subscriber.next(host[stopReason] ?? { type: 'manual' });
      subscriber.complete();
      return undefined;
    }
    return host[onStopBegin]((reason) => {
      subscriber.next(reason);
      subscriber.complete();
    });
  });
}
