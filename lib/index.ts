export { Service } from './service.js';
export type { ReadonlyBehaviorSubject } from './service.js';
export type { DependencyOptions } from './service-node.js';
export type { ServiceOptions, TaskOptions, CronOptions } from './options.js';
export type { WaitResult, WaitFirstResult } from './internal/waits.js';
export { SERVICE_STATES, canTransition } from './state.js';
export type { ServiceState } from './state.js';
export type { LifecycleEvent, ServiceRef, StopReason, StuckPhase } from './events.js';
export {
  ServiceError,
  ServiceStopError,
  StartTimeoutError,
  StopTimeoutError,
  ServiceCrashedError,
  WaitTimeoutError,
  MaxRestartsExceededError,
  InvalidRunError,
  InvalidStateError,
  ThreadServiceError,
  isServiceError,
} from './errors.js';
export type { ServiceErrorCode } from './errors.js';
export { parseDuration, humanizeDuration } from './duration.js';
export type { Duration } from './duration.js';
export { Timer } from './timer.js';
export type { TimerTick, TimerOptions } from './timer.js';
export { task, timer, crontab, transitionsTo } from './decorators.js';
export type { MethodDecorator } from './decorators.js';
export type { Diag } from './diag.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { Teardown } from './teardown.js';
export type { ServiceSnapshot } from './snapshot.js';
export { Signal, SyncSignal } from './signal.js';
export type {
  SignalReceiver,
  SignalOptions,
  SignalConnectOptions,
  SignalEmission,
  BoundSignal,
} from './signal-types.js';
export { parseRate } from './rate.js';
export type { Rate } from './rate.js';
export { TokenBucket, rateLimit } from './token-bucket.js';
export type { TokenBucketOptions, RateLimitOptions } from './token-bucket.js';
export {
  Supervisor,
  OneForOneSupervisor,
  OneForAllSupervisor,
  RestForOneSupervisor,
  ForfeitOneForOneSupervisor,
  ForfeitOneForAllSupervisor,
  CrashingSupervisor,
} from './supervisors/index.js';
export type {
  SupervisorOptions,
  SupervisorDecision,
  BackoffOptions,
  RestartType,
  ReplacementFactory,
} from './supervisors/index.js';
export { LeaderService } from './leader-service.js';
export type { LeaderServiceOptions } from './leader-service.js';
export type { Lease, LeaseTerm } from './lease.js';
export { snapshot$, toDot, toMermaid, STATE_COLORS } from './inspect.js';
export type { SnapshotOptions, GraphOptions } from './inspect.js';
export { bindPageLifecycle } from './page-lifecycle.js';
export type { PageLifecycleOptions } from './page-lifecycle.js';
