// Specs for Service#waitFor() and #waitUntilStopped() (API.md sections 3 and 10): resolving on a
// state, WaitTimeoutError, ServiceCrashedError, aborting through a signal, and no timers left over.
import { expect } from 'chai';
import { BehaviorSubject } from 'rxjs';
import { Service, ServiceCrashedError, WaitTimeoutError } from '../../lib/index.js';
import { deferred, flush, probe, track, useFakeClock } from '../support/lifecycle.js';

const observed = (svc: Service<any>): boolean => (svc.state$ as BehaviorSubject<unknown>).observed;

describe('Service', () => {
  describe('#waitFor()', () => {
    const fake = useFakeClock();

    it('resolves at once when the service is already in the state', async () => {
      const svc = new Service({ name: 'S' });
      const waiting = track(svc.waitFor('init'));
      await flush();
      expect(waiting.outcome).to.deep.equal({ ok: true, value: undefined });
    });

    it('resolves when the service reaches the state', async () => {
      const gate = deferred();
      const svc = probe([], 'S', { hooks: { onStarted: () => gate.promise } });
      const running = track(svc.waitFor('running'));
      const started = svc.start();
      await flush();
      expect(running.settled).to.equal(false);
      gate.resolve();
      await started;
      await flush();
      expect(running.outcome).to.deep.equal({ ok: true, value: undefined });
      const stopped = track(svc.waitFor('stopped'));
      await svc.stop();
      await flush();
      expect(stopped.settled).to.equal(true);
      expect(observed(svc)).to.equal(false);
    });

    it('rejects with WaitTimeoutError once the timeout passes, and not before', async () => {
      const svc = new Service({ name: 'S' });
      const waiting = track(svc.waitFor('running', { timeout: '1s' }));
      await fake.clock.tickAsync(999);
      expect(waiting.settled).to.equal(false);
      await fake.clock.tickAsync(1);
      await flush();
      const error = waiting.error as WaitTimeoutError;
      expect(error).to.be.instanceOf(WaitTimeoutError);
      expect(error.code).to.equal('ERR_WAIT_TIMEOUT');
      expect(error.state).to.equal('running');
      expect(error.timeoutMs).to.equal(1000);
      expect(error.service).to.deep.equal({ id: svc.id, name: 'S', path: 'S' });
      expect(fake.clock.countTimers()).to.equal(0);
      expect(observed(svc)).to.equal(false);
    });

    it('clears its timer when the state comes in time', async () => {
      const svc = new Service({ name: 'S' });
      const waiting = track(svc.waitFor('running', { timeout: 5000 }));
      await svc.start();
      await flush();
      expect(waiting.outcome?.ok).to.equal(true);
      expect(fake.clock.countTimers()).to.equal(0);
      await svc.stop();
    });

    it('rejects with ServiceCrashedError when the service crashes first', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      const waiting = track(svc.waitFor('stopped', { timeout: 1000 }));
      const crash = new Error('boom');
      svc.crash(crash);
      await flush();
      const error = waiting.error as ServiceCrashedError;
      expect(error).to.be.instanceOf(ServiceCrashedError);
      expect(error.code).to.equal('ERR_CRASHED');
      expect(error.cause).to.equal(crash);
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('rejects with ServiceCrashedError when waiting on a service that already crashed', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      svc.crash(new Error('boom'));
      await svc.waitUntilStopped();
      const waiting = track(svc.waitFor('running'));
      await flush();
      expect(waiting.error).to.be.instanceOf(ServiceCrashedError);
    });

    it("resolves on a crash when waiting for 'crashed'", async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      const waiting = track(svc.waitFor('crashed'));
      svc.crash(new Error('boom'));
      await flush();
      expect(waiting.outcome).to.deep.equal({ ok: true, value: undefined });
    });

    it('rejects with signal.reason when the signal aborts, releasing its timer', async () => {
      const svc = new Service({ name: 'S' });
      const controller = new AbortController();
      const waiting = track(svc.waitFor('running', { timeout: 10_000, signal: controller.signal }));
      const reason = new Error('gave up');
      controller.abort(reason);
      await flush();
      expect(waiting.outcome).to.deep.equal({ ok: false, error: reason });
      expect(fake.clock.countTimers()).to.equal(0);
      expect(observed(svc)).to.equal(false);
    });

    it('rejects with signal.reason at once when the signal is already aborted', async () => {
      const svc = new Service({ name: 'S' });
      const reason = new Error('already');
      const waiting = track(svc.waitFor('init', { signal: AbortSignal.abort(reason) }));
      await flush();
      expect(waiting.outcome).to.deep.equal({ ok: false, error: reason });
    });

    it('throws a TypeError for an unknown state or a bad timeout', () => {
      const svc = new Service({ name: 'S' });
      expect(() => svc.waitFor('paused' as 'running')).to.throw(TypeError, /paused/);
      expect(() => svc.waitFor('running', { timeout: -5 })).to.throw(TypeError, /timeout.*-5/);
    });
  });

  describe('#waitUntilStopped()', () => {
    it('resolves once a stop has finished, not when it begins', async () => {
      const gate = deferred();
      const svc = probe([], 'S', { hooks: { onShutdown: () => gate.promise } });
      await svc.start();
      const waiting = track(svc.waitUntilStopped());
      const stopped = svc.stop();
      await flush();
      expect(svc.state).to.equal('stopping');
      expect(waiting.settled).to.equal(false);
      gate.resolve();
      await stopped;
      await flush();
      expect(waiting.outcome).to.deep.equal({ ok: true, value: undefined });
    });

    it('resolves once a crash teardown has finished', async () => {
      const gate = deferred();
      const svc = probe([], 'S', { hooks: { onShutdown: () => gate.promise } });
      await svc.start();
      const waiting = track(svc.waitUntilStopped());
      svc.crash(new Error('boom'));
      await flush();
      expect(waiting.settled).to.equal(false);
      gate.resolve();
      await flush();
      expect(waiting.outcome).to.deep.equal({ ok: true, value: undefined });
    });

    it('resolves at once when already stopped, leaving no subscription', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      await svc.stop();
      await svc.waitUntilStopped();
      expect(observed(svc)).to.equal(false);
    });
  });
});
