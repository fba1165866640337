/**
 * A service as the start and stop sequences see it: its public face plus the symbol-keyed internal
 * methods the sequences call. Declared structurally so that those modules never import `Service`.
 */
import type { SchedulerLike } from 'rxjs';
import type { StopReason } from '../events.js';
import type { ServiceState } from '../state.js';
import type { Teardown } from '../teardown.js';
import type { HookName } from './hooks.js';
import type { StopRun } from './stop-run.js';
import {
  beforeChildrenStop,
  beginFirstStart,
  callHook,
  concurrency,
  startPhase,
  startWork,
  stopAsChild,
  stopWork,
  takeTeardowns,
} from './symbols.js';

/** What the stop must await of the work, by phase, and how to let drained inputs go afterwards. */
export interface WorkStop {
  readonly waits: readonly { phase: string; pending: PromiseLike<unknown> }[];
  release(): void;
}

/** @internal A service seen by the lifecycle sequences. */
export interface LifecycleHost {
  readonly path: string;
  readonly state: ServiceState;
  readonly scheduler: SchedulerLike;
  readonly crashReason: unknown;
  readonly parent: LifecycleHost | undefined;
  readonly children: readonly LifecycleHost[];
  /** How the children start and stop: one by one, or all at once. */
  readonly [concurrency]: { readonly parallelStart: boolean; readonly parallelStop: boolean };
  start(): Promise<void>;
  [callHook](hook: HookName, arg?: unknown): PromiseLike<unknown> | undefined;
  [beginFirstStart](): boolean;
  [startWork](): void;
  [startPhase]: string | undefined;
  [stopAsChild](reason: StopReason, parentRun: StopRun): Promise<void>;
  [beforeChildrenStop]?(): PromiseLike<unknown> | void;
  [stopWork](): WorkStop | undefined;
  [takeTeardowns](): Teardown[] | undefined;
}
