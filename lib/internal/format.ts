/**
 * How a value reads inside a message: the value an option received in a `TypeError`, the reason a
 * service crashed, what a hook threw. One formatter for all of them, so every message renders a
 * value the same way.
 */

const tagOf = (value: object): string => Object.prototype.toString.call(value);

/**
 * Renders any value in one line for an error or log message; never throws.
 *
 * @remarks
 * - strings are quoted: `"5 sec"`; numbers, booleans, `null` and `undefined` as `String()` does;
 *   bigints with their suffix: `10n`; symbols as `Symbol(description)`;
 * - functions by name: `function onStart` (`function (anonymous)` without one);
 * - errors (anything `instanceof Error`) as `Name: message`;
 * - other objects as their JSON (`{"stopTimeout":-1}`, `[1,2]`), or by their tag (`[object Map]`)
 *   when JSON says nothing more than `{}` about a non-plain object or cannot render it (a cycle).
 * @example
 * ```ts
 * show('5 sec'); // '"5 sec"'
 * show(new TypeError('boom')); // 'TypeError: boom'
 * show({ weak: 'yes' }); // '{"weak":"yes"}'
 * ```
 */
export function show(value: unknown): string {
  try {
    if (typeof value === 'string') return JSON.stringify(value);
    if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
    if (typeof value === 'bigint') return `${value}n`;
    // numbers, booleans, null, undefined, and symbols (`String()` renders them as `Symbol(description)`)
    if (typeof value !== 'object' || value === null) return String(value);
    if (value instanceof Error) return `${value.name}: ${value.message}`;
    const tag = tagOf(value);
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      return tag;
    }
    return json === undefined || (json === '{}' && tag !== '[object Object]') ? tag : json;
  } catch {
    return typeof value;
  }
}

/**
 * The TypeError of a bad option or argument, worded the same everywhere:
 * `<option> must be <expected>; received <value><detail>`.
 *
 * @example
 * ```ts
 * throw mustBe('essential', 'a boolean', 'no'); // essential must be a boolean; received "no"
 * ```
 */
export const mustBe = (option: string, expected: string, value: unknown, detail = ''): TypeError =>
  new TypeError(`${option} must be ${expected}; received ${show(value)}${detail}`);
