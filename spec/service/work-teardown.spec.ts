// Specs for Service#addTeardown() (API.md sections 3, 3.2 and 3.3a): last-in-first-out, every
// teardown runs, Subscription/Disposable/AsyncDisposable, late additions and validation.
import { expect } from 'chai';
import { Subscription } from 'rxjs';
import { Service, ServiceStopError } from '../../lib/index.js';
import { deferred, flush, outcome } from '../support/lifecycle.js';

/** A service that logs its onShutdown hook and the teardowns it is given. */
class Logged extends Service {
  readonly log: string[] = [];
  protected override onShutdown(): void {
    this.log.push('onShutdown');
  }
  /** Adds a teardown that logs `label`. */
  push(label: string): void {
    this.addTeardown(() => void this.log.push(label));
  }
}

describe('Service', () => {
  describe('#addTeardown()', () => {
    it('runs the teardowns last in first out, after the work and before onShutdown', async () => {
      const svc = new Logged();
      svc.addTask(() => new Promise<void>(() => {}), { name: 'work' });
      svc.addTask(
        (signal) =>
          new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => {
              svc.log.push('drained');
              resolve();
            }),
          ),
        { drain: true },
      );
      svc.push('first');
      svc.push('second');
      svc.push('third');
      await svc.start();
      await svc.stop();
      expect(svc.log).to.deep.equal(['drained', 'third', 'second', 'first', 'onShutdown']);
    });

    it('runs every teardown when some throw, then rejects with one ServiceStopError', async () => {
      const svc = new Logged({ name: 'S' });
      const e1 = new Error('one');
      const e2 = new Error('two');
      svc.push('a');
      svc.addTeardown(() => {
        throw e1;
      });
      svc.push('b');
      svc.addTeardown(() => {
        throw e2;
      });
      svc.push('c');
      await svc.start();
      const result = await outcome(svc.stop());
      expect(result.ok).to.equal(false);
      const error = !result.ok && result.error;
      expect(error).to.be.instanceOf(ServiceStopError);
      expect(error.code).to.equal('ERR_STOP_FAILED');
      expect(error.errors).to.deep.equal([e2, e1]);
      expect(svc.log).to.deep.equal(['c', 'b', 'a', 'onShutdown']);
      expect(svc.state).to.equal('stopped');
    });

    it('unsubscribes a Subscription', async () => {
      const svc = new Service();
      const sub = new Subscription();
      svc.addTeardown(sub);
      await svc.start();
      expect(sub.closed).to.equal(false);
      await svc.stop();
      expect(sub.closed).to.equal(true);
    });

    it('disposes a Disposable', async () => {
      const svc = new Service();
      let disposed = 0;
      svc.addTeardown({ [Symbol.dispose]: () => void disposed++ });
      await svc.start();
      await svc.stop();
      expect(disposed).to.equal(1);
    });

    it('awaits an AsyncDisposable before the next teardown and before stop() resolves', async () => {
      const svc = new Logged();
      const gate = deferred();
      svc.push('earlier');
      svc.addTeardown({
        [Symbol.asyncDispose]: async () => {
          svc.log.push('async start');
          await gate.promise;
          svc.log.push('async end');
        },
      });
      await svc.start();
      let stopped = false;
      const stopping = svc.stop().then(() => (stopped = true));
      await flush();
      expect(svc.log).to.deep.equal(['async start']);
      expect(stopped).to.equal(false);
      gate.resolve();
      await stopping;
      expect(svc.log).to.deep.equal(['async start', 'async end', 'earlier', 'onShutdown']);
    });

    it('collects the rejection of an AsyncDisposable in the ServiceStopError', async () => {
      const svc = new Service();
      const boom = new Error('async teardown failed');
      svc.addTeardown({
        [Symbol.asyncDispose]: async () => {
          await Promise.resolve();
          throw boom;
        },
      });
      await svc.start();
      const result = await outcome(svc.stop());
      expect(!result.ok && result.error).to.be.instanceOf(ServiceStopError);
      expect(!result.ok && result.error.errors).to.deep.equal([boom]);
    });

    it('runs a teardown added after the teardown phase ran at once', async () => {
      const late: string[] = [];
      class Late extends Service {
        protected override onShutdown(): void {
          this.addTeardown(() => void late.push('late teardown'));
          late.push('after addTeardown');
        }
      }
      const svc = new Late();
      await svc.start();
      await svc.stop();
      expect(late).to.deep.equal(['late teardown', 'after addTeardown']);
      await svc.start();
      await svc.stop();
      expect(late).to.have.length(4);
    });

    it('runs a teardown added after the teardown phase of a crash at once', async () => {
      const late: string[] = [];
      class Late extends Service {
        protected override onShutdown(): void {
          this.addTeardown(() => void late.push(`late teardown while ${this.state}`));
          late.push('after addTeardown');
        }
      }
      const svc = new Late();
      await svc.start();
      svc.crash(new Error('boom'));
      await svc.waitUntilStopped();
      expect(late).to.deep.equal(['late teardown while crashed', 'after addTeardown']);
      await svc.start();
      await svc.stop();
      expect(late).to.deep.equal([
        'late teardown while crashed',
        'after addTeardown',
        'late teardown while stopping',
        'after addTeardown',
      ]);
    });

    it('runs the teardowns when the service crashes', async () => {
      const svc = new Logged();
      svc.push('cleanup');
      await svc.start();
      svc.crash(new Error('boom'));
      await svc.waitUntilStopped();
      expect(svc.log).to.deep.equal(['cleanup', 'onShutdown']);
    });

    describe('across restarts', () => {
      it('runs a teardown added outside a run at every stop', async () => {
        const svc = new Logged();
        svc.push('definition');
        await svc.start();
        await svc.restart();
        await svc.stop();
        expect(svc.log.filter((l) => l === 'definition')).to.have.length(2);
      });

      it('runs a teardown added during a run once, at the end of that run', async () => {
        class PerRun extends Logged {
          n = 0;
          protected override onStart(): void {
            this.push(`run ${++this.n}`);
          }
        }
        const svc = new PerRun();
        await svc.start();
        await svc.restart();
        await svc.restart();
        await svc.stop();
        expect(svc.log.filter((l) => l.startsWith('run'))).to.deep.equal(['run 1', 'run 2', 'run 3']);
      });
    });

    it('rejects what it cannot run with a TypeError', () => {
      const svc = new Service();
      for (const bad of [42, 'close', {}, { dispose: () => {} }, true]) {
        expect(() => svc.addTeardown(bad as any), JSON.stringify(bad)).to.throw(TypeError, /teardown/);
      }
    });
  });
});
