/**
 * The supervision policy as data: given a strategy, the restart type, the intensity window, the
 * backoff state of a child and what happened to it, what the supervisor does. Pure functions, no
 * services, no scheduler, no rxjs; randomness (for jitter) comes in as an argument.
 */
import type { StopReason } from '../events.js';
import { backoffDelay, nextAttempt, type Random } from './backoff.js';
import { countWithin } from './intensity.js';
import type { ResolvedBackoff, RestartType } from './options.js';

/** @internal How a strategy answers a failure, and which children a restart takes along. */
export interface Strategy {
  readonly decision: 'restart' | 'forfeit' | 'escalate';
  /** `one`: the failed child; `all`: every child; `rest`: the failed child and those after it. */
  readonly scope: 'one' | 'all' | 'rest';
}

/** @internal A strategy with the resolved options that bear on decisions: one record per supervisor. */
export interface Policy extends Strategy {
  readonly restart: RestartType;
  readonly maxRestarts: number;
  readonly overMs: number;
  readonly backoff: ResolvedBackoff | undefined;
  /** Running this long starts the attempt count again at 1. */
  readonly resetAfterMs: number;
}

/**
 * @internal What happened to the child: a crash (`duringStart`: it failed its first start while the
 * supervisor itself was starting), or a stop it finished with a reason of this type.
 */
export type Failure =
  | { readonly kind: 'crash'; readonly duringStart: boolean }
  | { readonly kind: 'stop'; readonly reason: StopReason['type'] };

/** @internal What the supervisor knows when the failure reaches it. */
export interface Situation {
  /** Scheduler time of the failure. */
  readonly now: number;
  /** Times of the restarts decided in this run, oldest first (the intensity window). */
  readonly restarts: readonly number[];
  /** Times of the earlier failures answered in this run, oldest first. */
  readonly failures: readonly number[];
  /** The child's attempt count so far (0: none). */
  readonly attempt: number;
  /** When the child last became `running`, unless a restart was decided since. */
  readonly runningSince: number | undefined;
  /** The restart, decided and not yet in its start phase, that this failure joins. */
  readonly pending: { readonly attempt: number; readonly delayMs: number } | undefined;
}

/**
 * @internal The answer to a failure. The caller records every answer but `ignore` in the failures
 * window, and a `restart` that does not join a pending one in the restarts window and as the
 * child's attempt.
 */
export type Decision =
  | { readonly decision: 'ignore' }
  | {
      readonly decision: 'restart';
      /** Which children the restart takes along (see `restartCompanions`). */
      readonly scope: Strategy['scope'];
      readonly attempt: number;
      readonly delayMs: number;
      /** True when the failure joins the pending restart (no new restart is counted). */
      readonly joins: boolean;
    }
  | {
      readonly decision: 'forfeit';
      /** The failures within the window, this one included. */
      readonly attempt: number;
      readonly delayMs: 0;
      /** ForfeitOneForAll: stop every other child. */
      readonly stopOthers: boolean;
    }
  | {
      readonly decision: 'escalate';
      /** The failures within the window, this one included. */
      readonly attempt: number;
      readonly delayMs: 0;
      /** Set when the restart budget is spent (`MaxRestartsExceededError`); else the child's error goes up. */
      readonly exceeded: { readonly restarts: number; readonly windowMs: number } | undefined;
    };

const IGNORE: Decision = { decision: 'ignore' };
/** Stops a supervisor asked for, or that came from above: never a failure. */
const REQUESTED_STOPS: readonly string[] = ['parent', 'supervisor', 'restart'];

/**
 * @internal Decides what a supervisor does about the failure of one child.
 *
 * @remarks
 * - A stop answers only under a restart strategy with `permanent` children, and only when its reason
 *   is not `parent`, `supervisor` or `restart`; otherwise: `ignore`.
 * - A crash under `escalate`, or a failed start during the supervisor's own start: `escalate`.
 * - A `forfeit` strategy, or `temporary` children: `forfeit` (siblings stop only under ForfeitOneForAll
 *   and not for `temporary` children).
 * - A failure joining a pending restart takes its attempt and delay and counts no new restart.
 * - `maxRestarts` restarts within the half-open window `(now - over, now]`: `escalate` with
 *   `exceeded`. Otherwise `restart`, attempt n (1 again after `resetAfter` of running) after
 *   `min(max, initial × factor^(n-1))` ± `jitter` × delay.
 * @param random - a draw in [0, 1) or a source of draws, used only when the backoff has jitter
 * @example
 * ```ts
 * decide(policy, { kind: 'crash', duringStart: false }, situation, Math.random);
 * ```
 */
export function decide(policy: Policy, failure: Failure, situation: Situation, random: Random): Decision {
  if (
    failure.kind === 'stop' &&
    (REQUESTED_STOPS.includes(failure.reason) ||
      policy.decision !== 'restart' ||
      policy.restart !== 'permanent')
  ) {
    return IGNORE;
  }
  const { now } = situation;
  const failures = countWithin(situation.failures, now, policy.overMs) + 1;
  if (failure.kind === 'crash' && (policy.decision === 'escalate' || failure.duringStart)) {
    return { decision: 'escalate', attempt: failures, delayMs: 0, exceeded: undefined };
  }
  const temporary = policy.restart === 'temporary';
  if (policy.decision === 'forfeit' || temporary) {
    const stopOthers = policy.decision === 'forfeit' && policy.scope === 'all' && !temporary;
    return { decision: 'forfeit', attempt: failures, delayMs: 0, stopOthers };
  }
  const { pending } = situation;
  const { scope } = policy;
  if (pending) {
    return { decision: 'restart', scope, attempt: pending.attempt, delayMs: pending.delayMs, joins: true };
  }
  const restarts = countWithin(situation.restarts, now, policy.overMs);
  if (restarts >= policy.maxRestarts) {
    const exceeded = { restarts, windowMs: policy.overMs };
    return { decision: 'escalate', attempt: failures, delayMs: 0, exceeded };
  }
  const attempt = nextAttempt(situation.attempt, situation.runningSince, now, policy.resetAfterMs);
  const delayMs = backoffDelay(policy.backoff, attempt, random);
  return { decision: 'restart', scope, attempt, delayMs, joins: false };
}

/**
 * @internal The other children a restart of `failed` stops and starts again, in children order:
 * none for `one`, every other child for `all`, those after the first failed one for `rest`.
 */
export function restartCompanions<T>(
  scope: Strategy['scope'],
  children: readonly T[],
  failed: ReadonlySet<T>,
): T[] {
  if (scope === 'one') return [];
  let first = 0;
  if (scope === 'rest') {
    first = Infinity;
    for (const child of failed) {
      const index = children.indexOf(child);
      if (index >= 0 && index < first) first = index;
    }
  }
  return children.slice(first).filter((child) => !failed.has(child));
}
