/**
 * ThreadService (Mode's ServiceThread): a service whose work runs in a `worker_threads` thread.
 * The parent side mirrors the thread's state, events, run$ values and tree, carries start, stop,
 * crash and method calls across, and terminates a thread that stops answering.
 */
import { resolve as resolvePath, basename, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { Observable, type Subscriber } from 'rxjs';
import { parseDuration } from '../../duration.js';
import { show } from '../../internal/format.js';
import { InvalidStateError } from '../../errors.js';
import { scheduleLoop } from '../../internal/clock.js';
import type { LifecycleEvent, StopReason } from '../../events.js';
import { emit, stopReason } from '../../internal/symbols.js';
import { Service } from '../../service.js';
import type { ServiceSnapshot } from '../../snapshot.js';
import { activityOf } from '../dump.js';
import { bootThread, defaultThreadEntry } from './boot.js';
import { ThreadServiceError } from '../../errors.js';
import { ThreadLink } from './link.js';
import { ThreadMirror } from './mirror.js';
import type { ThreadArgs, ThreadMethod, ThreadResult, ThreadServiceOptions } from './options.js';
import { decodeError, decodeEvent, encodeError, encodeReason, type FromThread } from './protocol.js';

/** How long a stopped thread may take to exit (flushing its console output) before it is terminated. */
const EXIT_GRACE_MS = 1000;

function toFileUrl(value: string | URL, option: string): URL {
  if (value instanceof URL) return value;
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${option} must be a file path or a file URL; received ${show(value)}`);
  }
  return value.startsWith('file:') ? new URL(value) : pathToFileURL(resolvePath(value));
}

/**
 * Runs a service exported by a module in a `worker_threads` thread, and stands for it in the tree.
 *
 * @remarks
 * Each start boots a new thread, loads the module there, builds the service (a class is
 * constructed with `args`, a factory called with them, an instance used as is) and starts it; the
 * ThreadService is `running` once that service runs. A stop is sent to the thread and awaited, then
 * the thread is ended. The thread's service is mirrored: its descendants' events appear on
 * `events$` under this service's path (its own hook events as `thread:<hook>`), its `run$` values on
 * `run$`, its subtree in `toJSON()`. A crash crosses both ways: a crash in the thread (a failing
 * task, an uncaught exception there) crashes this service with an error of the same name, message
 * and stack, and `crash()` here crashes the service in the thread. A thread that answers nothing
 * for `blockingTimeout` is reported with a `blocked` event; one that has not confirmed its stop when
 * the stop budget runs out is reported and terminated. Module, arguments, results and `run$` values
 * cross by structured clone. Works with compiled `.js` modules; `.ts` modules boot through tsx.
 * @throws TypeError for an invalid module, export or option.
 * @example
 * ```ts
 * // hasher.ts (runs in the thread): export class Hasher extends Service { hash(s: string) { … } }
 * const hasher = new ThreadService<never, Hasher>(new URL('./hasher.js', import.meta.url), { export: 'Hasher' });
 * await hasher.start();
 * const digest = await hasher.call('hash', 'abc');
 * await hasher.stop();
 * ```
 */
export class ThreadService<T = unknown, S = unknown> extends Service<T> {
  /** The module the thread loads. */
  readonly module: URL;
  /** The export holding the service. */
  readonly exportName: string;
  readonly #args: readonly unknown[];
  readonly #entry: URL | undefined;
  readonly #blockingMs: number;
  readonly #resourceLimits: ResourceLimits | undefined;
  #link: ThreadLink | undefined;
  #mirror: ThreadMirror | undefined;
  #snapshot: ServiceSnapshot | undefined;
  #buffer: T[] = [];
  #sink: Subscriber<T> | undefined;
  #crashFromThread = false;

  constructor(module: string | URL, options: ThreadServiceOptions = {}) {
    const {
      export: exportName = 'default',
      args = [],
      blockingTimeout,
      entry,
      resourceLimits,
      ...rest
    } = options;
    const url = toFileUrl(module, 'module');
    if (typeof exportName !== 'string' || exportName === '') {
      throw new TypeError(`export must be a non-empty string; received ${show(exportName)}`);
    }
    if (!Array.isArray(args)) throw new TypeError(`args must be an array; received ${show(args)}`);
    const fallbackName =
      exportName !== 'default' ? exportName : basename(url.pathname, extname(url.pathname));
    super({ ...rest, name: rest.name ?? (fallbackName || 'ThreadService') });
    this.module = url;
    this.exportName = exportName;
    this.#args = args;
    this.#entry = entry === undefined ? undefined : toFileUrl(entry, 'entry');
    this.#blockingMs = parseDuration(blockingTimeout ?? '10s', 'blockingTimeout');
    this.#resourceLimits = resourceLimits;
  }

  /** The id of the current thread, while there is one. */
  get threadId(): number | undefined {
    return this.#link?.alive ? this.#link.worker.threadId : undefined;
  }

  /**
   * Runs `method(...args)` on the service in the thread and resolves with its result (Mode's
   * `call_thread`).
   *
   * @throws TypeError when `method` is not a string.
   * @returns a promise that rejects with the method's error (same name, message and stack), with
   * InvalidStateError when the thread's service is not started or is stopping, or with
   * ThreadServiceError when the thread exits before answering.
   */
  call<K extends ThreadMethod<S>>(method: K, ...args: ThreadArgs<S, K>): Promise<ThreadResult<S, K>> {
    if (typeof method !== 'string' || method === '') {
      throw new TypeError(`method must be a non-empty string; received ${show(method)}`);
    }
    const link = this.#link;
    const state = this.state;
    if (!link?.alive || !link.ready || (state !== 'running' && state !== 'starting')) {
      return Promise.reject(new InvalidStateError(this.ref, state, `call ${method}()`));
    }
    return link.call(method, args).then(
      (value) => value as ThreadResult<S, K>,
      (error: unknown) => {
        throw decodeError(error);
      },
    );
  }

  protected override async onStart(): Promise<void> {
    this.#buffer = [];
    this.#snapshot = undefined;
    this.#mirror = undefined;
    this.#crashFromThread = false;
    const scheduler = this.scheduler;
    const worker = bootThread({
      entry: this.#entry ?? defaultThreadEntry(),
      data: { module: this.module.href, exportName: this.exportName, args: [...this.#args] },
      name: this.path,
      ...(this.#resourceLimits ? { resourceLimits: this.#resourceLimits } : {}),
    });
    const link: ThreadLink = new ThreadLink(
      worker,
      {
        message: (message) => this.#receive(link, message),
        exit: (code, error, expected) => this.#exited(code, error, expected),
        exitError: (code, error) =>
          new ThreadServiceError(
            this.ref,
            error === undefined
              ? `the thread exited with code ${code}`
              : `the thread failed (${show(error)})`,
            error,
          ),
      },
      () => scheduler.now(),
    );
    this.#link = link;
    const loaded = await link.next('ready', 'load-failed');
    if (loaded.type === 'load-failed') {
      const cause = decodeError(loaded.error);
      throw new ThreadServiceError(this.ref, `cannot load ${this.module.href} (${show(cause)})`, cause);
    }
    this.#mirror = new ThreadMirror(loaded.path, () => this.ref);
    link.post({ type: 'start' });
    const started = await link.next('started', 'start-failed');
    if (started.type === 'start-failed') throw decodeError(started.error);
    this.#startHeartbeat(link);
  }

  protected override run(): Observable<T> {
    return new Observable<T>((subscriber) => {
      for (const value of this.#buffer.splice(0)) subscriber.next(value);
      this.#sink = subscriber;
      return () => {
        if (this.#sink === subscriber) this.#sink = undefined;
      };
    });
  }

  protected override onCrash(error: unknown): void {
    const link = this.#link;
    if (this.#crashFromThread || !link?.alive) return;
    link.post({ type: 'crash', error: encodeError(error) });
  }

  protected override async onStop(): Promise<void> {
    const link = this.#link;
    if (!link?.alive || link.stopped || !link.ready) return;
    const reason: StopReason = this[stopReason] ?? { type: 'manual' };
    link.post({ type: 'stop', reason: encodeReason(reason) });
    const reply = await link.next('stopped');
    if (reply.error !== undefined) throw decodeError(reply.error);
  }

  protected override async onShutdown(): Promise<void> {
    const link = this.#link;
    this.#link = undefined;
    if (!link) return;
    if (link.alive && link.ready && !link.stopped) {
      // The stop budget ran out (the stop went on without waiting for the thread): report, then end it.
      const lagMs = Math.round(this.scheduler.now() - link.lastSeen);
      const running = this.#running(link);
      if (!link.stalled) this.#blocked(lagMs, running);
      this.logger.error(
        { service: this.path, lagMs, running },
        'the thread did not stop in time: terminating it',
      );
      await link.terminate();
      return;
    }
    await link.close(EXIT_GRACE_MS, this.scheduler);
  }

  override toJSON(): ServiceSnapshot {
    const own = super.toJSON();
    const snapshot = this.#snapshot;
    const mirror = this.#mirror;
    if (!snapshot || !mirror) return own;
    return {
      ...own,
      flags: [...new Set([...own.flags, ...snapshot.flags])],
      children: [...own.children, ...snapshot.children.map((child) => mirror.snapshot(child))],
    };
  }

  #startHeartbeat(link: ThreadLink): void {
    if (this.#blockingMs <= 0) return;
    const every = Math.min(1000, this.#blockingMs / 2);
    let lastBeat = this.scheduler.now();
    const beat = (): void => {
      if (!link.alive) return;
      const now = this.scheduler.now();
      // A late beat means the parent's own loop stalled: answers may wait unread. Judge next time.
      const late = now - lastBeat > every * 2;
      lastBeat = now;
      const silentMs = Math.round(now - link.lastSeen);
      if (!late && silentMs > this.#blockingMs && !link.stalled) {
        link.stalled = true;
        const running = this.#running(link);
        this.#blocked(silentMs, running);
        this.logger.warn({ service: this.path, lagMs: silentMs, running }, 'the thread does not answer');
      }
      link.ping();
    };
    const action = scheduleLoop(this.scheduler, every, () => {
      beat();
      return every;
    });
    this.addTeardown(() => action.unsubscribe());
  }

  #running(link: ThreadLink): string[] {
    const mirror = this.#snapshot;
    const inThread = mirror ? activityOf({ ...mirror, path: this.path, children: [] }) : [];
    return [...link.pendingCalls.map((c) => `${this.path}:${c}`), ...inThread];
  }

  #blocked(lagMs: number, running: string[]): void {
    this[emit]({ type: 'blocked', service: this.ref, at: this.scheduler.now(), lagMs, running });
  }

  #receive(link: ThreadLink, message: FromThread): void {
    if (link.stalled) {
      link.stalled = false;
      this.logger.info({ service: this.path }, 'the thread answers again');
    }
    switch (message.type) {
      case 'event':
        this.#mirrorEvent(decodeEvent(message.event));
        return;
      case 'value':
        if (this.#sink) this.#sink.next(message.value as T);
        else this.#buffer.push(message.value as T);
        return;
      case 'snapshot':
        this.#snapshot = message.snapshot;
        return;
      case 'fatal':
        this.#crashFromThread = true;
        this.crash(decodeError(message.error));
        return;
      default:
        return;
    }
  }

  #exited(code: number, error: unknown, expected: boolean): void {
    if (expected) return;
    this.#crashFromThread = true;
    // The service's own errors arrive as crash messages; this is the thread itself failing.
    const what = error === undefined ? `exited with code ${code}` : `failed (${show(error)})`;
    this.crash(new ThreadServiceError(this.ref, `the thread ${what}`, error));
  }

  /** Re-emits an event of the thread under this service's path; the root's state drives this service. */
  #mirrorEvent(event: LifecycleEvent): void {
    const mirror = this.#mirror;
    if (!mirror) return;
    const isRoot = mirror.isRoot(event.service);
    if (isRoot && event.type === 'state') {
      if (event.to === 'crashed' && event.reason?.type === 'crash') {
        this.#crashFromThread = true;
        this.crash(event.reason.error);
      } else if (event.to === 'stopping' && this.state === 'running' && !this.#link?.stopped) {
        this.stop(event.reason ?? { type: 'manual' }).catch(() => {}); // reported by the stop's own events
      }
      return;
    }
    if (isRoot && event.type === 'crash') return; // this service's own crash reports it
    this[emit](mirror.event(event));
  }
}

/** Mode's name for {@link ThreadService}. */
export const BackgroundThreadService = ThreadService;
/** Mode's name for {@link ThreadService}. */
export type BackgroundThreadService<T = unknown, S = unknown> = ThreadService<T, S>;
