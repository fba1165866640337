/**
 * The lifecycle invariants a fuzz run checks, through the public API only: the transition table of
 * API.md section 2, `events$` against `state$`, the tree at quiescent points, and what operations
 * reject with.
 */
import type { Subscription } from 'rxjs';
import { isServiceError, type LifecycleEvent, type Service, type ServiceState } from '../../lib/index.js';
import type { Violation } from './model.js';

/** API.md section 2, written out again here so that the library's own table is not trusted. */
const ALLOWED: Record<ServiceState, readonly ServiceState[]> = {
  init: ['starting', 'stopped'],
  starting: ['running', 'stopping', 'crashed'],
  running: ['stopping', 'crashed'],
  stopping: ['stopped'],
  stopped: ['starting'],
  crashed: ['starting'],
};

type Transition = `${ServiceState}->${ServiceState}`;

interface Watched {
  service: Service<any>;
  label: string;
  /** Transitions seen on state$ while the service was in the root's tree. */
  inTree: Transition[];
  /** `state` events the root's events$ reported for it. */
  reported: Transition[];
  last: ServiceState;
}

/** Is `service` (still) below `root`? */
export function isUnder(service: Service<any>, root: Service<any>): boolean {
  for (let s: Service<any> | undefined = service; s; s = s.parent) if (s === root) return true;
  return false;
}

/** Records what the invariants need and collects violations. */
export class Checker {
  readonly violations: Violation[] = [];
  readonly #root: Service<any>;
  readonly #watched = new Map<string, Watched>();
  readonly #subscriptions: Subscription[] = [];
  readonly #injected: ReadonlySet<unknown>;
  step = -1;

  constructor(root: Service<any>, injected: ReadonlySet<unknown>) {
    this.#root = root;
    this.#injected = injected;
    this.#subscriptions.push(root.events$.subscribe((event) => this.#onEvent(event)));
  }

  report(invariant: string, detail: string): void {
    this.violations.push({ invariant, detail, step: this.step });
  }

  /** Starts watching a service's state$ (call it right after creating the service). */
  watch(service: Service<any>, label: string): void {
    const watched: Watched = { service, label, inTree: [], reported: [], last: service.state };
    this.#watched.set(service.id, watched);
    let first = true;
    this.#subscriptions.push(
      service.state$.subscribe((to) => {
        if (first) {
          first = false;
          return;
        }
        const from = watched.last;
        watched.last = to;
        if (!ALLOWED[from].includes(to)) {
          this.report('transition-table', `${label}: ${from} -> ${to} is not in API.md section 2`);
        }
        if (isUnder(service, this.#root)) watched.inTree.push(`${from}->${to}`);
      }),
    );
  }

  #onEvent(event: LifecycleEvent): void {
    if (event.type !== 'state') return;
    const watched = this.#watched.get(event.service.id);
    if (!watched) {
      this.report('events-match-state', `a state event for an unknown service ${event.service.path}`);
      return;
    }
    watched.reported.push(`${event.from}->${event.to}`);
  }

  /** events$ reported exactly the state$ transitions of every service while it was in the tree. */
  checkEvents(): void {
    for (const w of this.#watched.values()) {
      const seen = w.inTree.join(', ');
      const told = w.reported.join(', ');
      if (seen !== told) {
        this.report('events-match-state', `${w.label}: state$ went [${seen}] but events$ reported [${told}]`);
        // report each mismatch once
        w.reported = [...w.inTree];
      }
      if (w.service.state !== w.last) {
        this.report(
          'state-equals-state$',
          `${w.label}: state is ${w.service.state}, state$ last emitted ${w.last}`,
        );
      }
    }
  }

  /** At a quiescent point no child runs or starts under a parent that is stopped, crashed or init. */
  checkQuiescent(): void {
    for (const w of this.#watched.values()) {
      const parent = w.service.parent;
      if (!parent || !isUnder(w.service, this.#root)) continue;
      const state = w.service.state;
      if (
        (state === 'running' || state === 'starting') &&
        ['stopped', 'crashed', 'init'].includes(parent.state)
      ) {
        this.report(
          'no-child-runs-under-idle-parent',
          `${w.label} is ${state} under ${this.label(parent)} (${parent.state})`,
        );
      }
    }
  }

  /** After the final stop: every service in the tree stopped, crashed or init; none removed left running. */
  checkFinal(): void {
    for (const w of this.#watched.values()) {
      const state = w.service.state;
      if (isUnder(w.service, this.#root)) {
        if (state !== 'stopped' && state !== 'crashed' && state !== 'init') {
          this.report('final-stop-stops-everything', `${w.label} is ${state} after the final root.stop()`);
        }
      } else if (state === 'running' || state === 'starting' || state === 'stopping') {
        this.report('no-orphans', `${w.label} was removed from the tree and is still ${state}`);
      }
    }
  }

  label(service: Service<any>): string {
    return this.#watched.get(service.id)?.label ?? service.path;
  }

  /** An operation rejected: with an injected error, or a ServiceError whose listed errors are too. */
  checkRejection(operation: string, error: unknown): void {
    const problem = this.#badError(error, 0);
    if (problem !== undefined)
      this.report('rejections-are-documented', `${operation} rejected with ${problem}`);
  }

  #badError(error: unknown, depth: number): string | undefined {
    if (this.#injected.has(error)) return undefined;
    if (!isServiceError(error)) return describe(error) + (depth > 0 ? ' (inside a ServiceError)' : '');
    const listed = (error as { errors?: unknown }).errors;
    if (Array.isArray(listed) && depth < 5) {
      for (const inner of listed) {
        const problem = this.#badError(inner, depth + 1);
        if (problem !== undefined) return `${error.name} (${error.code}) listing ${problem}`;
      }
    }
    return undefined;
  }

  dispose(): void {
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
  }
}

/** A short description of a thrown value. */
export function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return `${typeof value} ${String(value)}`;
}
