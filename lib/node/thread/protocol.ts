/**
 * The messages between a ThreadService and its thread, and how errors, stop reasons and events
 * cross the boundary: plain data that the structured clone keeps, with name, message, stack, code,
 * cause and the other fields of an error intact.
 */
import type { LifecycleEvent, StopReason } from '../../events.js';
import type { ServiceSnapshot } from '../../snapshot.js';

/** What the thread gets as `workerData`. */
export interface ThreadData {
  /** File URL of the module to load. */
  readonly module: string;
  /** The export holding the service class, factory or instance. */
  readonly exportName: string;
  /** Arguments of the constructor or factory. */
  readonly args: readonly unknown[];
}

/** An error as plain data. */
export interface WireError {
  readonly wire: 'error';
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** True when it was an rxmode `ServiceError` (so `isServiceError` holds on the other side). */
  readonly serviceError: boolean;
  readonly cause?: unknown;
  readonly errors?: readonly unknown[];
  /** Other own fields that survive the structured clone (`code`, `path`, …). */
  readonly fields: Record<string, unknown>;
}

/** Parent → thread. */
export type ToThread =
  | { type: 'start' }
  | { type: 'stop'; reason: unknown }
  | { type: 'crash'; error: unknown }
  | { type: 'call'; id: number; method: string; args: unknown[] }
  | { type: 'ping'; id: number }
  | { type: 'exit' };

/** Thread → parent. */
export type FromThread =
  | { type: 'ready'; name: string; path: string }
  | { type: 'load-failed'; error: unknown }
  | { type: 'started' }
  | { type: 'start-failed'; error: unknown }
  | { type: 'stopped'; error?: unknown }
  | { type: 'event'; event: unknown }
  | { type: 'value'; value: unknown }
  | { type: 'snapshot'; snapshot: ServiceSnapshot }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: unknown }
  | { type: 'fatal'; error: unknown }
  | { type: 'pong'; id: number };

const SERVICE_ERROR_BRAND = Symbol.for('rxmode.ServiceError');
const SKIPPED_FIELDS = new Set(['name', 'message', 'stack', 'cause', 'errors']);

function isPlainData(value: unknown, depth = 0): boolean {
  if (value === null || value === undefined) return true;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint') return true;
  if (type !== 'object' || depth > 4) return false;
  if (Array.isArray(value)) return value.every((v) => isPlainData(v, depth + 1));
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((v) => isPlainData(v, depth + 1));
}

/**
 * Turns any thrown value into data the structured clone keeps. Errors keep name, message, stack,
 * cause, `errors` and their plain-data own fields; other values pass as they are when they are plain
 * data, else as their `String()`.
 */
export function encodeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 8) return isPlainData(error) ? error : String(error);
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (!SKIPPED_FIELDS.has(key) && isPlainData(value)) fields[key] = value;
  }
  const wire: { -readonly [K in keyof WireError]: WireError[K] } = {
    wire: 'error',
    name: error.name,
    message: error.message,
    stack: error.stack,
    serviceError: (error as unknown as Record<symbol, unknown>)[SERVICE_ERROR_BRAND] === true,
    fields,
  };
  if (error.cause !== undefined) wire.cause = encodeError(error.cause, depth + 1);
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors)) wire.errors = errors.map((e) => encodeError(e, depth + 1));
  return wire;
}

function isWireError(value: unknown): value is WireError {
  return typeof value === 'object' && value !== null && (value as { wire?: unknown }).wire === 'error';
}

/** The standard error classes rebuilt as themselves: an `instanceof` check holds on the parent side. */
const STANDARD_ERRORS: Readonly<Record<string, ErrorConstructor>> = {
  Error,
  RangeError,
  TypeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** A new error of the class `name` names when it is a standard one, else a plain `Error`. */
function errorOf(name: string, message: string, options: ErrorOptions | undefined): Error {
  if (name === 'AggregateError') return new AggregateError([], message, options);
  const Standard = Object.hasOwn(STANDARD_ERRORS, name) ? STANDARD_ERRORS[name] : undefined;
  return Standard ? new Standard(message, options) : new Error(message, options);
}

/**
 * Rebuilds a value made by {@link encodeError}: an error with the same name, message, stack, cause
 * and fields. A standard class (`RangeError`, `TypeError`, `SyntaxError`, `ReferenceError`,
 * `EvalError`, `URIError`, `AggregateError`) comes back as an instance of that class; any other
 * name as an `Error` carrying the name (its class stays in the thread).
 */
export function decodeError(value: unknown): unknown {
  if (!isWireError(value)) return value;
  const options = value.cause === undefined ? undefined : { cause: decodeError(value.cause) };
  const error = errorOf(value.name, value.message, options);
  if (error.name !== value.name) {
    Object.defineProperty(error, 'name', { value: value.name, writable: true, configurable: true });
  }
  if (value.stack !== undefined) error.stack = value.stack;
  Object.assign(error, value.fields);
  if (value.errors) {
    Object.defineProperty(error, 'errors', {
      value: value.errors.map(decodeError),
      writable: true,
      configurable: true,
      enumerable: !(error instanceof AggregateError), // as AggregateError's own `errors` is
    });
  }
  if (value.serviceError) Object.defineProperty(error, SERVICE_ERROR_BRAND, { value: true });
  return error;
}

/** A stop reason with its crash error encoded. */
export function encodeReason(reason: StopReason | undefined): unknown {
  if (reason?.type === 'crash') return { type: 'crash', error: encodeError(reason.error) };
  return reason;
}

/** The reverse of {@link encodeReason}. */
export function decodeReason(value: unknown): StopReason | undefined {
  const reason = value as StopReason | undefined;
  if (reason?.type === 'crash') return { type: 'crash', error: decodeError(reason.error) };
  return reason;
}

/** A lifecycle event as plain data (its errors and reasons encoded). */
export function encodeEvent(event: LifecycleEvent): unknown {
  const out: Record<string, unknown> = { ...event, service: { ...event.service } };
  if ('error' in event && event.error !== undefined) out.error = encodeError(event.error);
  if (event.type === 'state' && event.reason) out.reason = encodeReason(event.reason);
  if (event.type === 'child' || event.type === 'supervisor') out.child = { ...event.child };
  return out;
}

/** The reverse of {@link encodeEvent}. */
export function decodeEvent(value: unknown): LifecycleEvent {
  const event = { ...(value as Record<string, unknown>) };
  if (event.error !== undefined) event.error = decodeError(event.error);
  if (event.type === 'state' && event.reason) event.reason = decodeReason(event.reason);
  return event as unknown as LifecycleEvent;
}
