/**
 * The receiver bookkeeping shared by `Signal` and `SyncSignal`: a copy-on-write list of receiver
 * records (a send iterates a stable snapshot without copying), sender filters, weak receivers,
 * argument validation and the Observable interop both signal kinds expose. While a running marker
 * is installed (a BlockingDetector watches), a send sees receivers that mark themselves as running.
 */
import { Observable, observable, type Observer, type Subscribable, type Subscription } from 'rxjs';
import { show } from './format.js';
import { runningMarker, type RunningMarker } from './running.js';
import type {
  BoundSignal,
  SignalConnectOptions,
  SignalEmission,
  SignalOptions,
  SignalReceiver,
} from '../signal-types.js';

/** A receiver as stored: arguments are checked by the typed public methods. */
type AnyReceiver = (sender: unknown, ...args: any[]) => unknown;

/**
 * One connection. Every record has the same shape (`fn`, `ref`, `sender`) so the send loop stays
 * monomorphic; exactly one of `fn` (strong) and `ref` (weak) is set.
 */
export interface ReceiverRecord {
  fn: AnyReceiver | undefined;
  ref: WeakRef<AnyReceiver> | undefined;
  /** `undefined` means "every sender". */
  readonly sender: unknown;
}

const NO_RECORDS: readonly ReceiverRecord[] = Object.freeze([]);

/** `fn`, marked as running under `signal:<signal>:<receiver>` while it runs synchronously. */
function markedReceiver(fn: AnyReceiver, signalName: string, marker: RunningMarker): AnyReceiver {
  const label = `signal:${signalName}:${fn.name || 'anonymous'}`;
  return (sender: unknown, ...args: any[]): unknown => {
    const token = marker.enter(label);
    try {
      return fn(sender, ...args);
    } finally {
      marker.leave(token);
    }
  };
}

/**
 * The connection list of one signal.
 *
 * @remarks Never mutated in place: `add` and `remove` swap in a new array, so a send that read
 * {@link ReceiverList.records} keeps iterating the receivers it started with even when a receiver
 * connects or disconnects during that send.
 */
export class ReceiverList {
  /** The name of the signal, for the running label of its receivers. */
  signalName = 'Signal';
  #records: readonly ReceiverRecord[] = NO_RECORDS;
  /** `#records` with marking receivers, built for `#markedFrom` and `#markedBy`. */
  #marked: readonly ReceiverRecord[] | undefined;
  #markedFrom: readonly ReceiverRecord[] | undefined;
  #markedBy: RunningMarker | undefined;

  /**
   * The current receivers, in connection order. Treat as immutable.
   *
   * @remarks While a running marker is installed, a parallel list whose strong receivers mark
   * themselves as running (weak ones are marked by {@link ReceiverList.deref}); built once per
   * change of the connections.
   */
  get records(): readonly ReceiverRecord[] {
    const marker = runningMarker;
    return marker === undefined ? this.#records : this.#markedRecords(marker);
  }

  #markedRecords(marker: RunningMarker): readonly ReceiverRecord[] {
    const records = this.#records;
    if (this.#marked !== undefined && this.#markedFrom === records && this.#markedBy === marker) {
      return this.#marked;
    }
    this.#marked = records.map((r) => ({
      fn: r.fn && markedReceiver(r.fn, this.signalName, marker),
      ref: r.ref,
      sender: r.sender,
    }));
    this.#markedFrom = records;
    this.#markedBy = marker;
    return this.#marked;
  }

  /** Connects `fn` for `sender` (once); a strong connection upgrades an existing weak one. */
  add(fn: AnyReceiver, sender: unknown, weak: boolean): ReceiverRecord {
    for (const record of this.#records) {
      if (record.sender === sender && resolve(record) === fn) {
        if (!weak && record.fn === undefined) {
          record.fn = fn;
          record.ref = undefined;
          this.#marked = undefined;
        }
        return record;
      }
    }
    const record: ReceiverRecord = weak
      ? { fn: undefined, ref: new WeakRef(fn), sender }
      : { fn, ref: undefined, sender };
    this.#records = [...this.#records.filter(isAlive), record];
    return record;
  }

  /** Removes the connection of `fn` for `sender`, if any. */
  remove(fn: AnyReceiver, sender: unknown): void {
    const records = this.#records;
    for (const record of records) {
      if (record.sender === sender && resolve(record) === fn) return this.removeRecord(record);
    }
  }

  /** Removes one record by identity (what a `connect()` disconnect function does). */
  removeRecord(target: ReceiverRecord): void {
    if (this.#records.includes(target))
      this.#records = this.#records.filter((r) => r !== target && isAlive(r));
  }

  /**
   * The receiver of a weak record, or `undefined` once it was collected, in which case the
   * record is dropped from the list. Marked as running while a marker is installed.
   */
  deref(record: ReceiverRecord): AnyReceiver | undefined {
    const fn = record.ref?.deref();
    if (fn === undefined) {
      this.#records = this.#records.filter(isAlive);
      return fn;
    }
    const marker = runningMarker;
    return marker === undefined ? fn : markedReceiver(fn, this.signalName, marker);
  }

  /** An independent list holding the same (live) connections. */
  copy(): ReceiverList {
    const copy = new ReceiverList();
    copy.signalName = this.signalName;
    copy.#records = this.#records.filter(isAlive).map((r) => ({ fn: r.fn, ref: r.ref, sender: r.sender }));
    return copy;
  }
}

function resolve(record: ReceiverRecord): AnyReceiver | undefined {
  return record.fn ?? record.ref?.deref();
}

function isAlive(record: ReceiverRecord): boolean {
  return resolve(record) !== undefined;
}

// The merged interface types the interop key under the name rxjs' `from()` looks for; the class
// implements it under rxjs' runtime key (`Symbol.observable` when it exists, else '@@observable').
// The interface must repeat the class's type parameters, `R` included.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface SignalBase<A extends unknown[], R> {
  /** Returns this signal as an interop Observable, for rxjs `from()` and other Observable libraries. */
  [Symbol.observable](): Subscribable<SignalEmission<A>>;
}

/**
 * What `Signal` and `SyncSignal` share: naming, connecting, bound views, cloning and the
 * Observable interop. `R` is what `send` returns (`void` or `Promise<void>`).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export abstract class SignalBase<A extends unknown[], R> implements Subscribable<SignalEmission<A>> {
  /** The name used in error messages. */
  readonly name: string;
  /** The connections; subclasses read `receivers.records` when sending. */
  protected receivers = new ReceiverList();
  #emissions$: Observable<SignalEmission<A>> | undefined;

  static {
    // The interop method, under rxjs' runtime key (typed by the merged interface above). Defined
    // here rather than as a computed member so declaration files keep the typed name.
    Object.defineProperty(this.prototype, observable, {
      value: function interop(this: unknown) {
        return this;
      },
      writable: true,
      configurable: true,
    });
  }

  /** Validates `options` and names the signal (`defaultName` when no name is given). */
  protected constructor(options: SignalOptions | undefined, defaultName: string) {
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new TypeError(`options must be an object; received ${show(options)}`);
    }
    const name = options?.name === undefined ? defaultName : options.name;
    if (typeof name !== 'string') throw new TypeError(`name must be a string; received ${show(name)}`);
    this.name = name;
    this.receivers.signalName = name;
  }

  /** Sends `args` from `sender` to every receiver connected for every sender or for `sender`. */
  abstract send(sender: unknown, ...args: A): R;

  /**
   * Connects `fn`; returns a function that disconnects it (idempotent).
   *
   * @remarks Receivers run in connection order. Connecting the same `fn` for the same `sender`
   * again registers nothing new (a strong connection upgrades an earlier weak one). With `sender`,
   * `fn` runs only for sends from that sender (compared with `===`); without it (or with
   * `undefined`), for every send. With `weak: true` the signal holds `fn` through a `WeakRef`, so
   * an inline arrow function that nothing else references is dropped at the next collection.
   * @throws TypeError when `fn` is not a function or an option is malformed.
   */
  connect(fn: SignalReceiver<A>, options?: SignalConnectOptions): () => void {
    checkReceiver(fn);
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new TypeError(`options must be an object; received ${show(options)}`);
    }
    const weak = options?.weak === undefined ? false : options.weak;
    if (typeof weak !== 'boolean') throw new TypeError(`weak must be a boolean; received ${show(weak)}`);
    const record = this.receivers.add(fn, options?.sender, weak);
    return () => this.receivers.removeRecord(record);
  }

  /**
   * Disconnects `fn` from `sender` (or its every-sender connection when `sender` is not given).
   *
   * @remarks Disconnecting something not connected does nothing. A send already under way still
   * reaches the receivers it started with.
   * @throws TypeError when `fn` is not a function.
   */
  disconnect(fn: SignalReceiver<A>, options?: Pick<SignalConnectOptions, 'sender'>): void {
    checkReceiver(fn);
    this.receivers.remove(fn, options?.sender);
  }

  /**
   * A view of this signal bound to `sender`: its `send` sends from `sender`, its `connect` and
   * `disconnect` act on connections for `sender`. It shares this signal's receivers.
   */
  withDefaultSender(sender: unknown): BoundSignal<A, R> {
    return {
      sender,
      send: (...args: A) => this.send(sender, ...args),
      connect: (fn, options) => this.connect(fn, { weak: options?.weak, sender }),
      disconnect: (fn) => this.disconnect(fn, { sender }),
    };
  }

  /**
   * Subscribes to the sends of this signal: `observer` gets `{ sender, args }` for each send.
   *
   * @remarks The stream never completes; unsubscribe to disconnect. Errors thrown by the observer
   * are reported by rxjs (as for any subscriber), not by `send`.
   */
  subscribe(
    observer?: Partial<Observer<SignalEmission<A>>> | ((value: SignalEmission<A>) => void),
  ): Subscription {
    this.#emissions$ ??= new Observable<SignalEmission<A>>((subscriber) =>
      this.connect((sender, ...args) => subscriber.next({ sender, args })),
    );
    return this.#emissions$.subscribe(observer);
  }

  /** Copies the live connections of this signal into `target` (for `clone()`). */
  protected copyReceiversTo(target: SignalBase<A, unknown>): void {
    target.receivers = this.receivers.copy();
  }

  /** The error `send` raises after the receivers ran: one AggregateError of every failure. */
  protected failure(errors: unknown[]): AggregateError {
    const count = errors.length === 1 ? 'a receiver' : `${errors.length} receivers`;
    return new AggregateError(errors, `${count} of signal ${JSON.stringify(this.name)} failed`);
  }
}

function checkReceiver(fn: unknown): void {
  if (typeof fn !== 'function') throw new TypeError(`fn must be a function; received ${show(fn)}`);
}
