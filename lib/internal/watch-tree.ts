/**
 * Follows a service tree through its root's `events$` for the monitoring wings (rxmode/otel,
 * rxmode/prometheus): which services are in the tree (children added and removed at runtime), every
 * event, and how long each start, stop and crash teardown took (no event marks a crash teardown's
 * end). The core never imports this.
 */
import type { Subscription } from 'rxjs';
import type { LifecycleEvent } from '../events.js';
import type { Service } from '../service.js';

/** What a wing does as the tree changes. Callbacks run synchronously inside `events$` delivery. */
export interface TreeWatcher {
  /** A service is in the tree: at the start (parents first) and when added at runtime. */
  added(service: Service<any>): void;
  /** A service left the tree (removed with its subtree, parents first). */
  removed(service: Service<any>): void;
  /** Any event of the tree, after `added` for a `child` event that adds. */
  event(event: LifecycleEvent): void;
  /** A start reached `running` after `durationMs` (called after its `state` event). */
  started(service: Service<any>, durationMs: number): void;
  /**
   * A stop (`how` = `stopped`, after its `state` event) or a crash teardown (`how` = `crashed`,
   * before the service starts again) ended at `at`, scheduler time, after `durationMs`.
   */
  stopped(service: Service<any>, at: number, durationMs: number, how: 'stopped' | 'crashed'): void;
}

/** Per service: when its current start and stop began; a crash whose teardown is not reported yet. */
interface Watched {
  service: Service<any>;
  startedAt: number;
  stoppingAt: number;
  crashPending: boolean;
}

/**
 * Calls the watchers for every service of `root`'s tree now and later; returns the function that
 * stops watching. A failing callback is logged on the root's logger and reaches neither the tree nor
 * the other watchers.
 */
export function watchTree(root: Service<any>, ...watchers: TreeWatcher[]): () => void {
  const watched = new Map<string, Watched>();
  let closed = false;
  const call = (what: string, fn: (watcher: TreeWatcher) => void): void => {
    for (const watcher of watchers) {
      try {
        fn(watcher);
      } catch (err) {
        root.logger.error({ service: root.path, err }, `monitoring failed on ${what}`);
      }
    }
  };
  const add = (service: Service<any>): void => {
    watched.set(service.id, { service, startedAt: 0, stoppingAt: 0, crashPending: false });
    call('added', (w) => w.added(service));
    for (const child of service.children) add(child);
  };
  const remove = (service: Service<any>): void => {
    if (!watched.delete(service.id)) return;
    call('removed', (w) => w.removed(service));
    for (const child of service.children) remove(child);
  };
  const tornDown = (entry: Watched): void => {
    if (!entry.crashPending) return;
    entry.crashPending = false;
    const { service, stoppingAt } = entry;
    const durationMs = service.toJSON().stopDurationMs ?? service.scheduler.now() - stoppingAt;
    call('stopped', (w) => w.stopped(service, stoppingAt + durationMs, durationMs, 'crashed'));
  };
  const onEvent = (event: LifecycleEvent): void => {
    if (event.type === 'child') {
      const parent = watched.get(event.service.id)?.service;
      const child = parent?.children.find((c) => c.id === event.child.id);
      if (event.op === 'added' && child) add(child);
      else if (event.op === 'removed') {
        const gone = watched.get(event.child.id);
        if (gone) remove(gone.service);
      }
    }
    const entry = event.type === 'state' ? watched.get(event.service.id) : undefined;
    if (entry && event.type === 'state') {
      if (event.to === 'starting') {
        tornDown(entry); // start waits for a crash teardown: it is over
        entry.startedAt = event.at;
      } else if (event.to === 'stopping' || event.to === 'crashed') {
        entry.stoppingAt = event.at;
      }
    }
    call(event.type, (w) => w.event(event));
    if (!entry || event.type !== 'state') return;
    const { service } = entry;
    if (event.to === 'running') {
      const durationMs = event.at - entry.startedAt;
      call('started', (w) => w.started(service, durationMs));
    } else if (event.to === 'stopped' && event.from === 'stopping') {
      const durationMs = event.at - entry.stoppingAt;
      call('stopped', (w) => w.stopped(service, event.at, durationMs, 'stopped'));
    } else if (event.to === 'crashed') {
      entry.crashPending = true;
      service.waitUntilStopped().then(
        () => {
          if (!closed) tornDown(entry);
        },
        () => {},
      );
    }
  };
  add(root);
  const subscription: Subscription = root.events$.subscribe(onEvent);
  return () => {
    if (closed) return;
    closed = true;
    subscription.unsubscribe();
    watched.clear();
  };
}
