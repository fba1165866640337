/** The supervisors: every export of `lib/supervisors/`, by name. */
export { Supervisor } from './base.js';
export { OneForOneSupervisor } from './one-for-one.js';
export { OneForAllSupervisor } from './one-for-all.js';
export { RestForOneSupervisor } from './rest-for-one.js';
export { ForfeitOneForOneSupervisor, ForfeitOneForAllSupervisor } from './forfeit.js';
export { CrashingSupervisor } from './crashing.js';
export type {
  SupervisorOptions,
  SupervisorDecision,
  BackoffOptions,
  RestartType,
  ReplacementFactory,
} from './options.js';
