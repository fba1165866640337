/**
 * RestForOneSupervisor: when a child crashes, it and the children added after it are restarted;
 * the ones before it keep running. OTP's `rest_for_one`, with optional exponential backoff.
 */
import { Supervisor } from './base.js';
import type { SupervisorOptions } from './options.js';

/**
 * Restarts the crashed child and every child after it.
 *
 * @remarks Use it when later children depend on earlier ones (added in dependency order). The later
 * children are stopped at once (reverse order) with reason `{ type: 'supervisor', decision: 'restart' }`;
 * after the backoff delay they start again in order, the crashed one first.
 * @example
 * ```ts
 * const sup = new RestForOneSupervisor().add(new Database(), new Cache(), new Http());
 * // a crash of Cache restarts Cache and Http; Database keeps running
 * ```
 * @throws TypeError from the constructor, naming an invalid option and the value received.
 */
export class RestForOneSupervisor extends Supervisor {
  /** @param options - supervision policy and Service options; see {@link SupervisorOptions}. */
  constructor(options?: SupervisorOptions) {
    super({ decision: 'restart', scope: 'rest' }, options);
  }
}
