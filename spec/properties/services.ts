/**
 * The services of a fuzz run: a FuzzService does what its NodeSpec says in each hook, registers the
 * spec's tasks and timers in its constructor and implements `run()` in the chosen shape. Every error
 * it throws is created through the environment, which remembers it as injected.
 */
import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { Service } from '../../lib/index.js';
import type { HookName, HookSpec, NodeSpec, RunSpec, WorkSpec } from './model.js';

/** What the services of one run share with the runner. */
export interface FuzzEnv {
  /** The scheduler handed to every service. */
  readonly scheduler: SchedulerLike;
  /** Runs `fn` after `ms` on the scenario's own timer (not counted as the library's). */
  after(ms: number, fn: () => void): Subscription;
  /** A new Error remembered as injected by the scenario. */
  inject(label: string): Error;
  /** A promise that resolves when the scenario releases its hung hooks. */
  gate(): Promise<void>;
}

/** Resolves when `signal` aborts (at once when it already has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function hookBehaviour(env: FuzzEnv, service: FuzzService, hook: HookName, spec: HookSpec): unknown {
  switch (spec.kind) {
    case 'sync':
      return undefined;
    case 'delay':
      return new Promise<void>((resolve) => env.after(spec.ms, resolve));
    case 'throw':
      throw env.inject(`${service.name}.${hook} threw`);
    case 'rejectLater': {
      const error = env.inject(`${service.name}.${hook} rejected`);
      return new Promise<void>((_, reject) => env.after(spec.ms, () => reject(error)));
    }
    case 'hangSignal':
      return untilAborted(service.signal);
    case 'hangRelease':
      return env.gate();
  }
}

function addWork(env: FuzzEnv, service: FuzzService, work: WorkSpec): void {
  if (work.kind === 'timer') {
    service.addTimer(work.interval, () => {
      if (work.body === 'throw') throw env.inject(`${service.name} timer threw`);
      if (work.body === 'slow') return new Promise<void>((resolve) => env.after(work.ms, resolve));
      return undefined;
    });
    return;
  }
  const { failAfter, ms, drain } = work;
  if (work.shape === 'observable') {
    service.addTask(
      () =>
        new Observable<number>((subscriber) => {
          const tick = env.after(ms, () => subscriber.next(1));
          const fail =
            failAfter === undefined
              ? undefined
              : env.after(failAfter, () => subscriber.error(env.inject(`${service.name} task failed`)));
          return () => {
            tick.unsubscribe();
            fail?.unsubscribe();
          };
        }),
      { drain },
    );
    return;
  }
  service.addTask(
    (signal) =>
      new Promise<void>((resolve, reject) => {
        const fail =
          failAfter === undefined
            ? undefined
            : env.after(failAfter, () => reject(env.inject(`${service.name} task failed`)));
        void untilAborted(signal).then(() => {
          fail?.unsubscribe();
          // a drain task takes a little time to finish after the abort
          if (drain) env.after(ms, resolve);
          else resolve();
        });
      }),
    { drain },
  );
}

function runBody(env: FuzzEnv, service: FuzzService, spec: RunSpec, signal: AbortSignal): unknown {
  const failAt = spec.failAfter === undefined ? Infinity : service.scheduler.now() + spec.failAfter;
  const fail = (): Error => env.inject(`${service.name}.run failed`);
  if (spec.shape === 'observable') {
    return new Observable<number>((subscriber) => {
      let n = 0;
      let tick: Subscription | undefined;
      const next = (): void => {
        tick = env.after(spec.ms, () => {
          if (service.scheduler.now() >= failAt) subscriber.error(fail());
          else {
            subscriber.next(n++);
            next();
          }
        });
      };
      next();
      return () => tick?.unsubscribe();
    });
  }
  const loop = async function* (): AsyncGenerator<number> {
    let n = 0;
    while (!signal.aborted) {
      if (service.scheduler.now() >= failAt) throw fail();
      yield n++;
      await service.sleep(spec.ms);
    }
    if (spec.rejectOnAbort) throw signal.reason;
  };
  if (spec.shape === 'generator') return loop();
  return (async () => {
    while (!signal.aborted) {
      if (service.scheduler.now() >= failAt) throw fail();
      await service.sleep(spec.ms);
    }
    if (spec.rejectOnAbort) throw signal.reason;
  })();
}

/**
 * A service whose hooks, work and run() follow a NodeSpec. Only the hooks the spec names are set
 * (as instance fields), so services without hooks take the library's synchronous leaf paths.
 */
export class FuzzService extends Service<number> {
  readonly spec: NodeSpec;

  constructor(env: FuzzEnv, name: string, spec: NodeSpec) {
    super({
      name,
      scheduler: env.scheduler,
      startConcurrency: spec.startConcurrency,
      stopConcurrency: spec.stopConcurrency,
      ...(spec.startTimeout === undefined ? {} : { startTimeout: spec.startTimeout }),
      ...(spec.stopTimeout === undefined ? {} : { stopTimeout: spec.stopTimeout }),
    });
    this.spec = spec;
    const self = this as unknown as Record<HookName, () => unknown>;
    for (const [hook, hookSpec] of Object.entries(spec.hooks) as [HookName, HookSpec][]) {
      self[hook] = () => hookBehaviour(env, this, hook, hookSpec);
    }
    for (const work of spec.work) addWork(env, this, work);
    if (spec.run) {
      const runSpec = spec.run;
      this.run = (signal: AbortSignal) => runBody(env, this, runSpec, signal) as Promise<void>;
    }
  }
}
