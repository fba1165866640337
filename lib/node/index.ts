/** `rxmode/node`: the Worker (with its probes, metrics and dashboard), health probes, ThreadService, the BlockingDetector and the console logger, by name. */
export { Worker } from './worker.js';
export type { WorkerOptions, WorkerArguments } from './worker-options.js';
export type { DashboardOptions } from './dashboard/dashboard.js';
export { BlockingDetector } from './blocking-detector.js';
export type { BlockingDetectorOptions, StallRecord } from './blocking-detector.js';
export { HealthServer, sendText, sendJSON } from './health-server.js';
export type { HealthOptions, HealthAddress, RouteHandler, RouteOptions } from './health-server.js';
export { createConsoleLogger } from './console-logger.js';
export type { ConsoleLoggerOptions, LogLevel, LogFormat, LogStream } from './console-logger.js';
export { logLifecycle } from './lifecycle-log.js';
export { formatTree, activityOf } from './dump.js';
export { EXIT_OK, EXIT_FAILURE, signalExitCode } from './exit-codes.js';
export { listenProcess } from './signals.js';
export { ThreadService, BackgroundThreadService } from './thread/service.js';
export type { ThreadServiceOptions, ThreadMethod, ThreadArgs, ThreadResult } from './thread/options.js';
export { ThreadServiceError } from '../errors.js';
export { defaultThreadEntry } from './thread/boot.js';
