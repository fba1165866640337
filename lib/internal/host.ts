/**
 * A service as the start and stop sequences see it: its public face plus the symbol-keyed internal
 * methods the sequences call. Declared structurally so that those modules never import `Service`.
 */
import type { SchedulerLike } from 'rxjs';
import type { LifecycleEvent, ServiceRef, StopReason } from '../events.js';
import type { Logger } from '../logger.js';
import type { ServiceState } from '../state.js';
import type { Teardown } from '../teardown.js';
import type { HookName } from './hooks.js';
import type { StopRun } from './stop-run.js';
import type * as $ from './symbols.js';

/** What the stop must await of the work, by phase, and how to let drained inputs go afterwards. */
export interface WorkStop {
  readonly waits: readonly { phase: string; pending: PromiseLike<unknown> }[];
  release(): void;
}

/** How a service's children start and stop, and its stop budget. */
export interface LifecycleSettings {
  readonly parallelStart: boolean;
  readonly parallelStop: boolean;
  readonly stopTimeoutMs: number;
}

/** @internal A service seen by the lifecycle sequences. */
export interface LifecycleHost {
  readonly path: string;
  readonly ref: ServiceRef;
  readonly state: ServiceState;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  readonly crashReason: unknown;
  readonly parent: LifecycleHost | undefined;
  readonly children: readonly LifecycleHost[];
  readonly [$.settings]: LifecycleSettings;
  readonly [$.startRun]: { readonly phase: string } | undefined;
  /** The siblings it needs running first (`after`). */
  readonly [$.prerequisites]: readonly LifecycleHost[];
  start(): Promise<void>;
  stop(): Promise<void>;
  crash(error: unknown): void;
  [$.callHook](hook: HookName, arg?: unknown): PromiseLike<unknown> | undefined;
  [$.beginFirstStart](): boolean;
  [$.startWork](): void;
  [$.enterRunning](): void;
  [$.onStopBegin](waiter: () => void): () => void;
  [$.stopAsChild](reason: StopReason, parentRun: StopRun): Promise<void>;
  [$.beforeChildrenStop]?(): PromiseLike<unknown> | void;
  [$.holdsChildren]?(): boolean;
  [$.stopWork](): WorkStop | undefined;
  readonly [$.stopRun]: StopRun | undefined;
  readonly [$.work]: { takeTeardowns(): Teardown[] | undefined } | undefined;
  [$.finishStop](run: StopRun): void;
  [$.isObserved](): boolean;
  [$.emit](event: LifecycleEvent): void;
}
