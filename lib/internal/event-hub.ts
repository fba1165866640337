/**
 * The multicast behind a service's `events$`: a plain list of subscribers handed each event in a
 * loop. A `Subject` would do the same, but its `next()` allocates a closure and an iterator per call,
 * and a monitored tree delivers several events per service and transition.
 */
import { Observable, type Subscriber } from 'rxjs';

/** @internal An Observable that `next()` multicasts to its current subscribers; never completes. */
export class EventHub<T> extends Observable<T> {
  readonly #list: { observers: readonly Subscriber<T>[] };

  constructor() {
    // replaced (not mutated) on every change, so a delivery under way never sees the change
    const list: { observers: readonly Subscriber<T>[] } = { observers: [] };
    super((subscriber) => {
      list.observers = [...list.observers, subscriber];
      return () => {
        list.observers = list.observers.filter((s) => s !== subscriber);
      };
    });
    this.#list = list;
  }

  /** The current subscribers, in subscription order. */
  get observers(): readonly Subscriber<T>[] {
    return this.#list.observers;
  }

  /** True while someone subscribes. */
  get observed(): boolean {
    return this.#list.observers.length > 0;
  }

  /** Hands `value` to every subscriber there was when the call began, in subscription order. */
  next(value: T): void {
    const observers = this.#list.observers;
    for (let i = 0; i < observers.length; i++) observers[i]!.next(value);
  }
}
