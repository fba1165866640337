/**
 * Teardown logic of a service (Mode's `add_context`): functions, subscriptions and (async) disposables,
 * run last-in-first-out, every one even when another throws, each at most once.
 */
import type { TeardownLogic } from 'rxjs';
import { show } from './internal/format.js';

/** What `addTeardown` accepts. */
export type Teardown = TeardownLogic | AsyncDisposable | Disposable;

/** @internal One registered teardown and whether it belongs to the current run only. */
interface Entry {
  readonly teardown: Teardown;
  readonly perRun: boolean;
}

/** @internal Checks that a value is something `addTeardown` can run. */
export function assertTeardown(teardown: unknown): asserts teardown is Teardown {
  if (teardown === undefined || teardown === null || typeof teardown === 'function') return;
  if (typeof teardown === 'object') {
    const t = teardown as Record<PropertyKey, unknown>;
    if (
      typeof t.unsubscribe === 'function' ||
      typeof t[Symbol.asyncDispose] === 'function' ||
      typeof t[Symbol.dispose] === 'function'
    ) {
      return;
    }
  }
  throw new TypeError(
    `teardown must be a function, a Subscription, a Disposable or an AsyncDisposable; received ${show(teardown)}`,
  );
}

/** @internal Runs one teardown; returns a promise only for async disposables and async functions. */
export function runTeardown(teardown: Teardown): unknown {
  if (!teardown) return undefined;
  if (typeof teardown === 'function') return teardown();
  const t = teardown as unknown as Record<PropertyKey, (() => unknown) | undefined>;
  const asyncDispose = t[Symbol.asyncDispose];
  if (typeof asyncDispose === 'function') return asyncDispose.call(teardown);
  const dispose = t[Symbol.dispose];
  if (typeof dispose === 'function') return dispose.call(teardown);
  return (t.unsubscribe as () => unknown).call(teardown);
}

/** @internal The teardowns of one service: definition entries stay across runs, per-run ones do not. */
export class TeardownStack {
  #entries: Entry[] = [];

  get size(): number {
    return this.#entries.length;
  }

  add(teardown: Teardown, perRun: boolean): void {
    this.#entries.push({ teardown, perRun });
  }

  /** Every teardown, last in first out; per-run ones are dropped from the stack. */
  takeForStop(): Teardown[] {
    const out: Teardown[] = [];
    for (let i = this.#entries.length - 1; i >= 0; i--) out.push(this.#entries[i]!.teardown);
    if (this.#entries.some((e) => e.perRun)) this.#entries = this.#entries.filter((e) => !e.perRun);
    return out;
  }
}
