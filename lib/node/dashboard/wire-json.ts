/**
 * Lifecycle data as JSON for the wire (`/events`, the dashboard): errors become plain objects with
 * their name, message, stack, code, fields and cause; cycles, bigints, functions and symbols are
 * rendered instead of making `JSON.stringify` throw or drop them silently.
 */

/** How deep nested values are followed before they are cut off as `'[…]'`. */
const MAX_DEPTH = 12;

/** An error as it travels in an event: what a reader needs to understand and locate it. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: unknown;
  /** Every other own enumerable field of the error (a ServiceError's `service`, `state`, …). */
  [field: string]: unknown;
}

/**
 * Converts a value into data that `JSON.stringify` renders faithfully.
 *
 * @remarks `Error` instances anywhere inside (an event's `error`, a stop reason's `error`, a
 * `cause`, an `AggregateError`'s `errors`) become {@link WireError} objects; a value seen twice on
 * the same path becomes `'[Circular]'`; bigints become `'<n>n'`; functions and symbols their
 * `String()`; values nested deeper than 12 levels `'[…]'`. Objects with a `toJSON` method are
 * asked for it (a failing one is shown as `'[toJSON failed: …]'`).
 * @example
 * ```ts
 * JSON.stringify(toWire({ type: 'crash', error: new Error('boom') }));
 * // {"type":"crash","error":{"name":"Error","message":"boom","stack":"Error: boom\n    at …"}}
 * ```
 */
export function toWire(value: unknown): unknown {
  return convert(value, new Set(), 0);
}

/** `JSON.stringify(toWire(value))`: one line, never throws. */
export function wireJSON(value: unknown): string {
  return JSON.stringify(toWire(value)) ?? 'null';
}

function convert(value: unknown, path: Set<object>, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'bigint':
      return `${value}n`;
    case 'function':
    case 'symbol':
      return String(value);
  }
  if (value === null) return null;
  const object = value as object;
  if (path.has(object)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[…]';
  path.add(object);
  try {
    if (object instanceof Error) return convertError(object, path, depth);
    if (Array.isArray(object)) return object.map((item) => convert(item, path, depth + 1));
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      try {
        return convert(toJSON.call(object), path, depth + 1);
      } catch (error) {
        return `[toJSON failed: ${error instanceof Error ? error.message : String(error)}]`;
      }
    }
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(object)) out[key] = convert(field, path, depth + 1);
    return out;
  } finally {
    path.delete(object);
  }
}

function convertError(error: Error, path: Set<object>, depth: number): WireError {
  const out: WireError = { name: error.name, message: error.message };
  if (typeof error.stack === 'string') out.stack = error.stack;
  for (const [key, field] of Object.entries(error)) {
    if (key !== 'stack' && key !== 'message' && key !== 'name') out[key] = convert(field, path, depth + 1);
  }
  // `cause` and AggregateError's `errors` are own but not enumerable
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors)) out.errors = convert(errors, path, depth + 1);
  if (error.cause !== undefined) out.cause = convert(error.cause, path, depth + 1);
  return out;
}
