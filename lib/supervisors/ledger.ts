/**
 * What a supervisor remembers between the failures of one run: the times of the restarts it decided
 * and of the failures it answered. It hands them to `decide()` and records each answer.
 */
import type { AttemptCounter } from './backoff.js';
import type { Decision, Situation } from './decide.js';
import { IntensityWindow } from './intensity.js';

/** @internal The intensity windows of one supervisor, cleared at each of its starts. */
export class Ledger {
  readonly #restarts: IntensityWindow;
  readonly #failures: IntensityWindow;

  constructor(overMs: number) {
    this.#restarts = new IntensityWindow(overMs);
    this.#failures = new IntensityWindow(overMs);
  }

  /** What `decide()` needs to know about a failure at `now` of the child with these `attempts`. */
  situation(now: number, attempts: AttemptCounter, pending: Situation['pending']): Situation {
    return {
      now,
      restarts: this.#restarts.times,
      failures: this.#failures.times,
      attempt: attempts.attempt,
      runningSince: attempts.runningSince,
      pending,
    };
  }

  /**
   * Records an answer taken at `now`: every one but `ignore` as a failure; a restart that joins no
   * pending one as a restart and as the child's attempt.
   */
  record(now: number, decision: Decision, attempts: AttemptCounter): void {
    if (decision.decision === 'ignore') return;
    this.#failures.record(now);
    if (decision.decision !== 'restart' || decision.joins) return;
    this.#restarts.record(now);
    attempts.set(decision.attempt);
  }

  /** Forgets everything (a new run of the supervisor). */
  clear(): void {
    this.#restarts.clear();
    this.#failures.clear();
  }
}
