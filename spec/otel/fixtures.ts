/**
 * Services for the monitoring specs (otel and prometheus): a Node whose hooks wait on the (fake)
 * clock or throw, and a MiniSupervisor that restarts a crashed child and announces its decision the
 * way supervisors do, so the specs do not depend on a supervisor strategy.
 */
import { Service, type ServiceOptions } from '../../lib/index.js';
import { childCrashed, emit } from '../../lib/internal/symbols.js';

export type Step = number | Error; // wait this long on the fake clock, or throw
const run = async (step: Step | undefined): Promise<void> => {
  if (step instanceof Error) throw step;
  if (step !== undefined) await new Promise((resolve) => setTimeout(resolve, step));
};

/** A service whose hooks wait or throw as told. */
export class Node extends Service {
  constructor(
    name: string,
    readonly steps: { onStart?: Step; onStop?: Step; onShutdown?: Step } = {},
    options: ServiceOptions = {},
  ) {
    super({ name, ...options });
  }
  protected override onStart(): Promise<void> {
    return run(this.steps.onStart);
  }
  protected override onStop(): Promise<void> {
    return run(this.steps.onStop);
  }
  protected override onShutdown(): Promise<void> {
    return run(this.steps.onShutdown);
  }
}

/** Restarts a crashed child once its teardown is over, announcing the decision as a supervisor does. */
export class MiniSupervisor extends Service {
  protected override [childCrashed](child: Service<any>): void {
    this[emit]({
      type: 'supervisor',
      service: this.ref,
      at: this.scheduler.now(),
      child: child.ref,
      decision: 'restart',
      attempt: 1,
      delayMs: 0,
    });
    void child.waitUntilStopped().then(() => child.start());
  }
  /** Announces a decision about `child` without acting on it. */
  announce(child: Service<any>, decision: 'restart' | 'forfeit' | 'escalate' = 'forfeit'): void {
    this[emit]({
      type: 'supervisor',
      service: this.ref,
      at: this.scheduler.now(),
      child: child.ref,
      decision,
      attempt: 2,
      delayMs: 0,
    });
  }
}
