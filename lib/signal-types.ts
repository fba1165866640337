/**
 * The public types of signals: receivers, options, emissions and bound views. They live apart from
 * `Signal` and `SyncSignal` so the receiver bookkeeping in `internal/receivers.ts` can name them
 * without importing the classes built on it.
 */

/** A function connected to a signal: it gets the sender, then the arguments of the send. */
export type SignalReceiver<A extends unknown[]> = (sender: unknown, ...args: A) => unknown;

/** Options of `new Signal()` and `new SyncSignal()`. */
export interface SignalOptions {
  /**
   * The name used in error messages.
   *
   * @defaultValue `'Signal'` or `'SyncSignal'`
   */
  name?: string;
}

/** Options of `connect()` (and, for `sender`, of `disconnect()`). */
export interface SignalConnectOptions {
  /**
   * Run the receiver only for sends from this sender (compared with `===`).
   *
   * @defaultValue `undefined`: every sender
   */
  sender?: unknown;
  /**
   * Hold the receiver through a `WeakRef`; it is dropped once garbage-collected.
   *
   * @defaultValue `false`
   */
  weak?: boolean;
}

/** What a signal emits as an Observable: one value per send. */
export interface SignalEmission<A extends unknown[]> {
  readonly sender: unknown;
  readonly args: A;
}

/**
 * A view of a signal bound to one sender (see `withDefaultSender()`); it shares the signal's
 * receivers. Its methods may be called detached (`const { send } = view`).
 */
export interface BoundSignal<A extends unknown[], R> {
  /** The sender this view sends from and connects for. */
  readonly sender: unknown;
  /** Sends `args` from {@link BoundSignal.sender}. */
  send(...args: A): R;
  /** Connects `fn` for {@link BoundSignal.sender} only; returns its disconnect function. */
  connect(fn: SignalReceiver<A>, options?: Pick<SignalConnectOptions, 'weak'>): () => void;
  /** Disconnects `fn` from {@link BoundSignal.sender}. */
  disconnect(fn: SignalReceiver<A>): void;
}
