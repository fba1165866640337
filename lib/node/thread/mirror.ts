/**
 * How the tree inside a thread appears in the parent: the thread's root service stands for the
 * ThreadService itself, its descendants appear below the ThreadService's path, with ids prefixed
 * by the ThreadService's id so they stay unique in the parent's tree.
 */
import type { LifecycleEvent, ServiceRef } from '../../events.js';
import type { ServiceSnapshot } from '../../snapshot.js';

/** @internal Rewrites paths, refs, snapshots and events of a thread into the parent's tree. */
export class ThreadMirror {
  readonly #rootPath: string;
  readonly #own: () => ServiceRef;

  /**
   * @param rootPath - the path of the service in the thread (its root)
   * @param own - the ThreadService's current ref (its path changes when it moves)
   */
  constructor(rootPath: string, own: () => ServiceRef) {
    this.#rootPath = rootPath;
    this.#own = own;
  }

  /** True for the thread's root service. */
  isRoot(ref: ServiceRef): boolean {
    return ref.path === this.#rootPath;
  }

  path(path: string): string {
    const own = this.#own().path;
    if (path === this.#rootPath) return own;
    return path.startsWith(`${this.#rootPath}/`) ? `${own}${path.slice(this.#rootPath.length)}` : path;
  }

  ref(ref: ServiceRef): ServiceRef {
    const own = this.#own();
    if (ref.path === this.#rootPath) return own;
    return { id: `${own.id}:${ref.id}`, name: ref.name, path: this.path(ref.path) };
  }

  snapshot(snapshot: ServiceSnapshot): ServiceSnapshot {
    return {
      ...snapshot,
      id: `${this.#own().id}:${snapshot.id}`,
      path: this.path(snapshot.path),
      children: snapshot.children.map((child) => this.snapshot(child)),
    };
  }

  /** An event of the thread's tree as the parent shows it; the root's hooks are named `thread:<hook>`. */
  event(event: LifecycleEvent): LifecycleEvent {
    const out = { ...event, service: this.ref(event.service) };
    if (this.isRoot(event.service) && out.type === 'hook') out.hook = `thread:${out.hook}`;
    if (out.type === 'child' || out.type === 'supervisor') out.child = this.ref(out.child);
    if (out.type === 'stop-timeout') out.stuck = out.stuck.map((s) => ({ ...s, path: this.path(s.path) }));
    return out;
  }
}
