/**
 * The error catalogue of rxmode: one base class with a stable `code`, structured fields and
 * `cause`, and a brand check that works across duplicate copies of the library.
 */
import type { ServiceRef, StuckPhase } from './events.js';
import { show } from './internal/format.js';
import type { ServiceState } from './state.js';

const BRAND = Symbol.for('rxmode.ServiceError');

/**
 * The stable code of every error rxmode raises, one per class.
 *
 * @remarks `ERR_STOP_FAILED`: {@link ServiceStopError}; `ERR_START_TIMEOUT`: {@link StartTimeoutError};
 * `ERR_STOP_TIMEOUT`: {@link StopTimeoutError}; `ERR_CRASHED`: {@link ServiceCrashedError};
 * `ERR_WAIT_TIMEOUT`: {@link WaitTimeoutError}; `ERR_MAX_RESTARTS`: {@link MaxRestartsExceededError};
 * `ERR_INVALID_RUN`: {@link InvalidRunError}; `ERR_INVALID_STATE`: {@link InvalidStateError};
 * `ERR_THREAD`: {@link ThreadServiceError}.
 * @example
 * ```ts
 * function isTimeout(code: ServiceErrorCode): boolean {
 *   return code === 'ERR_START_TIMEOUT' || code === 'ERR_STOP_TIMEOUT' || code === 'ERR_WAIT_TIMEOUT';
 * }
 * ```
 */
export type ServiceErrorCode =
  | 'ERR_STOP_FAILED'
  | 'ERR_START_TIMEOUT'
  | 'ERR_STOP_TIMEOUT'
  | 'ERR_CRASHED'
  | 'ERR_WAIT_TIMEOUT'
  | 'ERR_MAX_RESTARTS'
  | 'ERR_INVALID_RUN'
  | 'ERR_INVALID_STATE'
  | 'ERR_THREAD';

/**
 * Base class of every error rxmode raises.
 *
 * @remarks Use {@link isServiceError} rather than `instanceof` when two copies of rxmode may be loaded.
 */
export class ServiceError extends Error {
  // Fields are `declare`d and assigned in the constructor: the same own properties as class fields,
  // without a second definition of each in the bundle.
  /** A stable machine-readable code such as `ERR_STOP_TIMEOUT`. */
  declare readonly code: ServiceErrorCode;
  /** The service the error is about. */
  declare readonly service: ServiceRef | undefined;

  constructor(code: ServiceErrorCode, message: string, service?: ServiceRef, options?: { cause?: unknown }) {
    // Error installs `cause` only when `options` has one, as it did when the options were copied
    super(message, options);
    this.code = code;
    this.service = service;
    Object.defineProperty(this, BRAND, { value: true });
  }

  override get name(): string {
    return 'ServiceError';
  }
}

/**
 * True for any error raised by rxmode, from this copy of the library or another.
 *
 * @example
 * ```ts
 * try { await svc.stop(); } catch (err) { if (isServiceError(err)) console.log(err.code); }
 * ```
 */
export function isServiceError(value: unknown): value is ServiceError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** One or more stop steps failed; `errors` lists every failure (like an `AggregateError`). */
export class ServiceStopError extends ServiceError {
  declare readonly errors: readonly unknown[];
  constructor(service: ServiceRef, errors: readonly unknown[]) {
    super(
      'ERR_STOP_FAILED',
      `${service.path}: ${errors.length} error(s) while stopping: ${errors.map(show).join('; ')}`,
      service,
      {
        cause: errors[0],
      },
    );
    this.errors = errors;
  }
  override get name(): string {
    return 'ServiceStopError';
  }
}

/**
 * The start did not finish within its timeout. `phase` is the step it was in; `stuck` names the
 * service whose step was still pending (itself, or the descendant its `children` step waited on).
 */
export class StartTimeoutError extends ServiceError {
  declare phase: string;
  declare readonly timeoutMs: number;
  /** The service that was stuck and its step: `{ path, phase }` (the same as `service` and `phase` when it was its own step). */
  declare stuck: { readonly path: string; readonly phase: string };
  constructor(service: ServiceRef, phase: string, timeoutMs: number) {
    super('ERR_START_TIMEOUT', `${service.path}: start timed out after ${timeoutMs} ms in ${phase}`, service);
    this.phase = phase;
    this.timeoutMs = timeoutMs;
    this.stuck = { path: service.path, phase };
  }
  override get name(): string {
    return 'StartTimeoutError';
  }
  /** @internal Names the phase and the stuck service once the timeout fires (the error is created when the wait starts). */
  setPhase(
    phase: string,
    stuck: { readonly path: string; readonly phase: string } = { path: this.service?.path ?? '?', phase },
  ): void {
    this.phase = phase;
    this.stuck = stuck;
    const where =
      stuck.phase === phase && stuck.path === this.service?.path
        ? ''
        : ` (stuck: ${stuck.path} in ${stuck.phase})`;
    this.message = `${this.service?.path ?? '?'}: start timed out after ${this.timeoutMs} ms in ${phase}${where}`;
  }
}

/** The stop budget ran out; `stuck` names every part that was still pending. */
export class StopTimeoutError extends ServiceError {
  declare readonly stuck: readonly StuckPhase[];
  declare readonly errors: readonly unknown[];
  constructor(service: ServiceRef, stuck: readonly StuckPhase[], errors: readonly unknown[] = []) {
    const list = stuck.map((s) => `${s.path} ${s.phase} (${Math.round(s.elapsedMs)} ms)`).join(', ');
    super('ERR_STOP_TIMEOUT', `${service.path}: stop timed out; stuck: ${list || 'nothing named'}`, service);
    this.stuck = stuck;
    this.errors = errors;
  }
  override get name(): string {
    return 'StopTimeoutError';
  }
}

/** The service crashed while something was waiting on it; `cause` is the crash reason. */
export class ServiceCrashedError extends ServiceError {
  constructor(service: ServiceRef, cause: unknown) {
    super('ERR_CRASHED', `${service.path} crashed: ${show(cause)}`, service, { cause });
  }
  override get name(): string {
    return 'ServiceCrashedError';
  }
}

/** `waitFor()` did not see the state within its timeout. */
export class WaitTimeoutError extends ServiceError {
  declare readonly state: ServiceState;
  declare readonly timeoutMs: number;
  constructor(service: ServiceRef, state: ServiceState, timeoutMs: number) {
    super('ERR_WAIT_TIMEOUT', `${service.path}: not ${state} within ${timeoutMs} ms`, service);
    this.state = state;
    this.timeoutMs = timeoutMs;
  }
  override get name(): string {
    return 'WaitTimeoutError';
  }
}

/** A supervisor restarted more than `maxRestarts` times within its window and gave up. */
export class MaxRestartsExceededError extends ServiceError {
  declare readonly restarts: number;
  declare readonly windowMs: number;
  constructor(service: ServiceRef, restarts: number, windowMs: number, cause?: unknown) {
    super(
      'ERR_MAX_RESTARTS',
      `${service.path}: ${restarts} restarts within ${windowMs} ms; giving up`,
      service,
      cause === undefined ? undefined : { cause },
    );
    this.restarts = restarts;
    this.windowMs = windowMs;
  }
  override get name(): string {
    return 'MaxRestartsExceededError';
  }
}

/** `run()` returned something that is neither `undefined` nor an ObservableInput. */
export class InvalidRunError extends ServiceError {
  declare readonly received: unknown;
  constructor(service: ServiceRef, received: unknown) {
    super(
      'ERR_INVALID_RUN',
      `${service.path}: run() returned ${show(received)}, not an ObservableInput`,
      service,
    );
    this.received = received;
  }
  override get name(): string {
    return 'InvalidRunError';
  }
}

/** The operation is not allowed in the service's current state. */
export class InvalidStateError extends ServiceError {
  declare readonly state: ServiceState;
  declare readonly operation: string;
  constructor(service: ServiceRef, state: ServiceState, operation: string) {
    super('ERR_INVALID_STATE', `${service.path}: cannot ${operation} while ${state}`, service);
    this.state = state;
    this.operation = operation;
  }
  override get name(): string {
    return 'InvalidStateError';
  }
}

/**
 * The thread of a ThreadService failed: its module could not be loaded, it exited on its own, it
 * was terminated after it stopped answering, or a message could not be sent. `cause` holds the
 * underlying error when there is one.
 *
 * @remarks Code `ERR_THREAD`. Errors raised by the service inside the thread are not wrapped:
 * they reach the parent with their own name, message and stack.
 */
export class ThreadServiceError extends ServiceError {
  constructor(service: ServiceRef, message: string, cause?: unknown) {
    super('ERR_THREAD', `${service.path}: ${message}`, service, cause === undefined ? undefined : { cause });
  }
  override get name(): string {
    return 'ThreadServiceError';
  }
}
