// Specs for recordLifecycle (rxmode/testing): states per path, transitions and hooks in the exact
// order they happened, marbles timed by the virtual clock, late children, clear() and stop().
import { expect } from 'chai';
import { Service, ServiceStopError, type ServiceOptions } from '../../lib/index.js';
import { createVirtualClock, recordLifecycle } from '../../lib/testing/index.js';
import { outcome } from '../support/lifecycle.js';

/** A service whose every hook takes `delay` ms of scheduler time (0: synchronous hooks). */
class Part extends Service {
  readonly #delay: number;
  constructor(options: ServiceOptions & { delay?: number }) {
    super(options);
    this.#delay = options.delay ?? 0;
  }
  #take(): Promise<void> | void {
    if (this.#delay === 0) return;
    return new Promise<void>((resolve) => this.scheduler.schedule(() => resolve(), this.#delay));
  }
  protected override onStart(): Promise<void> | void {
    return this.#take();
  }
  protected override onStarted(): Promise<void> | void {
    return this.#take();
  }
  protected override onStop(): Promise<void> | void {
    return this.#take();
  }
  protected override onShutdown(): Promise<void> | void {
    return this.#take();
  }
}

/** app → [db, cache], the children's hooks taking 10 ms each. */
function tree(clock: ReturnType<typeof createVirtualClock>): Part {
  const app = new Part({ name: 'app', scheduler: clock.scheduler });
  app.addDependency(new Part({ name: 'db', delay: 10 }));
  app.addDependency(new Part({ name: 'cache', delay: 10 }));
  return app;
}

describe('recordLifecycle', () => {
  it('keeps the states of every service by path, starting from the state at recording time', async () => {
    const clock = createVirtualClock();
    const app = tree(clock);
    const rec = recordLifecycle(app);
    await clock.until(app.start());
    await clock.until(app.stop());
    const lifecycle = ['init', 'starting', 'running', 'stopping', 'stopped'];
    expect(rec.states).to.deep.equal({ app: lifecycle, 'app/db': lifecycle, 'app/cache': lifecycle });
    rec.stop();
  });

  it('lists transitions and hooks of the whole tree in the order they happened', async () => {
    const clock = createVirtualClock();
    const app = tree(clock);
    const rec = recordLifecycle(app);
    await clock.until(app.start());
    await clock.until(app.stop());
    expect(rec.hooks).to.deep.equal([
      'app.onStart',
      'app/db.onStart',
      'app/db.onStarted',
      'app/cache.onStart',
      'app/cache.onStarted',
      'app.onStarted',
      'app.onStop',
      'app/cache.onStop',
      'app/cache.onShutdown',
      'app/db.onStop',
      'app/db.onShutdown',
      'app.onShutdown',
    ]);
    expect(rec.transitions).to.deep.equal([
      'app: init -> starting',
      'app/db: init -> starting',
      'app/db: starting -> running',
      'app/cache: init -> starting',
      'app/cache: starting -> running',
      'app: starting -> running',
      'app: running -> stopping',
      'app/cache: running -> stopping',
      'app/cache: stopping -> stopped',
      'app/db: running -> stopping',
      'app/db: stopping -> stopped',
      'app: stopping -> stopped',
    ]);
    expect(rec.events.every((e, i) => i === 0 || e.at >= rec.events[i - 1]!.at)).to.equal(true);
    rec.stop();
  });

  it('draws each service as marbles timed by the virtual clock', async () => {
    const clock = createVirtualClock();
    const app = tree(clock);
    const rec = recordLifecycle(app);
    await clock.until(app.start());
    await clock.advance('1s');
    await clock.until(app.stop());
    expect(rec.marbles()).to.equal('s 40ms r 1s x 40ms |');
    expect(rec.marbles('app/db')).to.equal('s 20ms r 1040ms x 20ms |');
    expect(rec.marbles('app/cache')).to.equal('20ms s 20ms r 1s x 20ms |');
    expect(rec.marbles('app/none')).to.equal('');
    rec.stop();
  });

  it('groups what happens at one virtual time, through a crash and a restart', async () => {
    const clock = createVirtualClock();
    const svc = new Service({ name: 'svc', scheduler: clock.scheduler });
    const rec = recordLifecycle(svc);
    await clock.until(svc.start());
    await clock.advance('2s');
    await clock.until(svc.restart());
    await clock.advance('1m');
    svc.crash(new Error('boom'));
    await clock.until(svc.waitUntilStopped());
    expect(rec.marbles()).to.equal('(sr) 2s (x|sr) 1m #');
    expect(rec.ofType('crash').map((e) => (e.error as Error).message)).to.deep.equal(['boom']);
    rec.stop();
  });

  it('marks a hook that threw with !', async () => {
    const clock = createVirtualClock();
    class Leaky extends Service {
      protected override onStop(): void {
        throw new Error('socket already closed');
      }
    }
    const svc = new Leaky({ name: 'leaky', scheduler: clock.scheduler });
    const rec = recordLifecycle(svc);
    await clock.until(svc.start());
    const stopped = await outcome(clock.until(svc.stop()));
    expect((stopped as { error: unknown }).error).to.be.instanceOf(ServiceStopError);
    expect(rec.hooks).to.deep.equal(['leaky.onStop!']);
    expect(rec.states['leaky']).to.deep.equal(['init', 'starting', 'running', 'stopping', 'stopped']);
    rec.stop();
  });

  it('records children added after recording began, from the state they left first', async () => {
    const clock = createVirtualClock();
    const app = new Service({ name: 'app', scheduler: clock.scheduler });
    const rec = recordLifecycle(app);
    await clock.until(app.start());
    await clock.advance(5);
    await clock.until(app.addRuntimeDependency(new Part({ name: 'late', delay: 10 })));
    await clock.until(app.stop());
    expect(rec.states['app/late']).to.deep.equal(['init', 'starting', 'running', 'stopping', 'stopped']);
    expect(rec.marbles('app/late')).to.equal('5ms s 20ms (rx) 20ms |');
    expect(rec.ofType('child').map((e) => `${e.op} ${e.child.path}`)).to.deep.equal(['added app/late']);
    rec.stop();
  });

  it('starts again from the current states after clear()', async () => {
    const clock = createVirtualClock();
    const svc = new Service({ name: 'svc', scheduler: clock.scheduler });
    const rec = recordLifecycle(svc);
    await clock.until(svc.start());
    await clock.advance(100);
    rec.clear();
    expect(rec.origin).to.equal(100);
    expect(rec.states).to.deep.equal({ svc: ['running'] });
    await clock.until(svc.stop());
    expect(rec.transitions).to.deep.equal(['svc: running -> stopping', 'svc: stopping -> stopped']);
    expect(rec.marbles()).to.equal('(x|)');
    rec.stop();
  });

  it('records nothing more once stopped, and stops when disposed by using', async () => {
    const clock = createVirtualClock();
    const svc = new Service({ name: 'svc', scheduler: clock.scheduler });
    const rec = recordLifecycle(svc);
    {
      using scoped = recordLifecycle(svc);
      await clock.until(svc.start());
      expect(scoped.transitions).to.have.length(2);
      expect(scoped.stopped).to.equal(false);
    }
    rec.stop();
    rec.stop();
    expect(rec.stopped).to.equal(true);
    await clock.until(svc.stop());
    expect(rec.transitions).to.deep.equal(['svc: init -> starting', 'svc: starting -> running']);
  });

  it('rejects what is not a Service with a TypeError', () => {
    expect(() => recordLifecycle({} as never)).to.throw(TypeError, /service must be a Service/);
    expect(() => recordLifecycle(undefined as never)).to.throw(TypeError, /received undefined/);
  });
});
