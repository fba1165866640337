/**
 * Interprets what `run()` returned: nothing, a promise, an Observable, an async iterable or another
 * ObservableInput. Values are published to `run$`; promises and async iterables are awaited at stop.
 */
import { from, isObservable, observable as observableSymbol, type Subscription } from 'rxjs';

/** A `run()` in progress. */
export interface RunHandle {
  readonly subscription: Subscription | undefined;
  /** What the stop must await (a Promise- or AsyncIterable-returning run), while it has not settled. */
  pending(): PromiseLike<unknown> | undefined;
}

/** What the running `run()` needs from its service. */
export interface RunHost {
  readonly signal: AbortSignal;
  publish(value: unknown): void;
  fail(error: unknown): void;
}

const NOTHING: RunHandle = { subscription: undefined, pending: () => undefined };

/** True when `value` is something `from()` accepts (strings excluded: a string is surely a mistake). */
export function isObservableInput(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const v = value as Record<PropertyKey, unknown>;
  return (
    isObservable(value) ||
    typeof v[observableSymbol] === 'function' ||
    typeof v.then === 'function' ||
    typeof v[Symbol.asyncIterator] === 'function' ||
    typeof v[Symbol.iterator] === 'function' ||
    typeof (v as { getReader?: unknown }).getReader === 'function'
  );
}

/** Starts consuming a `run()` result that {@link isObservableInput} accepted (or `undefined`). */
export function consumeRun(result: unknown, host: RunHost): RunHandle {
  if (result === undefined) return NOTHING;
  const r = result as Record<PropertyKey, unknown>;
  if (typeof r.then === 'function') {
    let done = false;
    const settled = Promise.resolve(result).then(
      () => void (done = true),
      (error: unknown) => {
        done = true;
        host.fail(error);
      },
    );
    return { subscription: undefined, pending: () => (done ? undefined : settled) };
  }
  if (typeof r[Symbol.asyncIterator] === 'function' && !isObservable(result)) {
    const iterator = (result as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    let done = false;
    const loop = (async () => {
      try {
        for (;;) {
          const step = await iterator.next();
          if (step.done) return;
          host.publish(step.value);
          if (host.signal.aborted) {
            await iterator.return?.();
            return;
          }
        }
      } catch (error) {
        host.fail(error);
      } finally {
        done = true;
      }
    })();
    return { subscription: undefined, pending: () => (done ? undefined : loop) };
  }
  const subscription = from(result as AsyncIterable<unknown>).subscribe({
    next: (value) => host.publish(value),
    error: (error: unknown) => host.fail(error),
  });
  return { subscription, pending: () => undefined };
}
