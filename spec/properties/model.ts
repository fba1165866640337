/**
 * The data of one fuzz scenario: a service tree with hook behaviours and work per node, and the
 * operations applied to it. Plain JSON, so a scenario can be printed, replayed and turned into code.
 */

/** The hooks whose behaviour a scenario chooses. */
export const HOOKS = ['onFirstStart', 'onStart', 'onStarted', 'onStop', 'onShutdown'] as const;
export type HookName = (typeof HOOKS)[number];

/**
 * What a hook does: return at once, resolve after `ms`, throw, reject after `ms`, wait until the
 * service's `signal` aborts, or wait until the scenario releases it (a `release` step or the end).
 */
export type HookSpec =
  | { kind: 'sync' }
  | { kind: 'delay'; ms: number }
  | { kind: 'throw' }
  | { kind: 'rejectLater'; ms: number }
  | { kind: 'hangSignal' }
  | { kind: 'hangRelease' };

/** One piece of work registered in the constructor (so it runs on every start). */
export type WorkSpec =
  | { kind: 'task'; shape: 'promise' | 'observable'; drain: boolean; failAfter?: number; ms: number }
  | { kind: 'timer'; interval: number; body: 'sync' | 'slow' | 'throw'; ms: number };

/**
 * `run()`: an async function, an Observable or an async generator that ticks every `ms`; it fails
 * with an injected error after `failAfter` ms when set, and with `rejectOnAbort` it rejects with
 * `signal.reason` when the signal aborts (the way `signal.throwIfAborted()` code does).
 */
export interface RunSpec {
  shape: 'async' | 'observable' | 'generator';
  ms: number;
  failAfter?: number;
  rejectOnAbort: boolean;
}

/** One service of the tree. */
export interface NodeSpec {
  startConcurrency: 'sequential' | 'parallel';
  stopConcurrency: 'sequential' | 'parallel';
  startTimeout?: number;
  stopTimeout?: number;
  hooks: Partial<Record<HookName, HookSpec>>;
  work: WorkSpec[];
  run?: RunSpec;
}

/**
 * The tree: `nodes[0]` is the root; `parents[i - 1]` is the index of the parent of node `i`, and
 * `after[i - 1]` the indices of the earlier siblings node `i` names in `after` (API.md section 3.6).
 */
export interface TreeSpec {
  nodes: NodeSpec[];
  parents: number[];
  after: number[][];
}

/** The lifecycle calls a step can make on one service. */
export type CallName = 'start' | 'stop' | 'restart' | 'maybeStart';

/**
 * One step. `target` indexes the services created so far (tree nodes, then runtime additions in
 * order), modulo their count; `after` of `addRuntime` picks among the target's children at that moment
 * (modulo their count, duplicates dropped). After issuing its calls a step waits up to `wait` ms for them to
 * settle; what has not settled stays in flight.
 */
export type Op =
  | { op: 'call'; call: CallName; target: number; wait: number }
  | { op: 'crash'; target: number; wait: number }
  | { op: 'addRuntime'; target: number; node: NodeSpec; after: number[]; wait: number }
  | { op: 'remove'; target: number; child: number; wait: number }
  | { op: 'startStop'; target: number; wait: number }
  | { op: 'stopDuringStart'; target: number; after: number; wait: number }
  | { op: 'release'; wait: number }
  | { op: 'sleep'; wait: number };

/** A whole scenario. */
export interface Scenario {
  tree: TreeSpec;
  ops: Op[];
}

/** Time mode of a run. */
export type Mode = 'virtual' | 'real';

/** One broken invariant. */
export interface Violation {
  /** Short name of the invariant. */
  invariant: string;
  /** What was seen. */
  detail: string;
  /** Index of the step after which it was seen (`ops.length` for the final checks). */
  step: number;
}
