/**
 * The waits a service offers: `sleep`, `waitMany`/`wait`, `waitFirst`, `waitFor`, `waitUntilStopped`
 * and `itertimer`, with the checks of their arguments. Each ends early when the service begins to
 * stop and leaves nothing behind. The service itself is the host.
 */
import {
  Subscription,
  filter,
  firstValueFrom,
  from,
  type Observable,
  type ObservableInput,
  type SchedulerLike,
} from 'rxjs';
import { parseDuration, type Duration } from '../duration.js';
import { ServiceCrashedError, WaitTimeoutError } from '../errors.js';
import type { ServiceRef } from '../events.js';
import type { ServiceState } from '../state.js';
import { parseInterval, scheduleTicks, type TimerOptions, type TimerTick } from '../timer.js';
import { show } from './format.js';
import { noop } from './noop.js';
import { crashTeardownOf, type StopRunHost } from './stop-run.js';
import { onStopBegin } from './symbols.js';

/** Outcome of `wait()` and `waitMany()`. */
export type WaitResult<V> =
  | { result: V; stopped: false; timedOut: false }
  | { result: undefined; stopped: true; timedOut: false }
  | { result: undefined; stopped: false; timedOut: true };

/** Outcome of `waitFirst()`. */
export type WaitFirstResult =
  { index: number; result: unknown; stopped: false } | { index: -1; result: undefined; stopped: true };

/** What a wait needs from its service. */
export interface WaitHost {
  readonly scheduler: SchedulerLike;
  /** True once a stop or crash began. */
  readonly shouldStop: boolean;
  /** Calls `waiter` once when a stop or crash begins; returns a function that forgets it. */
  [onStopBegin](waiter: () => void): () => void;
}

const STOPPED = Object.freeze({ result: undefined, stopped: true, timedOut: false }) as WaitResult<never>;
const TIMED_OUT = Object.freeze({ result: undefined, stopped: false, timedOut: true }) as WaitResult<never>;

/** True after `duration` of scheduler time; false when woken early by a stop (at once when stopping). */
export function sleep(host: WaitHost, duration: Duration): Promise<boolean> {
  const ms = parseDuration(duration, 'duration');
  if (host.shouldStop) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const off = host[onStopBegin](() => {
      timer.unsubscribe();
      resolve(false);
    });
    const timer = host.scheduler.schedule(() => {
      off();
      resolve(true);
    }, ms);
  });
}

/** The result of `wait()` out of that of `waitMany()` for its one input. */
export function firstResult<V>(outcome: WaitResult<unknown[]>): WaitResult<V> {
  return outcome.stopped || outcome.timedOut
    ? outcome
    : { result: outcome.result[0] as V, stopped: false, timedOut: false };
}

/** The timeout option of a wait, in milliseconds. */
function timeoutOf(options: { timeout?: Duration } | undefined): number | undefined {
  return options?.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeout');
}

/** Waits for every input to finish (its last value), a stop, or the timeout. */
export function waitMany(
  host: WaitHost,
  inputs: readonly ObservableInput<unknown>[],
  options: { timeout?: Duration } | undefined,
): Promise<WaitResult<unknown[]>> {
  if (!Array.isArray(inputs)) throw new TypeError(`inputs must be an array; received ${show(inputs)}`);
  const timeoutMs = timeoutOf(options);
  if (host.shouldStop) return Promise.resolve(STOPPED);
  return new Promise((resolve, reject) => {
    const cleanup = new Subscription();
    const results = new Array<unknown>(inputs.length).fill(undefined);
    let remaining = inputs.length;
    const settle = (fn: () => void): void => {
      cleanup.unsubscribe();
      fn();
    };
    cleanup.add(host[onStopBegin](() => settle(() => resolve(STOPPED))));
    if (timeoutMs !== undefined) {
      cleanup.add(host.scheduler.schedule(() => settle(() => resolve(TIMED_OUT)), timeoutMs));
    }
    if (remaining === 0) settle(() => resolve({ result: results, stopped: false, timedOut: false }));
    inputs.forEach((input, i) => {
      if (cleanup.closed) return;
      cleanup.add(
        from(input).subscribe({
          next: (value) => (results[i] = value),
          error: (error: unknown) => settle(() => reject(error)),
          complete: () => {
            if (--remaining === 0)
              settle(() => resolve({ result: results, stopped: false, timedOut: false }));
          },
        }),
      );
    });
  });
}

/** The index and result of the first input to finish, or `index: -1` when a stop comes first. */
export function waitFirst(
  host: WaitHost,
  inputs: readonly ObservableInput<unknown>[],
): Promise<WaitFirstResult> {
  if (host.shouldStop) return Promise.resolve({ index: -1, result: undefined, stopped: true });
  return new Promise((resolve, reject) => {
    const cleanup = new Subscription();
    const settle = (fn: () => void): void => {
      cleanup.unsubscribe();
      fn();
    };
    cleanup.add(
      host[onStopBegin](() => settle(() => resolve({ index: -1, result: undefined, stopped: true }))),
    );
    inputs.forEach((input, index) => {
      if (cleanup.closed) return;
      let last: unknown;
      cleanup.add(
        from(input).subscribe({
          next: (value) => (last = value),
          error: (error: unknown) => settle(() => reject(error)),
          complete: () => settle(() => resolve({ index, result: last, stopped: false })),
        }),
      );
    });
  });
}

/** `itertimer()`: the ticks of {@link ticks} as an async iterable. */
export function itertimer(
  host: WaitHost,
  interval: Duration,
  options?: TimerOptions,
): AsyncIterable<TimerTick> {
  const intervalMs = parseInterval(interval);
  const execFirst = options?.execFirst ?? false;
  return { [Symbol.asyncIterator]: () => ticks(host, intervalMs, execFirst) };
}

/** Fixed-rate ticks until a stop; a tick that comes while the consumer's loop body runs is skipped. */
async function* ticks(host: WaitHost, intervalMs: number, execFirst: boolean): AsyncGenerator<TimerTick> {
  if (host.shouldStop) return;
  const queued: TimerTick[] = [];
  let wake: (() => void) | undefined;
  let busy = false;
  const loop = scheduleTicks(intervalMs, host.scheduler, execFirst, {
    isBusy: () => busy || queued.length > 0,
    fire: (tick) => {
      queued.push(tick);
      wake?.();
    },
  });
  const off = host[onStopBegin](() => wake?.());
  try {
    while (!host.shouldStop) {
      if (queued.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      const tick = queued.shift();
      if (!tick || host.shouldStop) continue;
      busy = true;
      yield tick;
      busy = false;
    }
  } finally {
    loop.unsubscribe();
    off();
  }
}

/** What `waitFor()` and `waitUntilStopped()` need from their service. */
export interface StateWaitHost extends WaitHost, StopRunHost {
  readonly ref: ServiceRef;
  readonly state$: Observable<ServiceState>;
  readonly crashReason: unknown;
}

const STATES: readonly string[] = ['init', 'starting', 'running', 'stopping', 'stopped', 'crashed'];

/** Resolves once the service is stopped, or crashed and torn down. */
export async function waitUntilStopped(host: StateWaitHost): Promise<void> {
  await firstValueFrom(host.state$.pipe(filter((state) => state === 'stopped' || state === 'crashed')));
  // crashed: once its crash teardown finished
  const teardown = crashTeardownOf(host)?.promise;
  if (teardown) await teardown.then(noop, noop);
}

/**
 * Resolves when the service reaches `state` (for `crashed`: once torn down); rejects with
 * `WaitTimeoutError` on timeout, `ServiceCrashedError` when it crashes first, `signal.reason` when
 * aborted.
 */
export function waitFor(
  host: StateWaitHost,
  state: ServiceState,
  options: { timeout?: Duration; signal?: AbortSignal } | undefined,
): Promise<void> {
  if (!STATES.includes(state)) throw new TypeError(`state must be a ServiceState; received ${show(state)}`);
  const timeoutMs = timeoutOf(options);
  const signal = options?.signal;
  const timeoutError = timeoutMs === undefined ? undefined : new WaitTimeoutError(host.ref, state, timeoutMs);
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const cleanup = new Subscription();
    const settle = (fn: () => void): void => {
      cleanup.unsubscribe();
      fn();
    };
    if (timeoutMs !== undefined) {
      cleanup.add(host.scheduler.schedule(() => settle(() => reject(timeoutError)), timeoutMs));
    }
    if (signal) {
      const onAbort = (): void => settle(() => reject(signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      cleanup.add(() => signal.removeEventListener('abort', onAbort));
    }
    cleanup.add(
      host.state$.subscribe((current) => {
        if (current === state) {
          if (state === 'crashed') {
            // the crash teardown begins right after the transition: wait for it to finish
            const done = (): void => settle(resolve);
            void Promise.resolve()
              .then(() => crashTeardownOf(host)?.promise)
              .then(done, done);
          } else {
            settle(resolve);
          }
        } else if (current === 'crashed') {
          settle(() => reject(new ServiceCrashedError(host.ref, host.crashReason)));
        }
      }),
    );
  });
}
