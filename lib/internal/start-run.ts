/**
 * One start of one service that is not a leaf's synchronous start: the step it is in, the hook in
 * flight, whether a stop or crash ended it, and the steps themselves (section 3.1 of the contract).
 */
import { startChildren } from '../children.js';
import type { LifecycleHost } from './host.js';
import { beginFirstStart, callHook, startPhase, startWork } from './symbols.js';

/** @internal The bookkeeping of one start. */
export class StartRun {
  /** The step in flight: `onInitDependencies`, `onFirstStart`, `onStart`, `children`, `run`, `onStarted`. */
  phase = 'onStart';
  /** The start hook being awaited, so that a stop during start can let it finish first. */
  hook: PromiseLike<unknown> | undefined;
  /** Set when a stop or crash began during this start: the remaining steps are skipped. */
  isOver = false;
  /** The stop or crash teardown that ended this start, if one did (and was not synchronous). */
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

  /** Runs the start steps 2–6; the caller enters `running` when they end while still live. */
  async steps(host: LifecycleHost): Promise<void> {
    let pending: PromiseLike<unknown> | undefined;
    if (!this.isLive(host)) return; // a subscriber of `starting` already stopped or crashed it
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
    if (host.children.length > 0 && (pending = startChildren(host, () => this.isLive(host)))) {
      await pending;
    }
    if (!this.isLive(host)) return;
    this.phase = 'run';
    host[startWork]();
    if (!this.isLive(host)) return;
    this.phase = 'onStarted';
    if ((pending = host[callHook]('onStarted'))) await this.#awaitHook(pending);
  }
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
