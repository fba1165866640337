/**
 * One start of one service that is not a leaf's synchronous start: the step it is in, the hook in
 * flight, whether a stop or crash ended it, and the steps themselves (section 3.1 of the contract).
 */
import { RESOLVED, startChildren } from '../children.js';
import type { Duration } from '../duration.js';
import { InvalidStateError, StartTimeoutError } from '../errors.js';
import { show } from './format.js';
import type { LifecycleHost } from './host.js';
import { noop } from './noop.js';
import type { StopStep } from './stop-run.js';
import {
  beginFirstStart,
  callHook,
  enterRunning,
  onStopBegin,
  startRun,
  startWork,
  stopCalls,
  stopRun,
} from './symbols.js';

/** The options of `start()`. */
interface StartOptions {
  timeout?: Duration;
  signal?: AbortSignal;
}

/**
 * @internal The step of the start of `host` in flight (`run` while a start without a run object
 * starts its work), or undefined when it is not starting.
 */
export function startPhaseOf(host: {
  readonly state: string;
  readonly [startRun]: { readonly phase: string } | undefined;
}): string | undefined {
  return host.state === 'starting' ? (host[startRun]?.phase ?? 'run') : undefined;
}

/** @internal The bookkeeping of one start. */
export class StartRun {
  /** The step in flight: `onInitDependencies`, `onFirstStart`, `onStart`, `children`, `run`, `onStarted`. */
  phase = 'onStart';
  /** The start hook being awaited, so that a stop during start can let it finish first. */
  hook: PromiseLike<unknown> | undefined;
  /** Set when a stop or crash began during this start: the remaining steps are skipped. */
  isOver = false;
  /** The stop or crash teardown that ended this start, if one did. */
  ending: Promise<void> | undefined;
  /** Set when the service crashed during this start: what `start()` rejects with. */
  crash: { error: unknown } | undefined;
  /** The promise every concurrent `start()` call shares. */
  promise: Promise<void> | undefined;

  /** A stop (or, with `crash`, a crash teardown) ended this start. */
  end(ending: Promise<void>, crash?: { error: unknown }): void {
    this.isOver = true;
    this.ending = ending;
    if (crash) this.crash = crash;
  }

  /** True while the steps should go on. */
  isLive(host: LifecycleHost): boolean {
    return !this.isOver && host.state === 'starting';
  }

  async #awaitHook(pending: PromiseLike<unknown>): Promise<void> {
    this.hook = pending;
    await pending;
    this.hook = undefined;
  }

  /**
   * Runs the start steps 2–6; the caller enters `running` when they end while still live. With
   * `childrenInFlight` the steps resume at the children (a start that began synchronously).
   */
  async steps(host: LifecycleHost, childrenInFlight?: Promise<void>): Promise<void> {
    let pending: PromiseLike<unknown> | undefined;
    if (!this.isLive(host)) return; // a subscriber of `starting` already stopped or crashed it
    if (!childrenInFlight) {
      this.phase = 'onInitDependencies';
      if (host[beginFirstStart]()) {
        this.phase = 'onFirstStart';
        if ((pending = host[callHook]('onFirstStart'))) await this.#awaitHook(pending);
        if (!this.isLive(host)) return;
      }
      this.phase = 'onStart';
      if ((pending = host[callHook]('onStart'))) await this.#awaitHook(pending);
      if (!this.isLive(host)) return;
      this.phase = 'children';
      if (host.children.length > 0) childrenInFlight = startChildren(host, this);
    }
    if (childrenInFlight) await childrenInFlight;
    if (!this.isLive(host)) return;
    this.phase = 'run';
    host[startWork]();
    if (!this.isLive(host)) return;
    this.phase = 'onStarted';
    if ((pending = host[callHook]('onStarted'))) await this.#awaitHook(pending);
  }
}

/**
 * @internal Runs `run` to its end (section 3.1): the steps, within `timeoutMs`, abortable through
 * `signal`. Resolves once the service runs, or once a stop that ended the start has finished; rejects
 * with the crash that ended it (a failing step, the timeout) once torn down, or with `signal.reason`.
 */
export async function runStart(
  host: LifecycleHost,
  run: StartRun,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
  childrenInFlight?: Promise<void>,
): Promise<void> {
  let aborted = false;
  const onAbort = (): void => {
    aborted = true;
    host.stop().catch(noop);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const error = timeoutMs === undefined ? undefined : new StartTimeoutError(host.ref, 'onStart', timeoutMs);
  const timer =
    error &&
    host.scheduler.schedule(() => {
      if (!run.isLive(host)) return;
      error.setPhase(run.phase, stuckStart(host, run.phase));
      host.crash(error);
    }, timeoutMs);
  try {
    // The steps end, or a stop or crash begins (a hung hook must not hold start() past the rollback).
    await new Promise<void>((resolve) => {
      const off = host[onStopBegin](resolve);
      run.steps(host, childrenInFlight).then(
        () => {
          off();
          if (run.isLive(host)) host[enterRunning]();
          resolve();
        },
        (failure: unknown) => {
          off();
          if (run.isLive(host)) host.crash(failure);
          resolve();
        },
      );
    });
  } finally {
    timer?.unsubscribe();
    signal?.removeEventListener('abort', onAbort);
  }
  if (!run.isOver) return; // running
  // A crash ended the start: reject with it once torn down. A stop did: resolve once it finished
  // (its errors go to its own caller).
  await run.ending?.then(noop, noop);
  if (run.crash) throw run.crash.error;
  if (aborted) throw signal!.reason;
}

/**
 * @internal Where a start that timed out was stuck: the service itself, or, when it was starting its
 * children, the first descendant still starting.
 */
export function stuckStart(host: LifecycleHost, phase: string): { path: string; phase: string } {
  let service = host;
  while (phase === 'children') {
    const child = service.children.find((c) => c.state === 'starting');
    if (!child) break;
    service = child;
    phase = startPhaseOf(child) ?? 'onStart';
  }
  return { path: service.path, phase };
}

/** @internal Checks the `signal` option of `start()`. */
export function checkSignal(signal: unknown): void {
  if (typeof (signal as Partial<AbortSignal> | null)?.addEventListener !== 'function') {
    throw new TypeError(`signal must be an AbortSignal; received ${show(signal)}`);
  }
}

/**
 * @internal The promise of a synchronous start that ended before `running` (its work failed, or a
 * stop began at once): settles once `ending` did; rejects with the crash, if one ended it.
 */
export function startEnded(host: LifecycleHost, ending: Promise<void> = RESOLVED): Promise<void> {
  if (host.state !== 'crashed') return ending.then(noop, noop);
  const error = host.crashReason;
  return ending.then(() => Promise.reject(error as Error));
}

/**
 * @internal Starts `host` (with `options`) once `pending` resolved, or settled when `afterFailure`,
 * unless a later stop overtook the start meanwhile (then it resolves).
 */
export function startAfter(
  host: LifecycleHost & OvertakenHost & { start(options?: StartOptions): Promise<void> },
  pending: Promise<unknown>,
  options: StartOptions | undefined,
  afterFailure: boolean,
): Promise<void> {
  const isOvertaken = overtaking(host);
  const again = (): Promise<void> => (isOvertaken() ? RESOLVED : host.start(options));
  return pending.then(again, afterFailure ? again : undefined);
}

/** A service as {@link overtaking} sees it. */
interface OvertakenHost {
  readonly parent: OvertakenHost | undefined;
  readonly shouldStop: boolean;
  readonly [stopCalls]: number;
  readonly [stopRun]: { readonly step: StopStep } | undefined;
}

/**
 * @internal A check that turns true once a later `stop()` call, a stop of the parent or the removal
 * from it overtakes a start or restart of `host` that waits: it then gives way.
 */
export function overtaking(host: OvertakenHost): () => boolean {
  const calls = host[stopCalls];
  const parent = host.parent;
  return () => host[stopCalls] !== calls || host.parent !== parent || isLeftBehind(host);
}

/**
 * True when the parent has stopped (or crashed) or is stopping past the step that stops its
 * children: a start now would leave `host` running under a stopped parent.
 */
function isLeftBehind(host: OvertakenHost): boolean {
  const parent = host.parent;
  if (!parent?.shouldStop) return false;
  const step = parent[stopRun]?.step;
  return step !== 'onCrash' && step !== 'start-hook' && step !== 'onStop';
}

/**
 * @internal `restart()` of `host`: lets a start under way finish, stops it with `stop` (reason
 * `restart`), calls `onRestart`, then starts it; a later `stop()` call or a stop of the parent
 * overtakes it (it resolves, the service stopped).
 */
export async function restart(host: LifecycleHost & OvertakenHost, stop: () => Promise<void>): Promise<void> {
  if (host.state === 'stopping') throw new InvalidStateError(host.ref, 'stopping', 'restart');
  const isOvertaken = overtaking(host); // then the service stays stopped
  if (host.state === 'starting') await host.start().catch(noop);
  if (isOvertaken()) return;
  await stop();
  if (isOvertaken()) return;
  const pending = host[callHook]('onRestart');
  if (pending) await pending;
  if (isOvertaken()) return;
  await host.start();
}
