/**
 * One thread of a ThreadService, seen from the parent: requests that wait for their reply, method
 * calls by id, the heartbeat's last answer, and the exit that rejects whatever still waits.
 */
import type { Worker as NodeWorker } from 'node:worker_threads';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { FromThread, ToThread } from './protocol.js';

type Reply<K extends FromThread['type']> = Extract<FromThread, { type: K }>;

/** What the link reports to its service. */
export interface LinkHandlers {
  /** Messages that are not replies: events, run$ values, snapshots, fatal errors. */
  message(message: FromThread): void;
  /** The thread exited; `expected` when the parent terminated it or it had nothing to run. */
  exit(code: number, error: unknown, expected: boolean): void;
  /** Makes the error that pending requests and calls reject with when the thread exits. */
  exitError(code: number, error: unknown): Error;
}

/** @internal The parent's side of one thread. */
export class ThreadLink {
  readonly worker: NodeWorker;
  /** False once the thread exited. */
  alive = true;
  /** True once the module loaded and the service was built. */
  ready = false;
  /** True once the thread confirmed the stop of its service. */
  stopped = false;
  /** True once the parent decided to end the thread (its exit is no crash). */
  expectExit = false;
  /** Scheduler time of the last sign of life (spawn, any message). */
  lastSeen: number;
  /** True while an unanswered stretch is reported and not yet over. */
  stalled = false;

  readonly #waiters = new Set<{
    types: readonly string[];
    resolve(m: FromThread): void;
    reject(e: unknown): void;
  }>();
  readonly #calls = new Map<
    number,
    { method: string; resolve(v: unknown): void; reject(e: unknown): void }
  >();
  readonly #handlers: LinkHandlers;
  readonly #now: () => number;
  #nextId = 0;
  #error: unknown;
  #exitCode = 0;

  constructor(worker: NodeWorker, handlers: LinkHandlers, now: () => number) {
    this.worker = worker;
    this.#handlers = handlers;
    this.#now = now;
    this.lastSeen = now();
    worker.on('message', (message: FromThread) => this.#receive(message));
    worker.on('error', (error) => (this.#error = error));
    worker.on('exit', (code) => this.#exited(code));
  }

  /** The names of the calls still waiting for their result, as `call:<method>`. */
  get pendingCalls(): string[] {
    return [...this.#calls.values()].map((c) => `call:${c.method}`);
  }

  /** Sends a message; throws when it cannot be cloned. */
  post(message: ToThread): void {
    this.worker.postMessage(message);
  }

  /** Resolves with the next message of one of `types`; rejects when the thread exits first. */
  next<K extends FromThread['type']>(...types: K[]): Promise<Reply<K>> {
    if (!this.alive) return Promise.reject(this.#handlers.exitError(this.#exitCode, this.#error));
    return new Promise<Reply<K>>((resolve, reject) => {
      this.#waiters.add({ types, resolve: resolve as (m: FromThread) => void, reject });
    });
  }

  /** Calls a method of the thread's service; resolves with its result or rejects with its (encoded) error. */
  call(method: string, args: unknown[]): Promise<unknown> {
    const id = ++this.#nextId;
    return new Promise<unknown>((resolve, reject) => {
      this.#calls.set(id, { method, resolve, reject });
      try {
        this.post({ type: 'call', id, method, args });
      } catch (error) {
        this.#calls.delete(id);
        reject(new TypeError(`the arguments of ${method}() cannot be sent to the thread`, { cause: error }));
      }
    });
  }

  /** Asks the thread for a sign of life. */
  ping(): void {
    this.post({ type: 'ping', id: ++this.#nextId });
  }

  /** Ends the thread at once, dropping console output still on its way (a no-op once it exited). */
  async terminate(): Promise<void> {
    this.expectExit = true;
    if (this.alive) await this.worker.terminate();
  }

  /**
   * Asks the thread to exit, which flushes its console output, and terminates it when it has not
   * exited after `graceMs` of the service's scheduler.
   */
  async close(graceMs: number, scheduler: SchedulerLike): Promise<void> {
    this.expectExit = true;
    if (!this.alive) return;
    let timer: Subscription | undefined;
    await new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      timer = scheduler.schedule(() => resolve(), graceMs);
      this.post({ type: 'exit' });
    });
    timer?.unsubscribe();
    await this.terminate();
  }

  #receive(message: FromThread): void {
    this.lastSeen = this.#now();
    if (message.type === 'ready') this.ready = true;
    if (message.type === 'load-failed') this.expectExit = true;
    if (message.type === 'stopped') this.stopped = true;
    if (message.type === 'result') {
      const call = this.#calls.get(message.id);
      this.#calls.delete(message.id);
      if (message.ok) call?.resolve(message.value);
      else call?.reject(message.error);
      return;
    }
    for (const waiter of this.#waiters) {
      if (waiter.types.includes(message.type)) {
        this.#waiters.delete(waiter);
        waiter.resolve(message);
        return;
      }
    }
    if (message.type !== 'pong') this.#handlers.message(message);
  }

  #exited(code: number): void {
    this.alive = false;
    this.#exitCode = code;
    const error = this.#handlers.exitError(code, this.#error);
    for (const waiter of this.#waiters) waiter.reject(error);
    this.#waiters.clear();
    for (const call of this.#calls.values()) call.reject(error);
    this.#calls.clear();
    this.#handlers.exit(code, this.#error, this.expectExit);
  }
}
