/**
 * The steps of a stop and of a crash teardown (section 3.2 of the contract): `onCrash` or the start
 * hook in flight, `onStop`, the children, the work, the teardowns, `onShutdown`. Every step runs even
 * when an earlier one failed; failures are collected in the run, and nothing is awaited past its
 * deadline.
 */
import { RESOLVED, stopChildren, sweepChildren } from '../children.js';
import { ServiceStopError, StopTimeoutError } from '../errors.js';
import { runTeardown } from '../teardown.js';
import type { LifecycleHost } from './host.js';
import type { HookName } from './hooks.js';
import { isThenable } from './is-thenable.js';
import { noop } from './noop.js';
import type { StopRun } from './stop-run.js';
import {
  beforeChildrenStop,
  callHook,
  emit,
  finishStop,
  settings,
  stopWork,
  work as workOf,
} from './symbols.js';

/** What the stop of a service that was starting must let finish first. */
export interface StartInFlight {
  readonly phase: string;
  readonly hook: PromiseLike<unknown>;
}

/** Awaits `pending` as phase `name` of `run`, arming the deadline first; failures are collected. */
function awaitPhase(
  host: LifecycleHost,
  run: StopRun,
  name: string,
  pending: PromiseLike<unknown>,
): Promise<void> {
  armDeadline(host, run);
  return run.await(name, pending, host.scheduler);
}

/** Calls a stop hook; a promise only when it has to be awaited. An error of `onCrash` is its `hook` event, nothing else. */
function stopHook(
  host: LifecycleHost,
  run: StopRun,
  name: HookName,
  arg?: unknown,
): Promise<void> | undefined {
  let pending: PromiseLike<unknown> | undefined;
  try {
    pending = host[callHook](name, arg);
  } catch (error) {
    if (name !== 'onCrash') run.fail(error);
    return undefined;
  }
  if (!pending) return undefined;
  return awaitPhase(
    host,
    run,
    name,
    name === 'onCrash' ? Promise.resolve(pending).catch(() => undefined) : pending,
  );
}

/**
 * @internal Runs the stop steps 2–6 of `host` under `run` (the root of a stop arms its deadline at
 * the first wait). With `childrenInFlight` the steps resume after the children began to stop (a
 * stop that began synchronously).
 */
export async function runStopSteps(
  host: LifecycleHost,
  run: StopRun,
  startInFlight: StartInFlight | undefined,
  childrenInFlight?: Promise<void>,
): Promise<void> {
  let pending: PromiseLike<unknown> | void | undefined;
  if (!childrenInFlight) {
    if (run.crashing) {
      run.step = 'onCrash';
      if ((pending = stopHook(host, run, 'onCrash', host.crashReason))) await pending;
    } else if (startInFlight) {
      run.step = 'start-hook'; // a stop during start lets the start hook in flight finish first
      await awaitPhase(host, run, startInFlight.phase, startInFlight.hook);
    }
    run.step = 'onStop';
    if ((pending = stopHook(host, run, 'onStop'))) await pending;
    if ((pending = host[beforeChildrenStop]?.())) await awaitPhase(host, run, 'onStop', pending);
    run.step = 'children';
    if (host.children.length > 0) childrenInFlight = stopChildren(host, run);
  }
  if (childrenInFlight) {
    armDeadline(host, run);
    await childrenInFlight;
  }
  run.step = 'work';
  const work = host[stopWork]();
  if (work) {
    if (work.waits.length > 0) {
      await Promise.all(work.waits.map((w) => awaitPhase(host, run, w.phase, w.pending)));
    }
    work.release();
  }
  run.step = 'teardowns';
  for (const teardown of host[workOf]?.takeTeardowns() ?? []) {
    try {
      const result = runTeardown(teardown);
      if (isThenable(result)) await awaitPhase(host, run, 'teardown', result);
    } catch (error) {
      run.fail(error);
    }
  }
  run.step = 'onShutdown';
  if ((pending = stopHook(host, run, 'onShutdown'))) await pending;
}

/**
 * @internal Runs the stop `run` of `host` (already `stopping`, `run` already its stop under way). A
 * hookless service stops synchronously as long as its children do: then `run.promise` stays unset and
 * the result is settled. Otherwise the steps run (see {@link runStop}) and `run.promise` is theirs.
 */
export function beginStop(
  host: LifecycleHost,
  run: StopRun,
  isHookless: boolean,
  startInFlight: StartInFlight | undefined,
): Promise<void> {
  const children = isHookless ? ((run.step = 'children'), stopChildren(host, run)) : undefined;
  if (isHookless && !children) {
    run.step = 'done';
    host[finishStop](run);
    return run.errors ? Promise.reject(new ServiceStopError(host.ref, run.errors)) : RESOLVED;
  }
  return (run.promise = runStop(host, run, startInFlight, children));
}

/**
 * @internal A stop of `host` that is stopped, crashed or stopping: joins the stop or crash teardown
 * under way (`current`, under `parentRun`'s deadline too), else stops the children someone started
 * since. A crash teardown's outcome is not the caller's: it resolves.
 */
export function stopAgain(
  host: LifecycleHost,
  current: StopRun | undefined,
  parentRun: StopRun | undefined,
): Promise<void> {
  if (!current) return sweepChildren(host, parentRun, (run) => armDeadline(host, run));
  if (parentRun) parentRun.join(current);
  return host.state === 'crashed' ? current.promise!.then(noop, noop) : current.promise!;
}

/** Errors already logged, so an escalated crash is reported once. */
const reported = new WeakSet<object>();

/** @internal Reports the crash of `host` (entered `at`): a `crash` event, and one error log per error. */
export function reportCrash(host: LifecycleHost, error: unknown, at: number): void {
  host[emit]({ type: 'crash', service: host.ref, at, error });
  const isObject = typeof error === 'object' && error !== null;
  if (!isObject || !reported.has(error)) {
    if (isObject) reported.add(error);
    host.logger.error({ service: host.path, err: error }, 'crashed');
  }
}

/**
 * @internal A whole stop of `host` under `run`: the steps within the budget, then its end (the
 * state transition), then the outcome (see {@link stopOutcome}).
 */
export async function runStop(
  host: LifecycleHost,
  run: StopRun,
  startInFlight: StartInFlight | undefined,
  childrenInFlight?: Promise<void>,
): Promise<void> {
  try {
    await runStopSteps(host, run, startInFlight, childrenInFlight);
  } finally {
    run.disarm();
    run.step = 'done';
    host[finishStop](run);
  }
  stopOutcome(host, run);
}

/**
 * @internal Throws what a finished stop reports: `StopTimeoutError` when this stop's own deadline
 * expired, `ServiceStopError` for collected errors (a crash teardown logs them instead: the crash is
 * what is reported).
 */
export function stopOutcome(host: LifecycleHost, run: StopRun): void {
  if (run.stuck) throw new StopTimeoutError(host.ref, run.stuck, run.errors ?? []);
  if (!run.errors) return;
  if (!run.crashing) throw new ServiceStopError(host.ref, run.errors);
  for (const error of run.errors)
    host.logger.error({ service: host.path, err: error }, 'crash teardown failed');
}

/**
 * @internal Arms the deadline of a stop `host` is the root of (once): when it passes, what is stuck
 * below is named (a `stop-timeout` event, an error log) and abandoned.
 */
export function armDeadline(host: LifecycleHost, run: StopRun): void {
  if (!run.isRoot || run.isArmed) return;
  run.arm(host.scheduler, host[settings].stopTimeoutMs, () => {
    const at = host.scheduler.now();
    const stuck = (run.stuck = run.expire(at));
    host[emit]({ type: 'stop-timeout', service: host.ref, at, stuck });
    host.logger.error({ service: host.path, stuck }, 'stop timed out');
  });
}
