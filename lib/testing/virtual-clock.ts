/**
 * A virtual clock for tests: an rxjs VirtualTimeScheduler that is moved forward one timer at a time,
 * letting pending promise callbacks (async hooks, awaited sleeps) run between firings, so a service
 * tree with timers and async hooks runs in virtual time exactly as it would in real time.
 */
import { VirtualTimeScheduler } from 'rxjs';
import { parseDuration, type Duration } from '../duration.js';
import { show } from '../internal/format.js';
import { loadsInFlight } from '../internal/lazy.js';
import { hostTurn } from './host-turn.js';

/** Options of {@link createVirtualClock}. */
export interface VirtualClockOptions {
  /**
   * The scheduler to drive, for example an rxjs `TestScheduler` the test already uses.
   *
   * @defaultValue a new `VirtualTimeScheduler` starting at time 0
   */
  scheduler?: VirtualTimeScheduler;
  /**
   * Lets every pending promise callback run, without moving virtual time. Called before each timer
   * firing and once at the end of every `advance()`, `until()` and `runAll()`, after any module the
   * library loads on first use (croner, for cron jobs) has loaded.
   *
   * @defaultValue one turn of the host's task queue (`setImmediate`, else a `MessageChannel`, else
   * `setTimeout(0)`), taken from the globals when this module was first loaded, so fake timers
   * installed later do not stop it
   */
  flush?: () => Promise<void>;
  /**
   * The most timer firings one `advance()`, `until()` or `runAll()` call may run before it gives up
   * with an error (a guard against work that reschedules itself forever).
   *
   * @defaultValue 100000
   */
  maxSteps?: number;
}

/** Options of {@link VirtualClock.until}. */
export interface UntilOptions {
  /**
   * Virtual time to wait at most; past it `until()` rejects (time stays at the deadline).
   *
   * @defaultValue no limit (but still at most `maxSteps` timer firings)
   */
  timeout?: Duration;
}

/**
 * Virtual time for a service tree: pass {@link VirtualClock.scheduler} as the `scheduler` option of
 * the root service, then move time with the methods below.
 *
 * @remarks Every method that moves time fires the due timers one at a time, in time order (ties in
 * the order they were scheduled), with the clock set to each timer's due time, and lets pending
 * promise callbacks run before every firing. Only one such call may run at a time.
 */
export interface VirtualClock {
  /** The scheduler to hand to services (`new MyService({ scheduler: clock.scheduler })`). */
  readonly scheduler: VirtualTimeScheduler;
  /** The number of timers scheduled and not yet fired or cancelled. */
  readonly pending: number;
  /** The current virtual time in ms. */
  now(): number;
  /** Lets pending promise callbacks run without moving virtual time. */
  flush(): Promise<void>;
  /**
   * Moves virtual time forward by `duration`, firing every timer due on the way.
   * @throws TypeError for an invalid duration; the error a fired timer threw (time then stays at
   * that timer's due time); an Error after `maxSteps` firings.
   */
  advance(duration: Duration): Promise<void>;
  /**
   * Moves virtual time forward to `time` (ms); a time in the past only lets promise callbacks run.
   * @throws as {@link VirtualClock.advance}.
   */
  advanceTo(time: number): Promise<void>;
  /**
   * Moves virtual time forward, timer by timer, until `promise` settles, and resolves or rejects as
   * it does: `await clock.until(service.stop())`.
   * @throws the promise's error; an Error when it is still pending while no timer is left to fire,
   * after `timeout` or after `maxSteps` firings.
   */
  until<T>(promise: PromiseLike<T>, options?: UntilOptions): Promise<T>;
  /**
   * Fires timers until none is left. A running service's timers reschedule themselves, so this
   * suits trees that are stopped or have no periodic work; prefer `advance()` or `until()` otherwise.
   * @throws an Error after `maxSteps` firings.
   */
  runAll(): Promise<void>;
}

type Action = VirtualTimeScheduler['actions'][number];

class Clock implements VirtualClock {
  readonly scheduler: VirtualTimeScheduler;
  readonly #flush: () => Promise<void>;
  readonly #maxSteps: number;
  #busy: string | undefined;

  constructor(scheduler: VirtualTimeScheduler, flush: () => Promise<void>, maxSteps: number) {
    this.scheduler = scheduler;
    this.#flush = flush;
    this.#maxSteps = maxSteps;
  }

  get pending(): number {
    return this.scheduler.actions.length;
  }

  now(): number {
    return this.scheduler.now();
  }

  flush(): Promise<void> {
    return this.#settle();
  }

  /** Waits for modules loading on first use (croner), then lets promise callbacks run. */
  #settle(): Promise<void> {
    const loads = loadsInFlight();
    return loads ? loads.then(() => this.#flush()) : this.#flush();
  }

  advance(duration: Duration): Promise<void> {
    const ms = parseDuration(duration, 'duration');
    return this.advanceTo(this.now() + ms);
  }

  advanceTo(time: number): Promise<void> {
    if (typeof time !== 'number' || Number.isNaN(time)) {
      throw new TypeError(`time must be a number of ms; received ${show(time)}`);
    }
    return this.#drive('advance()', async (step) => {
      for (;;) {
        await this.#settle();
        const next = this.#next();
        if (!next || next.delay > time) break;
        step(next);
      }
      if (time > this.scheduler.frame) this.scheduler.frame = time;
    });
  }

  until<T>(promise: PromiseLike<T>, options?: UntilOptions): Promise<T> {
    if (promise === null || typeof promise !== 'object' || typeof promise.then !== 'function') {
      throw new TypeError(`promise must be a promise; received ${show(promise)}`);
    }
    const timeoutMs = options?.timeout === undefined ? undefined : parseDuration(options.timeout, 'timeout');
    let settled = false;
    const result = Promise.resolve(promise).finally(() => {
      settled = true;
    });
    // The caller gets `result` back below; until then a rejection must not count as unhandled.
    result.catch(() => {});
    return this.#drive('until()', async (step) => {
      const deadline = timeoutMs === undefined ? Infinity : this.now() + timeoutMs;
      for (;;) {
        await this.#settle();
        if (settled) return;
        const next = this.#next();
        if (next && next.delay <= deadline) {
          step(next);
          continue;
        }
        if (next) {
          this.scheduler.frame = deadline;
          throw new Error(
            `until(): the promise was still pending after ${timeoutMs} ms of virtual time (now ${this.now()} ms)`,
          );
        }
        throw new Error(
          `until(): the promise is still pending and no timer is left to fire (virtual time ${this.now()} ms): ` +
            'it waits for something the virtual clock does not drive',
        );
      }
    }).then(() => result);
  }

  runAll(): Promise<void> {
    return this.#drive('runAll()', async (step) => {
      for (;;) {
        await this.#settle();
        const next = this.#next();
        if (!next) return;
        step(next);
      }
    });
  }

  #next(): Action | undefined {
    return this.scheduler.actions[0];
  }

  /** Runs one time-moving call: one at a time, with the firing step and its step budget. */
  async #drive(name: string, body: (step: (action: Action) => void) => Promise<void>): Promise<void> {
    if (this.#busy !== undefined) {
      throw new Error(`${name} was called while ${this.#busy} is still running: await it first`);
    }
    this.#busy = name;
    let steps = 0;
    const step = (action: Action): void => {
      if (++steps > this.#maxSteps) {
        throw new Error(
          `${name} gave up after ${this.#maxSteps} timer firings (virtual time ${this.now()} ms): ` +
            'something keeps rescheduling itself',
        );
      }
      this.scheduler.actions.shift();
      this.scheduler.frame = action.delay;
      const error: unknown = action.execute(action.state, action.delay);
      if (error) throw error;
    };
    try {
      await body(step);
    } finally {
      this.#busy = undefined;
    }
  }
}

/**
 * Creates a {@link VirtualClock}: virtual time for services, driven from the test.
 *
 * @remarks Works in Node and in browsers. Timers of services given `clock.scheduler` fire only when
 * the test moves time; `Date.now()` and real timers are untouched. Everything a service awaits must
 * be driven by its scheduler or by promises: `until()` reports work that waits for anything else.
 * @throws TypeError when an option is malformed.
 * @example
 * ```ts
 * const clock = createVirtualClock();
 * const app = new App({ scheduler: clock.scheduler });
 * await clock.until(app.start());
 * await clock.advance('5s');       // five 1 s timer ticks, with their async bodies
 * await clock.until(app.stop());
 * ```
 */
export function createVirtualClock(options: VirtualClockOptions = {}): VirtualClock {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object; received ${show(options)}`);
  }
  const { scheduler = new VirtualTimeScheduler(), flush = hostTurn, maxSteps = 100_000 } = options;
  if (
    typeof scheduler !== 'object' ||
    scheduler === null ||
    !Array.isArray((scheduler as Partial<VirtualTimeScheduler>).actions) ||
    typeof (scheduler as Partial<VirtualTimeScheduler>).frame !== 'number'
  ) {
    throw new TypeError(`scheduler must be an rxjs VirtualTimeScheduler; received ${show(scheduler)}`);
  }
  if (typeof flush !== 'function') {
    throw new TypeError(`flush must be a function returning a promise; received ${show(flush)}`);
  }
  if (typeof maxSteps !== 'number' || !Number.isInteger(maxSteps) || maxSteps < 1) {
    throw new TypeError(`maxSteps must be a positive integer; received ${show(maxSteps)}`);
  }
  return new Clock(scheduler, flush, maxSteps);
}
