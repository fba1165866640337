// Specs for the bookkeeping between decide() calls: which answers the ledger records as failures,
// restarts and attempts, and the half-open window it hands to the next decision.
import { expect } from 'chai';
import { AttemptCounter } from '../../lib/supervisors/backoff.js';
import type { Decision } from '../../lib/supervisors/decide.js';
import { Ledger } from '../../lib/supervisors/ledger.js';

describe('Ledger', () => {
  const restart = (attempt: number, joins = false): Decision => ({
    decision: 'restart',
    scope: 'one',
    attempt,
    delayMs: 0,
    joins,
  });

  describe('#record()', () => {
    // [answer, failures recorded, restarts recorded, attempt after]
    const rows: [string, Decision, number, number, number][] = [
      ['ignore', { decision: 'ignore' }, 0, 0, 0],
      ['a new restart', restart(3), 1, 1, 3],
      ['a restart that joins a pending one', restart(3, true), 1, 0, 0],
      ['forfeit', { decision: 'forfeit', attempt: 1, delayMs: 0, stopOthers: false }, 1, 0, 0],
      ['escalate', { decision: 'escalate', attempt: 1, delayMs: 0, exceeded: undefined }, 1, 0, 0],
    ];
    for (const [name, decision, failures, restarts, attempt] of rows) {
      it(`${name}: ${failures} failure(s), ${restarts} restart(s), attempt ${attempt}`, () => {
        const ledger = new Ledger(1000);
        const attempts = new AttemptCounter();
        ledger.record(50, decision, attempts);
        const s = ledger.situation(100, attempts, undefined);
        expect([s.failures.length, s.restarts.length, s.attempt]).to.deep.equal([
          failures,
          restarts,
          attempt,
        ]);
      });
    }

    it('clears the time the child became running when a new restart is recorded', () => {
      const ledger = new Ledger(1000);
      const attempts = new AttemptCounter();
      attempts.running(10);
      ledger.record(50, { decision: 'forfeit', attempt: 1, delayMs: 0, stopOthers: false }, attempts);
      expect(ledger.situation(60, attempts, undefined).runningSince).to.equal(10);
      ledger.record(70, restart(1), attempts);
      expect(ledger.situation(80, attempts, undefined).runningSince).to.equal(undefined);
    });
  });

  describe('#situation()', () => {
    it('forgets times that left the half-open window when it records', () => {
      const ledger = new Ledger(1000);
      const attempts = new AttemptCounter();
      for (const t of [0, 500, 1000, 1499]) ledger.record(t, restart(1), attempts);
      expect(ledger.situation(1500, attempts, undefined).restarts).to.deep.equal([500, 1000, 1499]);
    });

    it('hands the pending restart on', () => {
      const pending = { attempt: 2, delayMs: 200 };
      expect(new Ledger(1000).situation(0, new AttemptCounter(), pending).pending).to.equal(pending);
    });
  });

  describe('#clear()', () => {
    it('forgets every failure and restart', () => {
      const ledger = new Ledger(1000);
      const attempts = new AttemptCounter();
      ledger.record(1, restart(1), attempts);
      ledger.clear();
      const s = ledger.situation(2, attempts, undefined);
      expect([s.failures, s.restarts]).to.deep.equal([[], []]);
    });
  });
});
