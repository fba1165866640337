/**
 * Lifecycle marbles: a service's state transitions written as a short string over virtual time,
 * such as `(sr) 1s x 50ms |`, so a test can assert a whole lifecycle, timing included, in one line.
 */
import type { LifecycleEvent } from '../events.js';
import { show } from '../internal/format.js';
import type { ServiceState } from '../state.js';

/**
 * The mark each state gets in lifecycle marbles.
 *
 * @remarks `|` and `#` echo rxjs marbles (complete, error); unlike rxjs, a service may start again
 * after either.
 * @example
 * ```ts
 * STATE_MARKS.crashed; // '#'
 * ```
 */
export const STATE_MARKS: Readonly<Record<ServiceState, string>> = Object.freeze({
  init: 'i',
  starting: 's',
  running: 'r',
  stopping: 'x',
  stopped: '|',
  crashed: '#',
});

/** Options of {@link lifecycleMarbles}. */
export interface LifecycleMarblesOptions {
  /**
   * Whose transitions to draw.
   *
   * @defaultValue the path of the first `state` event
   */
  path?: string;
  /**
   * The time the diagram starts at (ms); a first transition later than this opens with a gap.
   *
   * @defaultValue the time of the first transition drawn
   */
  origin?: number;
}

/** Writes a gap with the largest unit that divides it: `1h`, `2m`, `1s`, `250ms`. */
function gap(ms: number): string {
  for (const [size, unit] of [
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * Draws the state transitions of one service, taken from `state` events, as lifecycle marbles.
 *
 * @remarks
 * Each transition is written as the mark of the state entered (see {@link STATE_MARKS}).
 * Transitions at the same virtual time are grouped in parentheses, and the time between two groups
 * is written as a gap such as `50ms`, `1s` or `2m` (the largest unit that divides it exactly).
 * Tokens are separated by one space. Unlike rxjs marbles, marks take no time: `(sr) 1s x` means
 * starting and running at 0, stopping at 1000.
 * @throws TypeError when `events` is not an array or an option is malformed.
 * @example
 * ```ts
 * const events: LifecycleEvent[] = [];
 * service.events$.subscribe((e) => events.push(e));
 * // … start, advance 1 s, stop (onShutdown takes 50 ms) …
 * lifecycleMarbles(events, { path: 'app' }); // '(sr) 1s x 50ms |'
 * ```
 */
export function lifecycleMarbles(
  events: readonly LifecycleEvent[],
  options: LifecycleMarblesOptions = {},
): string {
  if (!Array.isArray(events)) throw new TypeError(`events must be an array; received ${show(events)}`);
  if (options.path !== undefined && typeof options.path !== 'string') {
    throw new TypeError(`path must be a string; received ${show(options.path)}`);
  }
  if (
    options.origin !== undefined &&
    (typeof options.origin !== 'number' || !Number.isFinite(options.origin))
  ) {
    throw new TypeError(`origin must be a finite number; received ${show(options.origin)}`);
  }
  const states = events.filter((e): e is Extract<LifecycleEvent, { type: 'state' }> => e.type === 'state');
  const path = options.path ?? states[0]?.service.path;
  const groups: { at: number; marks: string }[] = [];
  for (const event of states) {
    if (event.service.path !== path) continue;
    const last = groups[groups.length - 1];
    if (last && last.at === event.at) last.marks += STATE_MARKS[event.to];
    else groups.push({ at: event.at, marks: STATE_MARKS[event.to] });
  }
  const tokens: string[] = [];
  let cursor = options.origin ?? groups[0]?.at ?? 0;
  for (const { at, marks } of groups) {
    if (at > cursor) tokens.push(gap(at - cursor));
    tokens.push(marks.length > 1 ? `(${marks})` : marks);
    cursor = at;
  }
  return tokens.join(' ');
}
