/**
 * OneForOneSupervisor: a crashed child is restarted on its own; its siblings keep running.
 * OTP's `one_for_one`, with optional exponential backoff.
 */
import { Supervisor } from './base.js';
import type { SupervisorOptions } from './options.js';

/**
 * Restarts the child that crashed, and only that one.
 *
 * @remarks Use it when the children are independent of one another. Restart types, the intensity
 * limit, backoff and `replacement` work as described on {@link Supervisor}.
 * @example
 * ```ts
 * const sup = new OneForOneSupervisor({ maxRestarts: 5, over: '10s', backoff: { initial: '100ms', max: '5s' } });
 * sup.add(new Consumer(), new Producer());
 * await sup.start();
 * ```
 * @throws TypeError from the constructor, naming an invalid option and the value received.
 */
export class OneForOneSupervisor extends Supervisor {
  /** @param options - supervision policy and Service options; see {@link SupervisorOptions}. */
  constructor(options?: SupervisorOptions) {
    super({ decision: 'restart', scope: 'one' }, options);
  }
}
