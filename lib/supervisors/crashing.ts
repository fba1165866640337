/**
 * CrashingSupervisor: any crash of a child crashes the supervisor with the same error, which
 * escalates to its parent (Mode's CrashingSupervisor, without exiting the process).
 */
import { Supervisor } from './base.js';
import type { SupervisorOptions } from './options.js';

/**
 * Escalates every crash of a child: the supervisor crashes with the child's error.
 *
 * @remarks Each crash is an `escalate` decision (`delayMs` 0, `attempt` = the crashes within the
 * window), published before the supervisor crashes. Use it as the top of a tree that must go down as
 * a whole (under a Node Worker, a root crash exits with code 1). Options about restarts have no effect.
 * @example
 * ```ts
 * const app = new CrashingSupervisor({ name: 'app' }).add(new Database(), new Http());
 * ```
 * @throws TypeError from the constructor, naming an invalid option and the value received.
 */
export class CrashingSupervisor extends Supervisor {
  /** @param options - Service options (and the window used to count crashes). */
  constructor(options?: SupervisorOptions) {
    super({ decision: 'escalate', scope: 'one' }, options);
  }
}
