/**
 * The forfeit supervisors (Mode's): a crashed child is torn down and left `crashed`, never
 * restarted. ForfeitOneForAllSupervisor also stops the other children.
 */
import { Supervisor } from './base.js';
import type { SupervisorOptions } from './options.js';

/**
 * Leaves a crashed child `crashed`; its siblings and the supervisor keep running.
 *
 * @remarks Each crash is a `forfeit` decision (`delayMs` 0, `attempt` = the crashes within the
 * window); forfeits never count toward the intensity limit. Use it for optional parts whose loss
 * should not take the rest down. Options about restarts (backoff, replacement) have no effect.
 * @example
 * ```ts
 * const sup = new ForfeitOneForOneSupervisor().add(new MetricsPusher());
 * ```
 * @throws TypeError from the constructor, naming an invalid option and the value received.
 */
export class ForfeitOneForOneSupervisor extends Supervisor {
  /** @param options - Service options (and the window used to count crashes). */
  constructor(options?: SupervisorOptions) {
    super({ decision: 'forfeit', scope: 'one' }, options);
  }
}

/**
 * Leaves a crashed child `crashed` and stops every other child (in reverse order).
 *
 * @remarks The others stop with reason `{ type: 'supervisor', decision: 'forfeit' }`; the supervisor
 * itself keeps running, with nothing started under it, until it is stopped or restarted. A
 * With `restart: 'temporary'` a crash leaves the siblings running (as in OTP).
 * @example
 * ```ts
 * const session = new ForfeitOneForAllSupervisor().add(new Socket(), new Heartbeat());
 * ```
 * @throws TypeError from the constructor, naming an invalid option and the value received.
 */
export class ForfeitOneForAllSupervisor extends Supervisor {
  /** @param options - Service options (and the window used to count crashes). */
  constructor(options?: SupervisorOptions) {
    super({ decision: 'forfeit', scope: 'all' }, options);
  }
}
