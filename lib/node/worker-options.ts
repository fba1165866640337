/**
 * The options of a Worker and their validation: every bad value is refused in the constructor with
 * a TypeError naming the option and the value received. The stop budget is fitted into the pod's
 * termination grace period here.
 */
import { humanizeDuration, parseDuration, type Duration } from '../duration.js';
import { show } from '../internal/format.js';
import type { Logger } from '../logger.js';
import type { ServiceOptions } from '../options.js';
import { Service } from '../service.js';
import {
  checkLogFormat,
  checkLogLevel,
  createConsoleLogger,
  type LogFormat,
  type LogLevel,
} from './console-logger.js';
import { checkDashboardOptions, type DashboardConfig, type DashboardOptions } from './dashboard/dashboard.js';
import { checkHealthOptions, type HealthOptions } from './health-server.js';
import { checkSignals } from './signals.js';

/** Options of a {@link Worker}: the service options of the root, plus the process-level ones. */
export interface WorkerOptions extends Omit<ServiceOptions, 'stopTimeout' | 'logger' | 'essential'> {
  /**
   * The stop budget of the whole tree (the root's `stopTimeout`).
   * @defaultValue 30s; with a `terminationGracePeriod`, what is left of it after `drainDelay` and a
   * 2 s margin for the process to exit
   */
  shutdownTimeout?: Duration;
  /**
   * The time the orchestrator waits after SIGTERM before it kills the process (Kubernetes'
   * `terminationGracePeriodSeconds`). When set, `shutdownTimeout` defaults to what is left after
   * `drainDelay` and a 2 s margin, and `drainDelay + shutdownTimeout` above it is refused with a
   * TypeError at construction, so SIGKILL cannot cut a graceful stop short unseen. When not set,
   * it is read from the `RXMODE_TERMINATION_GRACE_PERIOD` environment variable (a bare number is
   * seconds, as in the pod spec; or a duration string such as `'45s'`).
   * @defaultValue `RXMODE_TERMINATION_GRACE_PERIOD`, else none (no check)
   */
  terminationGracePeriod?: Duration;
  /**
   * Signals that start the graceful stop; a second one forces the exit. Listing `SIGUSR1` replaces
   * the tree dump. @defaultValue ['SIGINT', 'SIGTERM']
   */
  signals?: readonly NodeJS.Signals[];
  /** Level of the console logger (ignored with `logger`). @defaultValue 'info' */
  logLevel?: LogLevel;
  /** Format of the console logger (ignored with `logger`). @defaultValue 'pretty' */
  logFormat?: LogFormat;
  /** A pino-shaped logger replacing the console logger. @defaultValue a console logger on stderr */
  logger?: Logger;
  /** Adds a BlockingDetector reporting stalls longer than this; 0 disables it. @defaultValue 10s */
  blockingTimeout?: Duration;
  /**
   * Serves the probes (`/livez`, `/readyz`, `/startupz`, `/state`) and the monitoring paths
   * (`/metrics`, `/events`, `/dashboard`) on this port. @defaultValue no server
   */
  health?: HealthOptions;
  /** After a stop signal, readiness reports 503 this long before the stop begins. @defaultValue 0 */
  drainDelay?: Duration;
  /**
   * The live page on the probe server (`/dashboard`, needs `health`); `{ control: true }` adds the
   * restart, stop and crash actions. @defaultValue `{ control: false }`
   */
  dashboard?: DashboardOptions;
}

/** The arguments of `new Worker(...)`: services, then optionally the options. */
export type WorkerArguments = [...services: Service<any>[], options: WorkerOptions] | Service<any>[];

/** The environment variable a Worker reads `terminationGracePeriod` from when the option is not set. */
export const TERMINATION_GRACE_PERIOD_ENV = 'RXMODE_TERMINATION_GRACE_PERIOD';

/** What the default `shutdownTimeout` leaves of `terminationGracePeriod` for the process to exit. */
export const TERMINATION_MARGIN_MS = 2000;

/** @internal The options of a Worker, validated and resolved. */
export interface WorkerConfig {
  services: Service<any>[];
  serviceOptions: ServiceOptions;
  signals: NodeJS.Signals[];
  blockingTimeoutMs: number;
  /** The BlockingDetector's `stallLog`: the console logger's format, false with a `logger` or a level above `warn`. */
  stallLog: LogFormat | false;
  drainDelayMs: number;
  health: HealthOptions | undefined;
  dashboard: DashboardConfig;
}

const WORKER_KEYS = new Set([
  'shutdownTimeout',
  'terminationGracePeriod',
  'signals',
  'logLevel',
  'logFormat',
  'logger',
  'blockingTimeout',
  'health',
  'drainDelay',
  'dashboard',
  'name',
  'scheduler',
  'startTimeout',
  'startConcurrency',
  'stopConcurrency',
]);

/** Reads the grace period from the option, else from the environment; undefined when neither is set. */
function gracePeriod(
  value: Duration | undefined,
  env: Readonly<Record<string, string | undefined>>,
): { ms: number; label: string } | undefined {
  if (value !== undefined) {
    const ms = parseDuration(value, 'terminationGracePeriod');
    return { ms, label: `terminationGracePeriod (${humanizeDuration(ms)})` };
  }
  const raw = env[TERMINATION_GRACE_PERIOD_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  const ms = /^\s*\d+\s*$/.test(raw)
    ? Number(raw) * 1000 // seconds, as terminationGracePeriodSeconds
    : parseDuration(raw as Duration, TERMINATION_GRACE_PERIOD_ENV);
  return { ms, label: `${TERMINATION_GRACE_PERIOD_ENV}=${raw} (${humanizeDuration(ms)})` };
}

/**
 * @internal The stop budget: `shutdownTimeout` as given, else what the grace period leaves after
 * `drainDelay` and the margin, else 30 s.
 * @throws TypeError naming the grace period, `drainDelay` and `shutdownTimeout` when they cannot fit.
 */
export function fitShutdownTimeout(
  shutdownTimeout: Duration | undefined,
  drainDelayMs: number,
  grace: { ms: number; label: string } | undefined,
): number {
  const given = shutdownTimeout === undefined ? undefined : parseDuration(shutdownTimeout, 'shutdownTimeout');
  if (grace === undefined) return given ?? 30_000;
  const drain = `drainDelay (${humanizeDuration(drainDelayMs)})`;
  if (given !== undefined) {
    if (drainDelayMs + given <= grace.ms) return given;
    throw new TypeError(
      `${drain} + shutdownTimeout (${humanizeDuration(given)}) do not fit in ${grace.label}: ` +
        'SIGKILL would cut the stop short; shorten them or lengthen the grace period',
    );
  }
  const left = grace.ms - drainDelayMs - TERMINATION_MARGIN_MS;
  if (left > 0) return left;
  throw new TypeError(
    `${grace.label} leaves no shutdownTimeout (${humanizeDuration(left)}) after ${drain} and the ` +
      `${humanizeDuration(TERMINATION_MARGIN_MS)} margin for the process to exit`,
  );
}

/**
 * @internal Splits `new Worker(...)` arguments into services and options and validates them.
 * `env` is where `RXMODE_TERMINATION_GRACE_PERIOD` is read.
 */
export function resolveWorkerConfig(
  args: unknown[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): WorkerConfig {
  const last = args[args.length - 1];
  const hasOptions = args.length > 0 && !(last instanceof Service);
  const services = (hasOptions ? args.slice(0, -1) : args) as Service<any>[];
  services.forEach((service, i) => {
    if (!(service instanceof Service)) {
      throw new TypeError(
        `argument ${i + 1} must be a Service (options come last); received ${show(service)}`,
      );
    }
  });
  const options = (hasOptions ? last : {}) as WorkerOptions;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`options must be an object; received ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!WORKER_KEYS.has(key)) throw new TypeError(`unknown Worker option ${show(key)}`);
  }
  const {
    shutdownTimeout,
    terminationGracePeriod,
    signals,
    logLevel,
    logFormat,
    logger,
    blockingTimeout,
    health,
    drainDelay,
    dashboard,
    ...rest
  } = options;
  const drainDelayMs = parseDuration(drainDelay ?? 0, 'drainDelay');
  // the console logger's settings, checked only when it is used
  const consoleLog =
    logger === undefined
      ? { level: checkLogLevel(logLevel ?? 'info'), format: checkLogFormat(logFormat ?? 'pretty') }
      : undefined;
  const grace = gracePeriod(terminationGracePeriod, env);
  const serviceOptions: ServiceOptions = {
    ...rest,
    stopTimeout: fitShutdownTimeout(shutdownTimeout, drainDelayMs, grace),
    logger: logger ?? createConsoleLogger(consoleLog),
  };
  return {
    services,
    serviceOptions,
    signals: checkSignals(signals ?? ['SIGINT', 'SIGTERM']),
    blockingTimeoutMs: parseDuration(blockingTimeout ?? '10s', 'blockingTimeout'),
    stallLog:
      consoleLog && consoleLog.level !== 'error' && consoleLog.level !== 'silent' ? consoleLog.format : false,
    drainDelayMs,
    health: health === undefined ? undefined : checkHealthOptions(health),
    dashboard: checkDashboardOptions(dashboard, health !== undefined),
  };
}
