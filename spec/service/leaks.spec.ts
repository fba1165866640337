// Specs for what a lifecycle leaves behind: no scheduled timers after a stop, a crash or an
// abandoned stop; no internal subscribers on state$; no abort listeners left on a caller's signal.
import { expect } from 'chai';
import sinon from 'sinon';
import { BehaviorSubject } from 'rxjs';
import { Service } from '../../lib/index.js';
import { flush, hangs, probe, track, useFakeClock } from '../support/lifecycle.js';

const observed = (svc: Service<any>): boolean => (svc.state$ as BehaviorSubject<unknown>).observed;

/** A service using every kind of timer the lifecycle owns: start and stop budgets, work timers, sleep. */
class Busy extends Service {
  protected override async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) await this.sleep(250);
  }
}

/** R with children [Busy A, B], a timer and a task on R. */
function busyTree(): Service<any>[] {
  const r = new Service({ name: 'R', startTimeout: '10s', stopTimeout: '10s' });
  const a = r.addDependency(new Busy({ name: 'A', startTimeout: 5000 }));
  const b = r.addDependency(new Service({ name: 'B' }));
  r.addTimer(100, () => {});
  r.addTask(async (signal) => {
    while (!signal.aborted) await r.sleep(1000);
  });
  return [r, a, b];
}

describe('Service', () => {
  describe('leaks', () => {
    const fake = useFakeClock();

    it('leaves no timer and no state$ subscriber after a stop', async () => {
      const [r, ...rest] = busyTree() as [Service<any>, ...Service<any>[]];
      await r.start();
      await fake.clock.tickAsync(1000);
      expect(fake.clock.countTimers()).to.be.greaterThan(0);
      await r.stop();
      await flush();
      expect(fake.clock.countTimers()).to.equal(0);
      for (const s of [r, ...rest]) expect(observed(s), s.path).to.equal(false);
    });

    it('leaves no timer and no state$ subscriber after a crash', async () => {
      const [r, a, b] = busyTree() as [Service<any>, Service<any>, Service<any>];
      await r.start();
      await fake.clock.tickAsync(1000);
      a.crash(new Error('boom'));
      await r.waitUntilStopped();
      await flush();
      expect(r.state).to.equal('crashed');
      expect(fake.clock.countTimers()).to.equal(0);
      for (const s of [r, a, b]) expect(observed(s), s.path).to.equal(false);
    });

    it('leaves no timer after a stop that ran out of budget', async () => {
      const r = probe([], 'R', { stopTimeout: 500 });
      r.addDependency(probe([], 'A', { hooks: { onStop: hangs() } }));
      r.addTimer(100, () => {});
      await r.start();
      const stopped = track(r.stop());
      await fake.clock.tickAsync(500);
      await flush();
      expect(stopped.settled).to.equal(true);
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('leaves no timer after a start that timed out', async () => {
      const r = probe([], 'R', { startTimeout: 200, stopTimeout: 300 });
      r.addDependency(probe([], 'A', { hooks: { onStart: hangs() } }));
      const started = track(r.start());
      await fake.clock.tickAsync(500);
      await flush();
      expect(r.state).to.equal('crashed');
      expect(started.settled).to.equal(true);
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('clears the start timeout once running', async () => {
      const r = new Service({ name: 'R', startTimeout: '1m' });
      await r.start();
      expect(fake.clock.countTimers()).to.equal(0);
      await r.stop();
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('accumulates nothing over many restarts', async () => {
      const [r, a, b] = busyTree() as [Service<any>, Service<any>, Service<any>];
      await r.start();
      const running = fake.clock.countTimers();
      for (let i = 0; i < 50; i++) await r.restart();
      expect(fake.clock.countTimers()).to.equal(running);
      await r.stop();
      await flush();
      expect(fake.clock.countTimers()).to.equal(0);
      for (const s of [r, a, b]) expect(observed(s), s.path).to.equal(false);
    });

    it("removes every listener it adds to a caller's AbortSignal", async () => {
      const controller = new AbortController();
      const add = sinon.spy(controller.signal, 'addEventListener');
      const remove = sinon.spy(controller.signal, 'removeEventListener');
      const svc = new Service({ name: 'S' });
      await svc.start({ signal: controller.signal });
      await svc.waitFor('running', { signal: controller.signal });
      const stopped = svc.waitFor('stopped', { signal: controller.signal, timeout: 1000 });
      await svc.stop();
      await stopped;
      await svc.start({ signal: controller.signal });
      await svc.stop();
      expect(add.callCount).to.be.greaterThan(0);
      const added = add.getCalls().map((c) => c.args[1]);
      const removed = remove.getCalls().map((c) => c.args[1]);
      expect(removed).to.have.members(added);
    });
  });
});
