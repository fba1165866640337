/**
 * Starting and stopping children on a supervisor's behalf: stops in reverse order that go on past
 * a failing child, starts that the supervisor's stop can wait for until they have begun, and the
 * checks and detaching behind `add()`, `discard()` and `insert()`.
 */
import { show } from '../internal/format.js';
import { noop } from '../internal/noop.js';
import { prerequisites } from '../internal/symbols.js';
import type { StopReason } from '../events.js';
import { Service } from '../service.js';

/**
 * @internal Stops the children that are starting or running, last first, while `proceed()` holds;
 * `before(child)` runs before each stop; a failing stop is handed to `failed` and the others go on.
 */
export async function stopActive(
  children: readonly Service<any>[],
  reason: StopReason,
  proceed: () => boolean,
  failed: (child: Service<any>, error: unknown) => void,
  before: (child: Service<any>) => void = noop,
): Promise<void> {
  for (let i = children.length - 1; i >= 0; i--) {
    if (!proceed()) return;
    const child = children[i]!;
    if (child.state !== 'starting' && child.state !== 'running') continue;
    before(child);
    await child.stop(reason).catch((error: unknown) => failed(child, error));
  }
}

/** @internal The supervisor as its launcher sees it. */
export interface LaunchOwner {
  readonly shouldStop: boolean;
  readonly path: string;
  /** Aborted when the supervisor stops: a start waiting for prerequisites gives up. */
  readonly signal: AbortSignal;
}

/** @internal Starts children for a supervisor and keeps track of those still on their way. */
export class Launcher {
  readonly #owner: LaunchOwner;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(owner: LaunchOwner) {
    this.#owner = owner;
  }

  /** Resolves once every start in flight has begun (its child is `starting`) or has settled. */
  begun(): Promise<void> | undefined {
    return this.#inFlight.size === 0 ? undefined : Promise.all(this.#inFlight).then(noop);
  }

  /**
   * `target.start()` (or `restart()`). A start that began and failed comes back to the supervisor
   * as a crash through the core; a failure before the start began (a throwing `onRestart`) is
   * handed to `failedEarly`. A child that starts after the supervisor began stopping is stopped.
   */
  async launch(
    target: Service<any>,
    how: 'start' | 'restart',
    failedEarly: (error: unknown) => void,
  ): Promise<void> {
    let markBegun: () => void = noop;
    let began = false;
    const begun = new Promise<void>((resolve) => (markBegun = resolve));
    this.#inFlight.add(begun);
    const watch = target.state$.subscribe((state) => {
      if (state !== 'starting') return;
      began = true;
      markBegun();
    });
    try {
      await prerequisitesRunning(target, this.#owner.signal);
      await (how === 'start' || target.state === 'init' ? target.start() : target.restart());
    } catch (error) {
      if (!began) failedEarly(error);
    } finally {
      watch.unsubscribe();
      markBegun();
      this.#inFlight.delete(begun);
    }
    const owner = this.#owner;
    const state = target.state;
    if (owner.shouldStop && target.parent === owner && (state === 'starting' || state === 'running')) {
      await target.stop({ type: 'parent', parent: owner.path }).catch(noop);
    }
  }
}

/**
 * Waits until every sibling `target` names in `after` runs (a restarted child waits for its
 * prerequisites; section 3.6); rejects when one crashes first or the supervisor stops.
 */
async function prerequisitesRunning(target: Service<any>, signal: AbortSignal): Promise<void> {
  const waiting = target[prerequisites].filter((p) => p.parent === target.parent && p.state !== 'running');
  if (waiting.length > 0) await Promise.all(waiting.map((p) => p.waitFor('running', { signal })));
}

/** @internal Throws a TypeError naming the first argument that is not a Service. */
export function checkServices(services: readonly unknown[], name = 'services'): void {
  services.forEach((service, i) => {
    if (!(service instanceof Service)) {
      const where = name === 'services' ? `services[${i}]` : name;
      throw new TypeError(`${where} must be a Service; received ${show(service)}`);
    }
  });
}

/**
 * @internal `discard()`: detaches the children of `owner` among `services`, last first; rejects with
 * the one stop error, or an `AggregateError` of several, once every one was detached.
 */
export async function discardChildren(owner: Service<any>, services: readonly Service<any>[]): Promise<void> {
  const children = owner.children;
  const mine = [...new Set(services)]
    .filter((s) => s.parent === owner)
    .sort((a, b) => children.indexOf(b) - children.indexOf(a));
  const errors: unknown[] = [];
  for (const service of mine) await owner.removeDependency(service).catch((e: unknown) => errors.push(e));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1)
    throw new AggregateError(errors, `${errors.length} discarded services failed to stop`);
}
