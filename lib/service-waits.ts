/**
 * Waiting on a service: its state, a stop, a duration, inputs racing its stop, fixed-rate ticks. The
 * waits only read the service's lifecycle (`state$`, `stop$`, the stop notice); their bodies are in
 * `internal/waits.ts`. `Service` (service.ts) extends this class.
 */
import { takeUntil, type MonoTypeOperatorFunction, type Observable, type ObservableInput } from 'rxjs';
import type { Duration } from './duration.js';
import type { StopReason } from './events.js';
import type { TreeHost } from './internal/dependencies.js';
import * as waits from './internal/waits.js';
import type { StateWaitHost, WaitFirstResult, WaitResult } from './internal/waits.js';
import { asNode, ServiceNode } from './service-node.js';
import type { ServiceState } from './state.js';
import type { TimerOptions, TimerTick } from './timer.js';

/** What the waits read of a service: its lifecycle, as `Service` implements it. */
interface Waitable extends StateWaitHost {
  readonly stop$: Observable<StopReason>;
}

/**
 * The waits of a {@link Service}. `Node` is the type of the nodes of the tree (`Service<any>`, the
 * only subclass: so every instance is a `Node`).
 */
export abstract class ServiceWaits<
  Node extends ServiceNode<Node> & TreeHost & Waitable,
> extends ServiceNode<Node> {
  /** Resolves once the service is stopped, or crashed and torn down. */
  waitUntilStopped(): Promise<void> {
    return waits.waitUntilStopped(asNode<Node>(this));
  }

  /**
   * Resolves when the service reaches `state` (for `crashed` and `stopped`: once torn down).
   *
   * @throws WaitTimeoutError on timeout; ServiceCrashedError when it crashes first (unless waiting for
   * `crashed`); `signal.reason` when aborted; TypeError for an invalid state or timeout.
   */
  waitFor(state: ServiceState, options?: { timeout?: Duration; signal?: AbortSignal }): Promise<void> {
    return waits.waitFor(asNode<Node>(this), state, options);
  }

  /**
   * Sleeps on the service's scheduler: true after `duration`, false when woken early by a stop or
   * crash (at once when already stopping). Leaves no timer behind.
   *
   * @throws TypeError for an invalid duration.
   */
  sleep(duration: Duration): Promise<boolean> {
    return waits.sleep(asNode<Node>(this), duration);
  }

  /**
   * Waits for `input` to finish (an Observable's last value when it completes, a promise's value),
   * for the service to stop, or for the timeout, whichever comes first.
   *
   * @throws the input's error (as a rejection); TypeError for an invalid timeout.
   */
  wait<V>(input: ObservableInput<V>, options?: { timeout?: Duration }): Promise<WaitResult<V>> {
    return this.waitMany([input], options).then(waits.firstResult<V>);
  }

  /** Waits for every input (see {@link wait}); the result lists their results in input order. */
  waitMany(
    inputs: ObservableInput<unknown>[],
    options?: { timeout?: Duration },
  ): Promise<WaitResult<unknown[]>> {
    return waits.waitMany(asNode<Node>(this), inputs, options);
  }

  /** The index and result of the first input to finish (complete or resolve), or `index: -1` on a stop. */
  waitFirst(...inputs: ObservableInput<unknown>[]): Promise<WaitFirstResult> {
    return waits.waitFirst(asNode<Node>(this), inputs);
  }

  /**
   * Fixed-rate ticks as an async iterable that ends when the service stops; a tick that comes while
   * the loop body still runs is skipped (counted in `overlaps`).
   *
   * @throws TypeError for a non-positive interval.
   */
  itertimer(interval: Duration, options?: TimerOptions): AsyncIterable<TimerTick> {
    return waits.itertimer(asNode<Node>(this), interval, options);
  }

  /** `takeUntil(stop$)`, safe for subscribers that arrive after the stop began. */
  untilStopped<V>(): MonoTypeOperatorFunction<V> {
    return takeUntil<V>(asNode<Node>(this).stop$);
  }
}
