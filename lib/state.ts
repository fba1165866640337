/**
 * The six service states and the table of allowed transitions. The state lives in one
 * BehaviorSubject per service; anything not in this table is a bug and is refused.
 */

/** The lifecycle state of a service. */
export type ServiceState = 'init' | 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';

/** Every state, in lifecycle order. */
export const SERVICE_STATES: readonly ServiceState[] = [
  'init',
  'starting',
  'running',
  'stopping',
  'stopped',
  'crashed',
];

const ALLOWED: Readonly<Record<ServiceState, readonly ServiceState[]>> = {
  init: ['starting', 'stopped'],
  starting: ['running', 'stopping', 'crashed'],
  running: ['stopping', 'crashed'],
  stopping: ['stopped'],
  stopped: ['starting'],
  crashed: ['starting'],
};

/** True when `from → to` is an allowed transition. */
export function canTransition(from: ServiceState, to: ServiceState): boolean {
  return ALLOWED[from].includes(to);
}

/** True for `stopping`, `stopped` and `crashed`: the states in which work should end. */
export function isShouldStop(state: ServiceState): boolean {
  return state === 'stopping' || state === 'stopped' || state === 'crashed';
}
