/**
 * Durations: milliseconds as a number, or a string such as `'250ms'`, `'1.5s'`, `'2m'`, `'1h'`, `'1d'`.
 * Parsing and human-readable formatting live here.
 */
import { mustBe } from './internal/format.js';

/** A duration: milliseconds as a number, or a string with a unit (`ms`, `s`, `m`, `h`, `d`). */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)\s*$/;

/**
 * Parses a {@link Duration} into milliseconds.
 *
 * @remarks Numbers are taken as milliseconds; they must be finite and not negative.
 * @param value - the duration
 * @param option - the name to report in the error (defaults to `duration`)
 * @throws TypeError naming the option and the value when it is not a valid duration.
 * @example
 * ```ts
 * parseDuration('1.5s'); // 1500
 * parseDuration(250);    // 250
 * ```
 */
export function parseDuration(value: Duration, option = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const match = PATTERN.exec(value);
    if (match) return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  throw mustBe(
    option,
    "a non-negative number of ms or a duration string such as '250ms', '1.5s', '2m'",
    value,
  );
}

const STEPS: readonly [limit: number, size: number, unit: string][] = [
  [60_000, 1000, 'second'],
  [3_600_000, 60_000, 'minute'],
  [86_400_000, 3_600_000, 'hour'],
  [Infinity, 86_400_000, 'day'],
];

/**
 * Formats milliseconds for people: `'250 ms'`, `'1.50 seconds'`, `'1.00 minute'`, `'4.00 days'`.
 *
 * @remarks Two decimals; the unit is the largest that fits; singular when the value prints as 1.00.
 * @throws TypeError when `ms` is not a finite number.
 */
export function humanizeDuration(ms: number): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw mustBe('ms', 'a finite number', ms);
  }
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  for (const [limit, size, unit] of STEPS) {
    if (abs < limit) {
      const text = (ms / size).toFixed(2);
      return `${text} ${text === '1.00' || text === '-1.00' ? unit : `${unit}s`}`;
    }
  }
  /* c8 ignore next */
  return `${ms} ms`;
}
