/**
 * The work of one service (`WorkSet`): definitions registered outside a run last across restarts,
 * those registered during a run are dropped with it; it starts them all with a run, tells what is
 * under way, and stops them, handing the stop what it must still await.
 */
import type { Subscription } from 'rxjs';
import { readOrigin } from './clock.js';
import { startWork, type Running, type WorkDef, type WorkHost } from './work.js';

/** @internal The work of one service: definitions, per-run registrations, and what is running. */
export class WorkSet {
  #definitions: WorkDef[] = [];
  #perRun: WorkDef[] = [];
  #running: Running[] = [];
  #draining: Subscription[] = [];
  #counters = { task: 0, timer: 0, cron: 0 };

  /** `task-1`, `timer-2`, … in registration order, per kind. */
  nextName(kind: 'task' | 'timer' | 'cron'): string {
    return `${kind}-${++this.#counters[kind]}`;
  }

  /** Registers work; with a host (the service is running) it starts at once. */
  add(def: WorkDef, perRun: boolean, host?: WorkHost): void {
    (perRun ? this.#perRun : this.#definitions).push(def);
    if (host) this.#running.push(startWork(def, host));
  }

  /**
   * Starts `run()` first (when given; `check` validates what it returned and may throw, failing the
   * start), then every registered piece of work.
   */
  startAll(host: WorkHost, run: WorkDef | undefined, check: (result: unknown) => void): void {
    // the timers of one run share one start instant, read before run() runs, so their ticks fall together
    const origin = readOrigin(host.scheduler);
    if (run) this.#running.push(startWork(run, host, check));
    for (const def of this.#definitions) this.#running.push(startWork(def, host, undefined, origin));
    for (const def of this.#perRun) this.#running.push(startWork(def, host, undefined, origin));
  }

  /** Settles once every cron schedule can tell its times (croner is loaded on first use); else undefined. */
  ready(): Promise<void> | undefined {
    let waits: Promise<void>[] | undefined;
    for (const def of [...this.#definitions, ...this.#perRun]) {
      const ready = def.kind === 'cron' ? def.schedule.ready() : undefined;
      if (ready) (waits ??= []).push(ready);
    }
    return waits && Promise.all(waits).then(() => undefined);
  }

  /** True while something was started and not yet stopped. */
  get isRunning(): boolean {
    return this.#running.length > 0;
  }

  /** The phase names of the work under way right now. */
  active(): string[] {
    return this.#running.filter((work) => work.active()).map((work) => work.phase);
  }

  /**
   * Unsubscribes everything and returns what must still be awaited (drained inputs, timer bodies in
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
