/**
 * The ongoing work of a service: `addTask` tasks, `addTimer` timers and `addCron` jobs. Definitions
 * registered outside a run last across restarts; those registered during a run are dropped with it.
 */
import { from, type ObservableInput, type SchedulerLike, type Subscription } from 'rxjs';
import type { TimerTick } from '../timer.js';
import { scheduleTicks } from '../timer.js';
import { isThenable } from './is-thenable.js';
import { scheduleCron, type CronSchedule } from './cron.js';

/** What a piece of work needs from its service while it runs. */
export interface WorkHost {
  readonly signal: AbortSignal;
  readonly scheduler: SchedulerLike;
  /** A failure of the work: crashes the service while it runs. */
  fail(error: unknown): void;
  /** Reports a skipped (`timer-overlap`) or late (`timer-drift`) tick. */
  tickEvent(type: 'timer-drift' | 'timer-overlap', timer: string, driftMs: number): void;
  /** True while the subtree is paused (`bindPageLifecycle`): due ticks are skipped as overlaps. */
  isPaused(): boolean;
}

/** A registered piece of work. */
export type WorkDef =
  | { kind: 'task'; name: string; fn: (signal: AbortSignal) => ObservableInput<unknown>; drain: boolean }
  | { kind: 'timer'; name: string; fn: (tick: TimerTick) => unknown; intervalMs: number; execFirst: boolean }
  | { kind: 'cron'; name: string; fn: () => unknown; schedule: CronSchedule };

/** A piece of work while it runs. */
interface Running {
  readonly phase: string;
  readonly subscription: Subscription | undefined;
  /** What stop must wait for (a drain task, an in-flight timer body), if anything. */
  pending(): PromiseLike<unknown> | undefined;
  /** True while the work is under way (a task not finished, a timer body running). */
  active(): boolean;
  /** A draining Observable task's subscription, closed once the stop stops waiting for it. */
  readonly draining?: Subscription;
}

const idle = (): boolean => false;

/** Runs a body that may return a promise; reports a failure once; tracks the promise while in flight. */
function runBody(
  call: () => unknown,
  host: WorkHost,
  onSettled: () => void,
): PromiseLike<unknown> | undefined {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    host.fail(error);
    return undefined;
  }
  if (!isThenable(result)) return undefined;
  return Promise.resolve(result).then(onSettled, (error: unknown) => {
    onSettled();
    host.fail(error);
  });
}

function startTask(def: Extract<WorkDef, { kind: 'task' }>, host: WorkHost): Running {
  const phase = `task:${def.name}`;
  let input: ObservableInput<unknown> | undefined;
  try {
    input = def.fn(host.signal);
  } catch (error) {
    host.fail(error);
    return { phase, subscription: undefined, pending: () => undefined, active: idle };
  }
  if (input === undefined || input === null) {
    return { phase, subscription: undefined, pending: () => undefined, active: idle };
  }
  if (isThenable(input)) {
    let done = false;
    const settled = Promise.resolve(input).then(
      () => void (done = true),
      (error: unknown) => {
        done = true;
        host.fail(error);
      },
    );
    return {
      phase,
      subscription: undefined,
      pending: () => (def.drain && !done ? settled : undefined),
      active: () => !done,
    };
  }
  let finish: (() => void) | undefined;
  let done = false;
  const subscription = from(input).subscribe({
    error: (error: unknown) => {
      done = true;
      finish?.();
      host.fail(error);
    },
    complete: () => {
      done = true;
      finish?.();
    },
  });
  return {
    phase,
    // A draining Observable task keeps its subscription until it completes by itself.
    subscription: def.drain ? undefined : subscription,
    ...(def.drain ? { draining: subscription } : {}),
    pending: () => (def.drain && !done ? new Promise<void>((resolve) => (finish = resolve)) : undefined),
    active: () => !done,
  };
}

function startTimer(def: Extract<WorkDef, { kind: 'timer' }>, host: WorkHost): Running {
  let inFlight: PromiseLike<unknown> | undefined;
  const settle = (): void => void (inFlight = undefined);
  const quarter = def.intervalMs / 4;
  const subscription = scheduleTicks(def.intervalMs, host.scheduler, def.execFirst, {
    isBusy: () => inFlight !== undefined || host.isPaused(),
    skipped: (scheduledAt, firedAt) => host.tickEvent('timer-overlap', def.name, firedAt - scheduledAt),
    fire: (tick) => {
      if (tick.driftMs > quarter) host.tickEvent('timer-drift', def.name, tick.driftMs);
      inFlight = runBody(() => def.fn(tick), host, settle);
    },
  });
  return {
    phase: `timer:${def.name}`,
    subscription,
    pending: () => inFlight,
    active: () => inFlight !== undefined,
  };
}

function startCron(def: Extract<WorkDef, { kind: 'cron' }>, host: WorkHost): Running {
  let inFlight: PromiseLike<unknown> | undefined;
  const settle = (): void => void (inFlight = undefined);
  const subscription = scheduleCron(def.schedule, host.scheduler, (scheduledAt, firedAt) => {
    if (inFlight !== undefined || host.isPaused()) {
      host.tickEvent('timer-overlap', def.name, firedAt - scheduledAt);
      return;
    }
    inFlight = runBody(() => def.fn(), host, settle);
  });
  return {
    phase: `cron:${def.name}`,
    subscription,
    pending: () => inFlight,
    active: () => inFlight !== undefined,
  };
}

function startWork(def: WorkDef, host: WorkHost): Running {
  switch (def.kind) {
    case 'task':
      return startTask(def, host);
    case 'timer':
      return startTimer(def, host);
    case 'cron':
      return startCron(def, host);
  }
}

/** @internal The work of one service: definitions, per-run registrations, and what is running. */
export class WorkSet {
  #definitions: WorkDef[] = [];
  #perRun: WorkDef[] = [];
  #running: Running[] = [];
  #draining: Subscription[] = [];
  #counters = { task: 0, timer: 0, cron: 0 };

  /** `task-1`, `timer-2`, … in registration order, per kind. */
  nextName(kind: WorkDef['kind']): string {
    return `${kind}-${++this.#counters[kind]}`;
  }

  get isEmpty(): boolean {
    return this.#definitions.length === 0 && this.#perRun.length === 0;
  }

  /** Registers work; with a host (the service is running) it starts at once. */
  add(def: WorkDef, perRun: boolean, host?: WorkHost): void {
    (perRun ? this.#perRun : this.#definitions).push(def);
    if (host) this.#running.push(startWork(def, host));
  }

  /** Starts every registered piece of work. */
  startAll(host: WorkHost): void {
    for (const def of this.#definitions) this.#running.push(startWork(def, host));
    for (const def of this.#perRun) this.#running.push(startWork(def, host));
  }

  /** The phase names of the work under way right now. */
  active(): string[] {
    return this.#running.filter((work) => work.active()).map((work) => work.phase);
  }

  /**
   * Unsubscribes everything and returns what must still be awaited (drain tasks, timer bodies in
   * flight), by phase name. Per-run registrations are forgotten.
   */
  stopAll(): { phase: string; pending: PromiseLike<unknown> }[] {
    const running = this.#running;
    this.#running = [];
    this.#perRun = [];
    const waits: { phase: string; pending: PromiseLike<unknown> }[] = [];
    for (const work of running) {
      work.subscription?.unsubscribe();
      if (work.draining) this.#draining.push(work.draining);
      const pending = work.pending();
      if (pending) waits.push({ phase: work.phase, pending });
    }
    return waits;
  }

  /** Closes what draining tasks still hold once the stop waited for them (or gave up at the deadline). */
  releaseDrained(): void {
    const draining = this.#draining;
    this.#draining = [];
    for (const subscription of draining) subscription.unsubscribe();
  }
}
