/**
 * Ties a service tree to the life of a browser page: `pagehide` stops the tree, and optionally the
 * tree's timer and cron ticks are skipped while the page is hidden or frozen. Without a DOM (Node,
 * workers without `addEventListener`) binding is a no-op, so the core stays platform-free.
 */
import { Subscription, skip } from 'rxjs';
import { show } from './internal/format.js';
import { pauseWork } from './internal/pause.js';
import { Service } from './service.js';
import { isShouldStop } from './state.js';

/** Options of {@link bindPageLifecycle}. */
export interface PageLifecycleOptions {
  /**
   * While the document is hidden (`visibilitychange`) or frozen (`freeze` until `resume`), skip the
   * timer and cron ticks of every service in the tree; each skipped tick counts as an overlap
   * (`TimerTick.overlaps`, one `timer-overlap` event).
   * @defaultValue false
   */
  pauseWhenHidden?: boolean;
}

/** A listener we added, kept so that unbinding removes exactly it. */
interface Bound {
  readonly target: EventTarget;
  readonly type: string;
  readonly listener: EventListener;
}

/**
 * The page's window: `globalThis.window` when it is an EventTarget (the same object as globalThis
 * in a browser; a different one under jsdom in Node, where events are dispatched on `window`), else
 * globalThis itself (a worker), else undefined (no DOM).
 */
function pageWindow(): EventTarget | undefined {
  for (const candidate of [(globalThis as { window?: unknown }).window, globalThis]) {
    const target = candidate as Partial<EventTarget> | null | undefined;
    if (
      target &&
      typeof target.addEventListener === 'function' &&
      typeof target.removeEventListener === 'function'
    ) {
      return target as EventTarget;
    }
  }
  return undefined;
}

/**
 * Binds a service tree to the page: when the page is hidden for good or put in the back/forward
 * cache (`pagehide`), the tree stops with the reason `{ type: 'signal', signal: 'pagehide' }`.
 *
 * @remarks
 * - The listeners are removed at the first stop or crash of `root` after binding (whatever caused
 *   it), on `pagehide`, or when the returned function is called (idempotent). A tree started again
 *   later must be bound again.
 * - `stop()` begins synchronously inside the `pagehide` listener, so the tree's `stopping` state,
 *   `stop$` and aborted `signal` are seen before the page goes away; asynchronous stop steps run only
 *   if the browser keeps the page alive long enough (use `navigator.sendBeacon` in `onStop` for
 *   last words). A failing stop is logged on the root's logger.
 * - A page restored from the back/forward cache (`pageshow` with `persisted: true`) finds the tree
 *   stopped: start it and bind it again there.
 * - With `pauseWhenHidden`, only timer and cron ticks are skipped; `run()`, tasks, `sleep()` and
 *   `itertimer()` go on (browsers throttle them anyway). Services added to the tree later are paused
 *   too. The pause ends with the binding.
 * - The listeners go on `globalThis.window` when it exists (in a browser it is globalThis; under
 *   jsdom in Node it is jsdom's window, where tests dispatch `pagehide`), else on globalThis (a
 *   worker); the document is that window's `document`, else `globalThis.document`.
 * - Without such a target (plain Node, workers without `addEventListener`) this does nothing and
 *   returns a no-op.
 * @param root - the root of the tree to bind (any service; its whole subtree is affected).
 * @param options - see {@link PageLifecycleOptions}.
 * @returns a function that removes the listeners (and ends a pause) without stopping the tree.
 * @throws TypeError when `root` is not a Service or an option has the wrong type.
 * @example
 * ```ts
 * const app = new AppService();
 * bindPageLifecycle(app, { pauseWhenHidden: true });
 * await app.start();
 * ```
 */
export function bindPageLifecycle(root: Service<any>, options: PageLifecycleOptions = {}): () => void {
  if (!(root instanceof Service)) throw new TypeError(`root must be a Service; received ${show(root)}`);
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object; received ${show(options)}`);
  }
  const { pauseWhenHidden = false } = options;
  if (typeof pauseWhenHidden !== 'boolean') {
    throw new TypeError(`pauseWhenHidden must be a boolean; received ${show(pauseWhenHidden)}`);
  }
  const win = pageWindow();
  if (!win) return () => {};

  const bound: Bound[] = [];
  const listen = (target: EventTarget, type: string, listener: EventListener): void => {
    target.addEventListener(type, listener);
    bound.push({ target, type, listener });
  };
  let isBound = true;
  let releasePause: (() => void) | undefined;
  const stateSubscription = new Subscription();
  const unbind = (): void => {
    if (!isBound) return;
    isBound = false;
    stateSubscription.unsubscribe();
    for (const { target, type, listener } of bound.splice(0)) target.removeEventListener(type, listener);
    releasePause?.();
  };

  listen(win, 'pagehide', () => {
    unbind();
    root.stop({ type: 'signal', signal: 'pagehide' }).catch((error: unknown) => {
      root.logger.error({ service: root.path, err: error }, 'stop on pagehide failed');
    });
  });

  const doc = (win as { document?: Document }).document ?? (globalThis as { document?: Document }).document;
  if (pauseWhenHidden && doc && typeof doc.addEventListener === 'function') {
    let isFrozen = false;
    const update = (): void => {
      const shouldPause = isFrozen || doc.visibilityState === 'hidden';
      if (shouldPause && !releasePause) releasePause = pauseWork(root);
      if (!shouldPause && releasePause) {
        releasePause();
        releasePause = undefined;
      }
    };
    listen(doc, 'visibilitychange', update);
    listen(doc, 'freeze', () => {
      isFrozen = true;
      update();
    });
    listen(doc, 'resume', () => {
      isFrozen = false;
      update();
    });
    update();
  }

  // Only transitions after binding count: a tree bound while stopped stays bound until it stops again.
  stateSubscription.add(
    root.state$.pipe(skip(1)).subscribe((state) => {
      if (isShouldStop(state)) unbind();
    }),
  );
  return unbind;
}
