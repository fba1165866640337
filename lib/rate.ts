/**
 * Rates: events per second as a number, or a string such as `'100/s'`, `'10/m'`, `'5/h'`.
 * Parsing them into events per second lives here.
 */
import { show } from './internal/format.js';

/** A rate: a count per second (`s`), minute (`m`) or hour (`h`), such as `'100/s'` or `'5/h'`. */
export type Rate = `${number}/${'s' | 'm' | 'h'}`;

const PER_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600 };
const PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*\/\s*(s|m|h)\s*$/;

/**
 * Parses a {@link Rate} into events per second.
 *
 * @remarks Numbers are taken as events per second. Every rate must be finite and greater than 0
 * (a rate of 0 would never let anything through).
 * @param rate - the rate
 * @param option - the name to report in the error (default `'rate'`)
 * @throws TypeError naming the option and the value when it is not a valid rate.
 * @example
 * ```ts
 * parseRate('100/s'); // 100
 * parseRate('10/m');  // 0.1666…
 * parseRate(2.5);     // 2.5
 * ```
 */
export function parseRate(rate: Rate | number, option = 'rate'): number {
  let perSecond = NaN;
  if (typeof rate === 'number') {
    perSecond = rate;
  } else if (typeof rate === 'string') {
    const match = PATTERN.exec(rate);
    if (match) perSecond = Number(match[1]) / (PER_SECONDS[match[2] as string] as number);
  }
  if (Number.isFinite(perSecond) && perSecond > 0) return perSecond;
  throw new TypeError(
    `${option} must be a positive number per second or a rate string such as '100/s', '10/m', '5/h'; received ${show(rate)}`,
  );
}
