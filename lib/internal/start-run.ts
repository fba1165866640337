/**
 * One start of one service that is not a leaf's synchronous start: the step it is in, the hook in
 * flight, whether a stop or crash ended it, and the steps themselves (section 3.1 of the contract).
 */
import { startChildren } from '../children.js';
import { StartTimeoutError } from '../errors.js';
import type { LifecycleHost } from './host.js';
import { noop } from './noop.js';
import { beginFirstStart, callHook, enterRunning, onStopBegin, startPhase, startWork } from './symbols.js';

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
    phase = child[startPhase] ?? 'onStart';
  }
  return { path: service.path, phase };
}
