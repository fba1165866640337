/**
 * Signals: Mode's observer pattern. `Signal` awaits each receiver in turn, `SyncSignal` calls them
 * synchronously; both filter by sender, hold receivers weakly on request, and are Observable sources.
 */
import { isThenable } from './internal/is-thenable.js';
import { SignalBase, type ReceiverRecord } from './internal/receivers.js';
import type { SignalOptions } from './signal-types.js';

/**
 * An asynchronous signal: `send` calls each receiver in connection order and awaits what it returns
 * before calling the next.
 *
 * @remarks
 * Receivers may be sync or async. A receiver that throws or rejects does not stop the others:
 * once every receiver ran, `send` rejects with one `AggregateError` holding every failure (even a
 * single one). A send reaches the receivers connected when it began: one connected during the send
 * waits for the next send, one disconnected during it still runs in this one.
 *
 * Per-instance signals are plain instance fields (`readonly started = new Signal<[]>()`).
 * @typeParam A - the arguments of a send, after the sender
 * @throws TypeError when `options` or `options.name` is malformed.
 * @example
 * ```ts
 * const saved = new Signal<[id: string]>({ name: 'saved' });
 * saved.connect(async (sender, id) => { await index(id); });
 * await saved.send(repository, 'doc-1');
 * from(saved).subscribe(({ sender, args }) => console.log(sender, args));
 * ```
 */
export class Signal<A extends unknown[] = []> extends SignalBase<A, Promise<void>> {
  constructor(options?: SignalOptions) {
    super(options, 'Signal');
  }

  /**
   * Sends `args` from `sender`, awaiting each receiver in turn.
   *
   * @returns a promise that resolves once every receiver settled.
   * @throws AggregateError (as a rejection) of every receiver failure, after all receivers ran.
   */
  async send(sender: unknown, ...args: A): Promise<void> {
    const list = this.receivers;
    let errors: unknown[] | undefined;
    for (const record of list.records) {
      if (record.sender !== undefined && record.sender !== sender) continue;
      const fn = record.fn ?? list.deref(record);
      if (fn === undefined) continue;
      try {
        const result = fn(sender, ...args);
        if (isThenable(result)) await result;
      } catch (error) {
        (errors ??= []).push(error);
      }
    }
    if (errors !== undefined) throw this.failure(errors);
  }

  /** A new, independent signal with the same name, starting with a copy of the receivers. */
  clone(): Signal<A> {
    const copy = new Signal<A>({ name: this.name });
    this.copyReceiversTo(copy);
    return copy;
  }
}

/**
 * A synchronous signal: `send` calls every receiver in connection order before returning.
 *
 * @remarks
 * What receivers return is ignored (a returned promise is not awaited: use {@link Signal} for async
 * receivers). A receiver that throws does not stop the others: once every receiver ran, `send`
 * throws one `AggregateError` holding every failure (even a single one). A send reaches the
 * receivers connected when it began, as for {@link Signal}. The send path allocates nothing per
 * receiver.
 * @typeParam A - the arguments of a send, after the sender
 * @throws TypeError when `options` or `options.name` is malformed.
 * @example
 * ```ts
 * const changed = new SyncSignal<[key: string, value: number]>();
 * const off = changed.connect((sender, key, value) => console.log(key, value));
 * changed.send(store, 'size', 3); // logs "size 3"
 * off();
 * ```
 */
export class SyncSignal<A extends unknown[] = []> extends SignalBase<A, void> {
  constructor(options?: SignalOptions) {
    super(options, 'SyncSignal');
  }

  /**
   * Sends `args` from `sender`, calling each receiver synchronously.
   *
   * @throws AggregateError of every receiver failure, after all receivers ran.
   */
  send(sender: unknown, ...args: A): void {
    const list = this.receivers;
    const records: readonly ReceiverRecord[] = list.records;
    let errors: unknown[] | undefined;
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as ReceiverRecord;
      if (record.sender !== undefined && record.sender !== sender) continue;
      const fn = record.fn ?? list.deref(record);
      if (fn === undefined) continue;
      try {
        fn(sender, ...args);
      } catch (error) {
        (errors ??= []).push(error);
      }
    }
    if (errors !== undefined) throw this.failure(errors);
  }

  /** A new, independent signal with the same name, starting with a copy of the receivers. */
  clone(): SyncSignal<A> {
    const copy = new SyncSignal<A>({ name: this.name });
    this.copyReceiversTo(copy);
    return copy;
  }
}
