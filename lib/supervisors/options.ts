/**
 * Options of every supervisor: the restart intensity (`maxRestarts` within `over`), the backoff
 * between restarts, the restart type of the children and the replacement factory. They are
 * validated when the supervisor is built; each bad value throws a TypeError naming it.
 */
import { parseDuration, type Duration } from '../duration.js';
import { show } from '../internal/format.js';
import type { ServiceRef } from '../events.js';
import { checkOptionKeys, OPTION_KEYS, type ServiceOptions } from '../options.js';
import type { Service } from '../service.js';

/**
 * When a supervisor restarts a child (OTP's restart types).
 *
 * @remarks
 * - `permanent`: after a crash, and after the child stopped on its own (a stop whose reason is not
 *   `parent`, `supervisor` or `restart`, such as a manual `child.stop()` or a `run()` that ended);
 * - `transient`: only after a crash;
 * - `temporary`: never; a crash is a `forfeit` decision and the child stays `crashed`.
 *
 * The type applies to every child of the supervisor; Forfeit and Crashing supervisors never restart.
 * @example
 * ```ts
 * new OneForOneSupervisor({ restart: 'transient' }); // jobs that may finish: restart only on a crash
 * ```
 */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/**
 * Exponential backoff between the restarts of one child.
 *
 * @remarks The delay before attempt n (n = 1, 2, …) is `min(max, initial × factor^(n-1))`, moved by
 * up to `jitter × delay` either way at random, rounded to whole ms. n starts again at 1 once the
 * child has run `resetAfter` without crashing.
 * @example
 * ```ts
 * new OneForOneSupervisor({ backoff: { initial: '100ms', max: '10s', jitter: 0.2 } });
 * // delays ≈ 100 ms, 200 ms, 400 ms, … up to 10 s, each ± 20 %
 * ```
 */
export interface BackoffOptions {
  /** Delay before the first restart. */
  initial: Duration;
  /** Upper bound of the delay before jitter. */
  max: Duration;
  /** Growth per attempt, at least 1. @defaultValue 2 */
  factor?: number;
  /** Random spread as a fraction of the delay, from 0 to 1. @defaultValue 0 */
  jitter?: number;
  /** Running this long without crashing starts the sequence again at attempt 1. @defaultValue `max` */
  resetAfter?: Duration;
}

/**
 * What to put in a crashed child's slot instead of restarting the same instance.
 *
 * @remarks Called for the child whose failure caused the restart (in a group restart the others are
 * restarted as they are). A factory that throws, or returns something that is not a Service,
 * counts as another crash of that child. The replacement continues the crashed child's backoff.
 * @param crashed - the child that crashed (torn down; it is detached once the new one is chosen)
 * @param index - its position among the supervisor's children
 * @example
 * ```ts
 * new OneForOneSupervisor({ replacement: (crashed) => new Connection({ name: crashed.name }) });
 * ```
 */
export type ReplacementFactory = (
  crashed: Service<any>,
  index: number,
) => Service<any> | Promise<Service<any>>;

/**
 * Options of every supervisor: the options of a Service plus the supervision policy.
 *
 * @remarks Validated in the constructor; every bad value throws a TypeError naming the option.
 * @example
 * ```ts
 * new RestForOneSupervisor({ name: 'db', maxRestarts: 3, over: '1m', restart: 'permanent' });
 * ```
 */
export interface SupervisorOptions extends ServiceOptions {
  /** Restarts allowed within `over`; the next one crashes the supervisor. @defaultValue 100 */
  maxRestarts?: number;
  /** The sliding window of the restart intensity (half-open). @defaultValue '1s' */
  over?: Duration;
  /** Delay restarts exponentially. @defaultValue none: restart at once */
  backoff?: BackoffOptions;
  /** Builds a new instance for a crashed child's slot. @defaultValue none: restart the same instance */
  replacement?: ReplacementFactory;
  /** When children are restarted. @defaultValue 'permanent' */
  restart?: RestartType;
}

/**
 * One supervisor decision, as pushed on `decisions$` and sent as a `supervisor` event.
 *
 * @example
 * ```ts
 * { child: { id: '7', name: 'Consumer', path: 'app/sup/Consumer' }, decision: 'restart', attempt: 2, delayMs: 200 }
 * ```
 */
export interface SupervisorDecision {
  /** The child whose crash (or stop) was decided on. */
  readonly child: ServiceRef;
  /** `restart`, `forfeit` (left crashed) or `escalate` (the supervisor crashes). */
  readonly decision: 'restart' | 'forfeit' | 'escalate';
  /** For `restart`: the backoff attempt n; otherwise the failures within the current window. */
  readonly attempt: number;
  /** The delay before the restart; 0 for `forfeit` and `escalate`. */
  readonly delayMs: number;
}

/** @internal Backoff after validation. */
export interface ResolvedBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: number;
  readonly resetAfterMs: number;
}

/** @internal Supervisor options after validation. */
export interface ResolvedSupervisorOptions {
  readonly maxRestarts: number;
  readonly overMs: number;
  readonly backoff: ResolvedBackoff | undefined;
  readonly replacement: ReplacementFactory | undefined;
  readonly restart: RestartType;
  /** When the attempt count starts again: `backoff.resetAfter`, else `over`. */
  readonly resetAfterMs: number;
}

const RESTART_TYPES: readonly string[] = ['permanent', 'transient', 'temporary'];

/** Every option a supervisor takes: a Service's and its own. */
const SUPERVISOR_KEYS: ReadonlySet<string> = new Set([
  ...OPTION_KEYS,
  'maxRestarts',
  'over',
  'backoff',
  'replacement',
  'restart',
]);

/**
 * @internal Validates the supervision part of the options, then the option names (a likely
 * misspelling of a known one throws).
 * @throws TypeError naming the first invalid option and the value received.
 */
export function resolveSupervisorOptions(options: unknown): ResolvedSupervisorOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object; received ${show(options)}`);
  }
  const o = options as SupervisorOptions;
  const maxRestarts = o.maxRestarts ?? 100;
  if (
    typeof maxRestarts !== 'number' ||
    !(Number.isInteger(maxRestarts) || maxRestarts === Infinity) ||
    maxRestarts < 0
  ) {
    throw new TypeError(
      `maxRestarts must be a non-negative integer or Infinity; received ${show(maxRestarts)}`,
    );
  }
  const overMs = parseDuration(o.over ?? '1s', 'over');
  if (overMs <= 0) throw new TypeError(`over must be a positive duration; received ${show(o.over)}`);
  if (o.replacement !== undefined && typeof o.replacement !== 'function') {
    throw new TypeError(`replacement must be a function; received ${show(o.replacement)}`);
  }
  const restart = o.restart ?? 'permanent';
  if (!RESTART_TYPES.includes(restart)) {
    throw new TypeError(`restart must be 'permanent', 'transient' or 'temporary'; received ${show(restart)}`);
  }
  const backoff = o.backoff === undefined ? undefined : resolveBackoff(o.backoff);
  checkOptionKeys(o, SUPERVISOR_KEYS, false);
  return {
    maxRestarts,
    overMs,
    backoff,
    replacement: o.replacement,
    restart,
    resetAfterMs: backoff ? backoff.resetAfterMs : overMs,
  };
}

/**
 * @internal Validates a {@link BackoffOptions} (`name` is the option's name in errors).
 * @throws TypeError naming the first invalid field and the value received.
 */
export function resolveBackoff(backoff: unknown, name = 'backoff'): ResolvedBackoff {
  if (typeof backoff !== 'object' || backoff === null) {
    throw new TypeError(
      `${name} must be an object such as { initial: '100ms', max: '10s' }; received ${show(backoff)}`,
    );
  }
  const b = backoff as BackoffOptions;
  if (b.initial === undefined)
    throw new TypeError(`${name}.initial is required; received ${show(b.initial)}`);
  if (b.max === undefined) throw new TypeError(`${name}.max is required; received ${show(b.max)}`);
  const initialMs = parseDuration(b.initial, `${name}.initial`);
  const maxMs = parseDuration(b.max, `${name}.max`);
  if (maxMs < initialMs) {
    throw new TypeError(
      `${name}.max must not be less than ${name}.initial (${initialMs} ms); received ${show(b.max)}`,
    );
  }
  const factor = b.factor ?? 2;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1) {
    throw new TypeError(`${name}.factor must be a finite number of at least 1; received ${show(factor)}`);
  }
  const jitter = b.jitter ?? 0;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new TypeError(`${name}.jitter must be a number from 0 to 1; received ${show(jitter)}`);
  }
  const resetAfterMs = b.resetAfter === undefined ? maxMs : parseDuration(b.resetAfter, `${name}.resetAfter`);
  return { initialMs, maxMs, factor, jitter, resetAfterMs };
}
