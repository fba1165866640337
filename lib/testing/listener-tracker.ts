/**
 * The leak check's view of AbortSignal listeners: while a tracker is open, `addEventListener` and
 * `removeEventListener` of every AbortSignal are wrapped (on `AbortSignal.prototype`, restored when
 * the last tracker closes), so the listeners added and never removed can be listed.
 */
import { callerOf, captureStack } from './call-site.js';

/** One listener added while a tracker was open. */
interface Added {
  readonly signal: AbortSignal;
  readonly type: string;
  readonly listener: unknown;
  readonly capture: boolean;
  /** The `signal` option of `addEventListener`: its abort removes the listener. */
  readonly removedBy: AbortSignal | undefined;
  readonly stack: Error;
}

type Add = (type: string, listener: unknown, options?: boolean | AddEventListenerOptions) => void;
type Remove = (type: string, listener: unknown, options?: boolean | EventListenerOptions) => void;

const trackers = new Set<ListenerTracker>();
let restore: (() => void) | undefined;

const captureOf = (options: boolean | EventListenerOptions | undefined): boolean =>
  typeof options === 'boolean' ? options : options?.capture === true;

/** Wraps the prototype's methods while at least one tracker is open. */
function patch(): void {
  const Signal = (globalThis as { AbortSignal?: typeof AbortSignal }).AbortSignal;
  if (restore || typeof Signal !== 'function') return;
  const proto = Signal.prototype as unknown as { addEventListener: Add; removeEventListener: Remove };
  const own = {
    add: Object.getOwnPropertyDescriptor(proto, 'addEventListener'),
    remove: Object.getOwnPropertyDescriptor(proto, 'removeEventListener'),
  };
  const add = proto.addEventListener;
  const remove = proto.removeEventListener;
  const define = (key: string, value: unknown): void => {
    Object.defineProperty(proto, key, { value, configurable: true, writable: true });
  };
  define(
    'addEventListener',
    function (
      this: AbortSignal,
      type: string,
      listener: unknown,
      options?: boolean | AddEventListenerOptions,
    ) {
      if (listener) for (const tracker of trackers) tracker.added(this, type, listener, options);
      return add.call(this, type, listener, options);
    },
  );
  define(
    'removeEventListener',
    function (this: AbortSignal, type: string, listener: unknown, options?: boolean | EventListenerOptions) {
      if (listener) for (const tracker of trackers) tracker.removed(this, type, listener, captureOf(options));
      return remove.call(this, type, listener, options);
    },
  );
  restore = () => {
    for (const [key, descriptor] of [
      ['addEventListener', own.add],
      ['removeEventListener', own.remove],
    ] as const) {
      if (descriptor) Object.defineProperty(proto, key, descriptor);
      else delete (proto as unknown as Record<string, unknown>)[key];
    }
  };
}

/**
 * Records the AbortSignal listeners added between {@link ListenerTracker.open} and
 * {@link ListenerTracker.close}; {@link ListenerTracker.live} lists those still able to fire.
 */
export class ListenerTracker {
  readonly #added: Added[] = [];

  /** Starts recording. */
  open(): void {
    trackers.add(this);
    patch();
  }

  /** Stops recording (what was recorded stays readable). */
  close(): void {
    trackers.delete(this);
    if (trackers.size === 0) {
      restore?.();
      restore = undefined;
    }
  }

  /** @internal */
  added(
    signal: AbortSignal,
    type: string,
    listener: unknown,
    options?: boolean | AddEventListenerOptions,
  ): void {
    const capture = captureOf(options);
    if (this.#find(signal, type, listener, capture) >= 0) return; // a duplicate is not added
    const removedBy = typeof options === 'object' ? options.signal : undefined;
    this.#added.push({ signal, type, listener, capture, removedBy, stack: captureStack() });
  }

  /** @internal */
  removed(signal: AbortSignal, type: string, listener: unknown, capture: boolean): void {
    const index = this.#find(signal, type, listener, capture);
    if (index >= 0) this.#added.splice(index, 1);
  }

  #find(signal: AbortSignal, type: string, listener: unknown, capture: boolean): number {
    return this.#added.findIndex(
      (a) => a.signal === signal && a.type === type && a.listener === listener && a.capture === capture,
    );
  }

  /**
   * The listeners still registered on a signal that has not aborted: an aborted signal never fires
   * again (and `once` listeners left it when it fired).
   */
  live(): string[] {
    return this.#added
      .filter((a) => !a.signal.aborted && !a.removedBy?.aborted)
      .map((a) => {
        const from = callerOf(a.stack);
        const what = `a listener for "${a.type}" on an AbortSignal that has not aborted`;
        return from ? `${what}, added from ${from}` : what;
      });
  }
}
