/**
 * The options of a Worker and their validation: every bad value is refused in the constructor with
 * a TypeError naming the option and the value received.
 */
import { parseDuration, type Duration } from '../duration.js';
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
export interface WorkerOptions extends Omit<ServiceOptions, 'stopTimeout' | 'logger'> {
  /** The stop budget of the whole tree (the root's `stopTimeout`). @defaultValue 30s */
  shutdownTimeout?: Duration;
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

/** @internal The options of a Worker, validated and resolved. */
export interface WorkerConfig {
  services: Service<any>[];
  serviceOptions: ServiceOptions;
  signals: NodeJS.Signals[];
  blockingTimeoutMs: number;
  drainDelayMs: number;
  health: HealthOptions | undefined;
  dashboard: DashboardConfig;
}

const WORKER_KEYS = new Set([
  'shutdownTimeout',
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

/** @internal Splits `new Worker(...)` arguments into services and options and validates them. */
export function resolveWorkerConfig(args: unknown[]): WorkerConfig {
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
  const serviceOptions: ServiceOptions = {
    ...rest,
    stopTimeout: parseDuration(shutdownTimeout ?? '30s', 'shutdownTimeout'),
    logger:
      logger ??
      createConsoleLogger({
        level: checkLogLevel(logLevel ?? 'info'),
        format: checkLogFormat(logFormat ?? 'pretty'),
      }),
  };
  return {
    services,
    serviceOptions,
    signals: checkSignals(signals ?? ['SIGINT', 'SIGTERM']),
    blockingTimeoutMs: parseDuration(blockingTimeout ?? '10s', 'blockingTimeout'),
    drainDelayMs: parseDuration(drainDelay ?? 0, 'drainDelay'),
    health: health === undefined ? undefined : checkHealthOptions(health),
    dashboard: checkDashboardOptions(dashboard, health !== undefined),
  };
}
