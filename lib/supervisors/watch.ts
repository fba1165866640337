/**
 * What a supervisor knows of each child: the state before the current one (to tell a failed start
 * from a crash at runtime) and its backoff attempts, kept up to date from the child's `state$`.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Service } from '../service.js';
import type { ServiceState } from '../state.js';
import { AttemptCounter } from './backoff.js';

/** @internal One watched child. */
export interface WatchedChild {
  readonly attempts: AttemptCounter;
  /** The state the child was in before its current one. */
  readonly previous: ServiceState;
}

interface Entry extends WatchedChild {
  previous: ServiceState;
  current: ServiceState;
  subscription: Subscription | undefined;
}

/** @internal The supervisor as its child watch sees it. */
export interface WatchOwner {
  readonly scheduler: SchedulerLike;
}

/** @internal The watched children of one supervisor; a child that moves away is forgotten. */
export class ChildWatch {
  readonly #owner: WatchOwner;
  readonly #entries = new Map<Service<any>, Entry>();

  constructor(owner: WatchOwner) {
    this.#owner = owner;
  }

  /** The entry of `child`, watching it first if needed. */
  get(child: Service<any>): WatchedChild {
    return this.#entries.get(child) ?? this.watch(child);
  }

  has(child: Service<any>): boolean {
    return this.#entries.has(child);
  }

  /** Starts following the states of `child`. */
  watch(child: Service<any>): WatchedChild {
    const entry: Entry = {
      attempts: new AttemptCounter(),
      previous: child.state,
      current: child.state,
      subscription: undefined,
    };
    this.#entries.set(child, entry);
    entry.subscription = child.state$.subscribe((state) => {
      if (child.parent !== this.#owner) {
        this.forget(child);
        return;
      }
      entry.previous = entry.current;
      entry.current = state;
      if (state === 'running') entry.attempts.running(this.#owner.scheduler.now());
    });
    return entry;
  }

  /** Stops following `child`. */
  forget(child: Service<any>): void {
    const entry = this.#entries.get(child);
    if (!entry) return;
    this.#entries.delete(child);
    entry.subscription?.unsubscribe();
  }

  /** Every child starts its backoff sequence again (a new run of the supervisor). */
  resetAttempts(): void {
    for (const entry of this.#entries.values()) entry.attempts.reset();
  }
}
