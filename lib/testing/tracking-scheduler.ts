/**
 * The leak check's view of time: a SchedulerLike that forwards every action to another scheduler
 * and remembers the ones still due (scheduled or rescheduled, not yet run, not cancelled), with
 * where each was scheduled from.
 */
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { callerOf, captureStack } from './call-site.js';

/** One action scheduled through the tracking scheduler. */
interface Tracked {
  /** Its delay in ms at the last (re)scheduling. */
  delay: number;
  /** Where it was first scheduled from. */
  readonly stack: Error;
}

/**
 * Forwards to `inner`; {@link TrackingScheduler.due} lists what is still due.
 *
 * @remarks An action's work may reschedule it (`this.schedule(state, delay)`, as rxjs `timer()` and
 * `interval()` do): the work is handed a view of its action whose `schedule` marks it due again.
 */
export class TrackingScheduler implements SchedulerLike {
  readonly #inner: SchedulerLike;
  readonly #due = new Set<Tracked>();

  constructor(inner: SchedulerLike) {
    this.#inner = inner;
  }

  now(): number {
    return this.#inner.now();
  }

  schedule<T>(
    work: (this: SchedulerAction<T>, state?: T) => void,
    delay: number = 0,
    state?: T,
  ): Subscription {
    const due = this.#due;
    const inner = this.#inner;
    const tracked: Tracked = { delay, stack: captureStack() };
    const again = (ms: number | undefined): void => {
      tracked.delay = ms ?? 0;
      due.add(tracked);
    };
    function run(this: SchedulerAction<T>, value?: T): void {
      due.delete(tracked);
      const view = new Proxy(this, {
        get(target, key) {
          if (key === 'schedule') {
            return (next?: T, ms?: number): Subscription => {
              again(ms);
              const rescheduled = target.schedule(next, ms); // virtual time: a new action
              if (rescheduled !== target) rescheduled.add(() => due.delete(tracked));
              return rescheduled;
            };
          }
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        },
      });
      work.call(view, value);
    }
    due.add(tracked);
    const subscription = inner.schedule(run, delay, state);
    subscription.add(() => due.delete(tracked));
    return subscription;
  }

  /** What is still due, each as `a 60000 ms action on the tree's scheduler, from fn (file:1:2)`. */
  due(): string[] {
    return [...this.#due].map((tracked) => {
      const from = callerOf(tracked.stack);
      const what = `a ${tracked.delay} ms action on the tree's scheduler`;
      return from ? `${what}, from ${from}` : what;
    });
  }
}
