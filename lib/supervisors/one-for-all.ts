/**
 * OneForAllSupervisor: when one child crashes, every child is stopped (in reverse order) and all
 * are started again in order. OTP's `one_for_all`, with optional exponential backoff.
 */
import { Supervisor } from './base.js';
import type { SupervisorOptions } from './options.js';

/**
 * Restarts every child when one of them crashes.
 *
 * @remarks Use it when the children depend on each other so tightly that none can go on after one
 * failed. The others are stopped at once with reason `{ type: 'supervisor', decision: 'restart' }`
 * (reverse order); after the backoff delay every child that was running starts again in order.
 * Crashes of other children before that start phase join the same restart (one decision each,
 * counted once toward the intensity). With `restart: 'temporary'` a crash is forfeited instead.
 * @example
 * ```ts
 * const sup = new OneForAllSupervisor({ name: 'pipeline' }).add(new Reader(), new Parser(), new Writer());
 * await sup.start();
 * ```
 * @throws TypeError from the constructor, naming an invalid option and the value received.
 */
export class OneForAllSupervisor extends Supervisor {
  /** @param options - supervision policy and Service options; see {@link SupervisorOptions}. */
  constructor(options?: SupervisorOptions) {
    super({ decision: 'restart', scope: 'all' }, options);
  }
}
