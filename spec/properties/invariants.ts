/**
 * The lifecycle invariants a fuzz run checks, through the public API only: the transition table of
 * API.md section 2, `events$` against `state$`, the tree at quiescent points, what operations
 * reject with, and the order among siblings joined by `after` (API.md section 3.6).
 *
 * The order invariants look at the moment of each transition (every state$ emission gets a global
 * sequence number, quoted in reports):
 * - start: a child that enters `starting` while its parent is `starting` (a start driven by the
 *   parent, in either concurrency mode) finds every prerequisite that is still its sibling `running`;
 * - stop: a child that leaves `running` for `stopping` while its parent is `stopping` (either
 *   concurrency mode: the reverse insertion order of `'sequential'` honours the edges too) finds every
 *   sibling naming it in `after` stopped (`init`, `stopped` or `crashed`). Documented exception: a
 *   crash teardown (the parent is `crashed`), which tears children down without waiting for their
 *   dependents, is not checked.
 * Transitions of a service that a scenario operation in flight targets directly (its own `start()`,
 * `stop()`, `restart()`, `removeDependency()`, `addRuntimeDependency()`) are not driven by the
 * parent and are not checked.
 */
import type { Subscription } from 'rxjs';
import {
  InvalidStateError,
  isServiceError,
  type LifecycleEvent,
  type Service,
  type ServiceSnapshot,
  type ServiceState,
} from '../../lib/index.js';
import type { NodeSpec, Violation } from './model.js';

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
  /** Global sequence number of each state$ transition, in order. */
  seqs: number[];
  /** Concurrency of the service's children. */
  modes: Pick<NodeSpec, 'startConcurrency' | 'stopConcurrency'> | undefined;
}

/** States in which a dependent counts as stopped (`init`: never started). */
const DOWN: readonly ServiceState[] = ['init', 'stopped', 'crashed'];

/** The rejection `removeDependency` gives while a remaining sibling names the child in `after`. */
export function isRemoveGuard(error: unknown): error is InvalidStateError {
  return error instanceof InvalidStateError && error.operation.startsWith('removeDependency');
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
  /** The edges the scenario declared: child -> its prerequisites. */
  readonly #after = new Map<Service<any>, readonly Service<any>[]>();
  /** Scenario operations in flight that start or stop a service directly. */
  readonly #direct = new Map<Service<any>, number>();
  #seq = 0;
  step = -1;

  constructor(root: Service<any>, injected: ReadonlySet<unknown>) {
    this.#root = root;
    this.#injected = injected;
    this.#subscriptions.push(root.events$.subscribe((event) => this.#onEvent(event)));
  }

  report(invariant: string, detail: string): void {
    this.violations.push({ invariant, detail, step: this.step });
  }

  /** Records that `child` was added naming `after` (its prerequisites, siblings at that moment). */
  declare(child: Service<any>, after: readonly Service<any>[]): void {
    if (after.length > 0) this.#after.set(child, after);
  }

  /** The prerequisites the scenario declared for `service`. */
  prerequisitesOf(service: Service<any>): readonly Service<any>[] {
    return this.#after.get(service) ?? [];
  }

  /** Counts an operation of the scenario on `service` (+1 when issued, -1 when settled). */
  direct(service: Service<any>, delta: 1 | -1): void {
    this.#direct.set(service, (this.#direct.get(service) ?? 0) + delta);
  }

  /** Starts watching a service's state$ (call it right after creating the service). */
  watch(service: Service<any>, label: string, modes?: Watched['modes']): void {
    const watched: Watched = {
      service,
      label,
      inTree: [],
      reported: [],
      last: service.state,
      seqs: [],
      modes,
    };
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
        watched.seqs.push(++this.#seq);
        if (!ALLOWED[from].includes(to)) {
          this.report('transition-table', `${label}: ${from} -> ${to} is not in API.md section 2`);
        }
        if (!isUnder(service, this.#root)) return;
        watched.inTree.push(`${from}->${to}`);
        if (to === 'starting') this.#checkStartOrder(watched);
        else if (from === 'running' && to === 'stopping') this.#checkStopOrder(watched);
      }),
    );
  }

  /** `#12 (running)`: the sequence number and state of a service's last transition. */
  #at(service: Service<any>): string {
    const seq = this.#watched.get(service.id)?.seqs.at(-1);
    return `${this.label(service)} ${service.state}${seq === undefined ? '' : ` since #${seq}`}`;
  }

  #isDirect(service: Service<any>): boolean {
    return (this.#direct.get(service) ?? 0) > 0;
  }

  /** A start driven by the parent begins only once every prerequisite (still a sibling) runs. */
  #checkStartOrder(w: Watched): void {
    const parent = w.service.parent;
    if (!parent || parent.state !== 'starting' || this.#isDirect(w.service)) return;
    const waiting = this.prerequisitesOf(w.service).filter(
      (p) => p.parent === parent && p.state !== 'running',
    );
    if (waiting.length === 0) return;
    const mode = this.#watched.get(parent.id)?.modes?.startConcurrency ?? '?';
    this.report(
      'start-after-prerequisites',
      `${w.label} entered starting (#${w.seqs.at(-1)}) during the start of ${this.label(parent)} ` +
        `(startConcurrency ${mode}) while its prerequisite ${waiting.map((p) => this.#at(p)).join(', ')}`,
    );
  }

  /** In a stop of the parent, a child stops only after every sibling naming it has stopped. */
  #checkStopOrder(w: Watched): void {
    const parent = w.service.parent;
    // a crashed parent is a crash teardown: the documented exception
    if (!parent || parent.state !== 'stopping' || this.#isDirect(w.service)) return;
    const up = parent.children.filter(
      (d) => this.prerequisitesOf(d).includes(w.service) && !DOWN.includes(d.state),
    );
    if (up.length === 0) return;
    const mode = this.#watched.get(parent.id)?.modes?.stopConcurrency ?? '?';
    this.report(
      'stop-after-dependents',
      `${w.label} left running for stopping (#${w.seqs.at(-1)}) during the stop of ${this.label(parent)} ` +
        `(stopConcurrency ${mode}) while its dependent ${up.map((d) => this.#at(d)).join(', ')}`,
    );
  }

  /** The snapshot of every service in the tree lists exactly the ids of its prerequisites. */
  checkSnapshot(): void {
    const visit = (snapshot: ServiceSnapshot): void => {
      const w = this.#watched.get(snapshot.id);
      if (w) {
        const expected = this.prerequisitesOf(w.service)
          .map((p) => p.id)
          .sort();
        const listed = [...(snapshot.after ?? [])].sort();
        if (expected.join(',') !== listed.join(',')) {
          const names = (ids: string[]): string =>
            ids.map((id) => this.#watched.get(id)?.label ?? id).join(', ');
          const detail = `${w.label}: toJSON().after lists [${names(listed)}], prerequisites are [${names(expected)}]`;
          // each mismatch once, not after every step
          if (!this.violations.some((v) => v.detail === detail)) this.report('snapshot-after', detail);
        }
      }
      snapshot.children.forEach(visit);
    };
    visit(this.#root.toJSON());
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
