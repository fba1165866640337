/**
 * The lifecycle property and its settings, shared by the bounded mocha suite and `npm run fuzz`:
 * runs, seed and replay path come from FUZZ_RUNS, FUZZ_REAL_RUNS, FUZZ_SEED and FUZZ_PATH.
 */
import fc from 'fast-check';
import { scenario } from './arbitraries.js';
import type { Mode, Scenario, Violation } from './model.js';
import { runScenario } from './runner.js';

/** The fixed default seed of the bounded suite, so its result is reproducible. */
export const DEFAULT_SEED = 20_260_101;

export interface FuzzSettings {
  runs: number;
  seed: number;
  path: string | undefined;
}

const positive = (value: string | undefined, fallback: number, name: string): number => {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`${name} must be a whole number; received ${value}`);
  return n;
};

/** Reads the FUZZ_* variables; `runs` falls back to `defaultRuns` (FUZZ_REAL_RUNS for real time). */
export function settings(mode: Mode, defaultRuns: number, env = process.env): FuzzSettings {
  const runs =
    mode === 'real'
      ? positive(env['FUZZ_REAL_RUNS'], defaultRuns, 'FUZZ_REAL_RUNS')
      : positive(env['FUZZ_RUNS'], defaultRuns, 'FUZZ_RUNS');
  return {
    runs,
    seed: positive(env['FUZZ_SEED'], DEFAULT_SEED, 'FUZZ_SEED'),
    path: env['FUZZ_PATH'] || undefined,
  };
}

/** Thrown by the property when a run broke an invariant. */
export class LifecycleViolation extends Error {
  constructor(readonly violations: readonly Violation[]) {
    super(violations.map((v) => `step ${v.step}: [${v.invariant}] ${v.detail}`).join('\n'));
    this.name = 'LifecycleViolation';
  }
}

/** The property: `scenario` run in `mode` breaks no invariant. */
export const lifecycleProperty = (mode: Mode): fc.IAsyncPropertyWithHooks<[Scenario]> =>
  fc.asyncProperty(scenario, async (s) => {
    const { violations } = await runScenario(s, mode);
    if (violations.length > 0) throw new LifecycleViolation(violations);
  });

/** fast-check parameters for `settings`. */
export function parameters(s: FuzzSettings): fc.Parameters<[Scenario]> {
  return {
    numRuns: s.runs,
    seed: s.seed,
    ...(s.path === undefined ? {} : { path: s.path }),
    // shrinking re-runs scenarios; keep a failing suite from taking minutes
    interruptAfterTimeLimit: 120_000,
    markInterruptAsFailure: false,
  };
}
