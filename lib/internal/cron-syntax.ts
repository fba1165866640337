/**
 * A structural check of cron expressions, so `addCron` rejects a malformed one synchronously before
 * croner (loaded on first use) is there: field count, values, ranges, steps and the L, W, # and ?
 * forms croner accepts. It never computes a schedule; it is kept small, as it ships with `Service`.
 */

/** A field: its name, its smallest and largest value, and its names (index = value) if any. */
type Field = readonly [name: string, min: number, max: number, names?: readonly string[]];

const MONTHS = 'JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC'.split(' ');
const DAYS = 'SUN MON TUE WED THU FRI SAT'.split(' ');
const DAY_OF_MONTH: Field = ['day of month', 1, 31];
const DAY_OF_WEEK: Field = ['day of week', 0, 7, DAYS];
const FIVE: Field[] = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  DAY_OF_MONTH,
  ['month', 1, 12, MONTHS],
  DAY_OF_WEEK,
];
const SECOND: Field = ['second', 0, 59];
const LAYOUTS: Record<number, readonly Field[]> = {
  5: FIVE,
  6: [SECOND, ...FIVE],
  7: [SECOND, ...FIVE, ['year', 1, 9999]],
};
const NICKNAME = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/i;

/**
 * Returns why `expression` is not a cron expression croner accepts, or `undefined` when it is well
 * formed: 5 fields (minute first), 6 (second first) or 7 (a year last), or a nickname such as `@daily`.
 */
export function cronSyntaxError(expression: string): string | undefined {
  const trimmed = expression.trim();
  if (trimmed.startsWith('@')) return NICKNAME.test(trimmed) ? undefined : 'an unknown nickname';
  const parts = trimmed.split(/\s+/);
  const layout = LAYOUTS[parts.length];
  if (!layout) return `${parts.length} fields; 5, 6 or 7 are expected`;
  for (let i = 0; i < parts.length; i++) {
    const items = parts[i]!.split(',');
    for (const item of items) {
      if (!isItem(item, layout[i]!, items.length))
        return `${layout[i]![0]} ${JSON.stringify(item)} is invalid`;
    }
  }
  return undefined;
}

/** True when `item` (one entry of a comma-separated field) is valid in `field`. */
function isItem(item: string, field: Field, count: number): boolean {
  const [, min, max, names] = field;
  /** The value `text` stands for (Sunday is 7 at the end of a range), or NaN. */
  const value = (text: string, isEnd = false): number => {
    const named = names ? names.indexOf(text.toUpperCase()) : -1;
    if (named >= 0) return names === MONTHS ? named + 1 : isEnd && named === 0 ? 7 : named;
    return /^\d+$/.test(text) && +text >= min && +text <= max ? +text : NaN;
  };
  if (field === DAY_OF_MONTH) {
    if (item === 'L' || (item === 'LW' && count === 1)) return true;
    if (/^\d+W$/.test(item)) return value(item.slice(0, -1)) >= 0;
  }
  const last = field === DAY_OF_WEEK && /^(\w+)(#[1-5L]|L)$/.exec(item);
  if (last) return value(last[1]!) >= 0;
  const [base = '', step, extra] = item.split('/');
  if (extra !== undefined) return false;
  if (step !== undefined) {
    const n = /^\d+$/.test(step) ? +step : 0;
    if (n < 1 || n > (field === DAY_OF_WEEK ? 7 : max - min + 1) || (base !== '*' && !base.includes('-')))
      return false;
  }
  if (base === '*' || (base === '?' && step === undefined)) return true;
  const [from = '', to, more] = base.split('-');
  if (more !== undefined) return false;
  return to === undefined ? value(from) >= 0 : value(from) <= value(to, true);
}
