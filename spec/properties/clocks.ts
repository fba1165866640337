/**
 * The two time modes of a fuzz run behind one interface: the virtual clock of `rxmode/testing`
 * (deterministic, driven timer by timer) and real time with a scheduler that counts the timers the
 * library leaves active.
 */
import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { createVirtualClock, type VirtualClock } from '../../lib/testing/index.js';
import type { Mode } from './model.js';

/** Time as a fuzz run sees it. */
export interface Driver {
  readonly mode: Mode;
  /** The scheduler handed to the services. */
  readonly scheduler: SchedulerLike;
  now(): number;
  /** The scenario's own timer: not counted by {@link Driver.libraryTimers}. */
  after(ms: number, fn: () => void): Subscription;
  /** Lets time pass until every promise settled or `ms` passed; true when they all settled. */
  settle(promises: readonly PromiseLike<unknown>[], ms: number): Promise<boolean>;
  /** Lets pending promise callbacks run. */
  flush(): Promise<void>;
  /** Timers scheduled through the services' scheduler that are still active. */
  libraryTimers(): number;
}

const hostTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function allSettled(promises: readonly PromiseLike<unknown>[]): { readonly done: boolean } {
  const state = { done: promises.length === 0 };
  if (promises.length > 0) {
    void Promise.allSettled(promises).then(() => {
      state.done = true;
    });
  }
  return state;
}

class VirtualDriver implements Driver {
  readonly mode = 'virtual' as const;
  readonly clock: VirtualClock = createVirtualClock();
  readonly #ours = new WeakSet<object>();
  /** Set when a scheduled action threw out of the clock (reported by the runner). */
  thrown: unknown[] = [];

  get scheduler(): SchedulerLike {
    return this.clock.scheduler;
  }
  now(): number {
    return this.clock.now();
  }
  after(ms: number, fn: () => void): Subscription {
    const action = this.clock.scheduler.schedule(fn, ms);
    this.#ours.add(action);
    return action;
  }
  flush(): Promise<void> {
    return this.clock.flush();
  }
  async settle(promises: readonly PromiseLike<unknown>[], ms: number): Promise<boolean> {
    const limit = this.now() + ms;
    const state = allSettled(promises);
    for (;;) {
      await this.clock.flush();
      if (state.done) return true;
      const next = this.clock.scheduler.actions[0];
      const to = !next || next.delay > limit ? limit : next.delay;
      try {
        await this.clock.advanceTo(to);
      } catch (error) {
        this.thrown.push(error);
      }
      if (to === limit) {
        await this.clock.flush();
        return state.done;
      }
    }
  }
  libraryTimers(): number {
    return this.clock.scheduler.actions.filter((action) => !this.#ours.has(action)).length;
  }
}

/** Wraps asyncScheduler and remembers every action it scheduled, to count the active ones. */
class CountingScheduler implements SchedulerLike {
  readonly #actions = new Set<Subscription>();
  now(): number {
    return asyncScheduler.now();
  }
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
    const action = asyncScheduler.schedule(work, delay, state);
    this.#actions.add(action);
    return action;
  }
  /** Actions that are scheduled to run (rxjs AsyncAction's `pending`). */
  active(): number {
    let count = 0;
    for (const action of this.#actions) {
      if ((action as unknown as { pending: boolean }).pending) count++;
      else if (action.closed) this.#actions.delete(action);
    }
    return count;
  }
}

class RealDriver implements Driver {
  readonly mode = 'real' as const;
  readonly #counting = new CountingScheduler();
  get scheduler(): SchedulerLike {
    return this.#counting;
  }
  now(): number {
    return asyncScheduler.now();
  }
  after(ms: number, fn: () => void): Subscription {
    return asyncScheduler.schedule(fn, ms);
  }
  flush(): Promise<void> {
    return hostTurn();
  }
  async settle(promises: readonly PromiseLike<unknown>[], ms: number): Promise<boolean> {
    const state = allSettled(promises);
    const deadline = this.now() + ms;
    // polls, so that a settled step does not wait out its whole budget
    while (!state.done && this.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(2, deadline - this.now())));
    }
    await hostTurn();
    return state.done;
  }
  libraryTimers(): number {
    return this.#counting.active();
  }
}

/** A driver for `mode`. */
export function createDriver(mode: Mode): Driver & { thrown?: unknown[] } {
  return mode === 'virtual' ? new VirtualDriver() : new RealDriver();
}
