/**
 * What a service is as a node of its tree, apart from its lifecycle: its identity and path, its
 * parent and children (added and removed through the dependency methods), what it inherits down the
 * tree (scheduler, logger) and the events that flow up it to every observed ancestor. `Service`
 * (service.ts) extends it with the lifecycle.
 */
import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import { InvalidStateError } from './errors.js';
import type { LifecycleEvent, ServiceRef } from './events.js';
import {
  adopt,
  checkAfter,
  isDueToStart,
  removeChild,
  warnIdle,
  type TreeHost,
} from './internal/dependencies.js';
import { EventHub } from './internal/event-hub.js';
import { publishEvent } from './internal/event-queue.js';
import { show } from './internal/format.js';
import * as $ from './internal/symbols.js';
import { silentLogger, type Logger } from './logger.js';
import { resolveServiceOptions, type ResolvedOptions, type ServiceOptions } from './options.js';

/** The children of a childless node: shared, so frozen (it is replaced on the first add). */
const NO_CHILDREN = Object.freeze([]) as unknown as never[];
let nextId = 0;
/** Bumped whenever a node is attached or detached: cached paths are stale then. */
let treeEpoch = 0;

/** Options of `addDependency` and `addRuntimeDependency`. */
export interface DependencyOptions {
  /**
   * Siblings (children already added to the same parent) this child needs running first: with
   * `startConcurrency: 'parallel'` it starts once they run; with `stopConcurrency: 'parallel'` they
   * stop once it has stopped (section 3.6 of the contract).
   * @defaultValue none
   */
  after?: ServiceNode<any> | readonly ServiceNode<any>[];
}

/**
 * The tree side of a {@link Service}: identity, parent and children, the dependency methods,
 * inherited scheduler and logger, and `events$`. `Node` is the type of the nodes of the tree
 * (`Service<any>`, the only subclass: so every node is a `Node`).
 */
export abstract class ServiceNode<Node extends ServiceNode<Node> & TreeHost> {
  /** Unique per instance. */
  readonly id: string;
  /** `options.name`, else the class name. */
  readonly name: string;

  #parent: Node | undefined;
  #children: Node[] = NO_CHILDREN;
  #opts: ResolvedOptions;
  #ref: { epoch: number; ref: ServiceRef } | undefined;
  /** The siblings this node needs running first (`after`), when it has any. */
  #after: Node[] | undefined;
  #events: EventHub<LifecycleEvent> | undefined;

  /** `strict`: every unknown option is refused, not only the misspelled ones (see `resolveServiceOptions`). */
  protected constructor(options: ServiceOptions | undefined, strict: boolean) {
    const { name, resolved } = resolveServiceOptions(options, strict);
    this.id = `${++nextId}`;
    this.name = name ?? (new.target.name || 'Service');
    this.#opts = resolved;
  }

  /** `root/child/grandchild`, by names; recomputed when the service moves. */
  get path(): string {
    return this.ref.path;
  }
  /** The service that owns this one, if any. */
  get parent(): Node | undefined {
    return this.#parent;
  }
  /** The dependencies, in insertion order. */
  get children(): readonly Node[] {
    return this.#children;
  }
  /** The scheduler of this subtree. */
  get scheduler(): SchedulerLike {
    if (this.#opts.scheduler) return this.#opts.scheduler;
    for (let s = this.#parent; s; s = s.#parent) if (s.#opts.scheduler) return s.#opts.scheduler;
    return asyncScheduler;
  }
  /** The logger of this subtree. */
  get logger(): Logger {
    return this.#opts.logger ?? this.#parent?.logger ?? silentLogger;
  }
  /** Lifecycle events of this service and every descendant, in order. */
  get events$(): Observable<LifecycleEvent> {
    return (this.#events ??= new EventHub<LifecycleEvent>());
  }
  /** The service as it appears in events and errors. */
  get ref(): ServiceRef {
    // kept until some node of any tree moves (paths change only then); shared by events, so frozen
    if (this.#ref?.epoch !== treeEpoch) {
      const path = this.#parent ? `${this.#parent.path}/${this.name}` : this.name;
      this.#ref = { epoch: treeEpoch, ref: Object.freeze({ id: this.id, name: this.name, path }) };
    }
    return this.#ref.ref;
  }

  // ─── dependencies ───────────────────────────────────────────────────────────────────────────

  /**
   * Adds a child: started with this service (after `onStart`), stopped before it (after `onStop`).
   *
   * @remarks Adding the same child again is a no-op; a stopped or idle child moves from another
   * parent; a running one cannot. On a running parent the child stays idle (a warning is logged):
   * use {@link addRuntimeDependency} to start it too. `after` names the siblings the child needs
   * running first (see {@link DependencyOptions.after}).
   * @throws TypeError when `child` is not a Service or is this service or one of its ancestors, or
   * when `after` names anything but other children of this service; InvalidStateError when the child
   * runs under another parent.
   * @example
   * ```ts
   * const app = new Service({ startConcurrency: 'parallel', stopConcurrency: 'parallel' });
   * const db = app.addDependency(new Service({ name: 'db' }));
   * const cache = app.addDependency(new Service({ name: 'cache' }), { after: db });
   * app.addDependency(new Service({ name: 'api' }), { after: [db, cache] });
   * ```
   */
  addDependency<S extends Node>(child: S, options?: DependencyOptions): S {
    const self = asNode<Node>(this);
    const isNew = isNode(child) && child.#parent !== self;
    this[$.insertChild](this.#children.length, child, afterOf(self, child, options));
    if (isNew && self.state === 'running') warnIdle(self, child);
    return child;
  }

  /** Adds a child (see {@link addDependency}) and, when this service is running, starts it now. */
  async addRuntimeDependency<S extends Node>(child: S, options?: DependencyOptions): Promise<S> {
    const self = asNode<Node>(this);
    const state = self.state;
    if (state === 'stopping') throw new InvalidStateError(this.ref, state, 'add a runtime dependency');
    this[$.insertChild](this.#children.length, child, afterOf(self, child, options));
    if (isDueToStart(self, child, state)) await child.start();
    return child;
  }

  /** Stops a child (and what it runs), then detaches it. */
  async removeDependency(child: Node): Promise<void> {
    if (!isNode(child)) throw new TypeError(`child must be a Service; received ${show(child)}`);
    return removeChild(asNode<Node>(this), child);
  }

  /** @internal Adds a child at `index` (supervisors keep a crashed child's slot for its replacement). */
  protected [$.insertChild]<S extends Node>(index: number, child: S, after?: Node[]): S {
    if (!isNode(child)) throw new TypeError(`child must be a Service; received ${show(child)}`);
    const self = asNode<Node>(this);
    if (child.#parent !== self) adopt(self, child, index, after);
    return child;
  }

  // ─── internal ───────────────────────────────────────────────────────────────────────────────

  /** @internal Its options, resolved. */
  get [$.settings](): ResolvedOptions {
    return this.#opts;
  }

  /** @internal The siblings this node needs running first (`after`), in the order given. */
  get [$.prerequisites](): readonly Node[] {
    return this.#after ?? NO_CHILDREN;
  }

  /** @internal True when this node or an ancestor has an `events$` subscriber. */
  [$.isObserved](): boolean {
    if (this.#events?.observed) return true;
    for (let s = this.#parent; s; s = s.#parent) if (s.#events?.observed) return true;
    return false;
  }

  /** @internal Hands an event to this node's own `events$` subscribers. */
  [$.deliverEvent](event: LifecycleEvent): void {
    if (this.#events?.observed) this.#events.next(event);
  }

  /** @internal Emits an event on this node's and every ancestor's `events$` (subclasses: supervisor, blocked, …). */
  [$.emit](event: LifecycleEvent): void {
    if (this[$.isObserved]()) publishEvent(this, event);
  }

  /** @internal Puts `child` at `index` with the prerequisites `after`; `index` undefined takes it out. */
  [$.link](child: Node, index: number | undefined, after?: Node[]): void {
    const children = this.#children === NO_CHILDREN ? (this.#children = []) : this.#children;
    if (index !== undefined) {
      if (index >= children.length) children.push(child);
      else children.splice(Math.max(0, index), 0, child);
    } else {
      const at = children.indexOf(child);
      if (at < 0) return;
      children.splice(at, 1);
    }
    child.#parent = index === undefined ? undefined : asNode<Node>(this);
    child.#after = after; // edges belong to one set of siblings
    treeEpoch++;
  }
}

/** True for a node of a service tree (a `Service`). */
function isNode<Node>(value: unknown): value is Node {
  return value instanceof ServiceNode;
}

/**
 * `node` as the `Node` type of its tree: `Service`, the only subclass, is every node. (A function,
 * not a private getter: a class with private methods marks each of its instances.)
 */
export function asNode<Node>(node: ServiceNode<any>): Node {
  return node as unknown as Node;
}

/** The prerequisites `options.after` names for `child` of `parent` (validated), if any. */
function afterOf<Node extends TreeHost>(
  parent: Node,
  child: Node,
  options: DependencyOptions | undefined,
): Node[] | undefined {
  return options === undefined ? undefined : checkAfter(parent, child, options, isNode<Node>);
}
