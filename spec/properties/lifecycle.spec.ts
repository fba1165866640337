// The Service lifecycle, fuzzed: random trees, hook behaviours, work and operation sequences, with
// the invariants of API.md sections 2-4 checked after every step and after a final stop. Bounded
// here (a fixed seed, 300 virtual-time runs and 15 real-time ones); `npm run fuzz` runs more
// and prints a failing case as a regression spec.
import { expect } from 'chai';
import fc from 'fast-check';
import { LifecycleViolation, lifecycleProperty, parameters, settings } from './property.js';
import type { Scenario } from './model.js';

const report = (details: fc.RunDetails<[Scenario]>): string =>
  details.failed
    ? `seed ${details.seed}, path ${details.counterexamplePath}, after ${details.numRuns} runs:\n` +
      `${details.errorInstance instanceof LifecycleViolation ? details.errorInstance.message : String(details.errorInstance)}\n` +
      `counterexample: ${JSON.stringify(details.counterexample?.[0])}\n` +
      'replay with FUZZ_SEED and FUZZ_PATH, or `npm run fuzz` for the case as TypeScript'
    : '';

describe('Service lifecycle (property-based)', function () {
  this.timeout(300_000);

  it('keeps every lifecycle invariant on random trees and operations in virtual time', async () => {
    const details = await fc.check(lifecycleProperty('virtual'), parameters(settings('virtual', 300)));
    expect(details.failed, report(details)).to.equal(false);
  });

  it('keeps every lifecycle invariant in real time (a few short runs)', async () => {
    const details = await fc.check(lifecycleProperty('real'), parameters(settings('real', 15)));
    expect(details.failed, report(details)).to.equal(false);
  });
});
