// Specs for the stop budget (API.md section 3.2, "Budget"): one stopTimeout for the whole tree at the
// root of a stop, stuck parts abandoned and named at the deadline, StopTimeoutError, under fake time.
import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { Service, StartTimeoutError, StopTimeoutError, isServiceError } from '../../lib/index.js';
import {
  deferred,
  flush,
  hangs,
  probe,
  recordEvents,
  track,
  useFakeClock,
  waits,
} from '../support/lifecycle.js';

describe('Service', () => {
  describe('#stop() budget', () => {
    const fake = useFakeClock();

    /** Advances fake time by `ms` and lets promise callbacks run. */
    async function advance(ms: number): Promise<void> {
      await fake.clock.tickAsync(ms);
      await flush();
    }

    it('abandons a stuck onStop after the default 60 s and rejects with StopTimeoutError', async () => {
      const log: string[] = [];
      const svc = probe(log, 'S', { hooks: { onStop: hangs() } });
      await svc.start();
      const stopped = track(svc.stop());
      await advance(59_999);
      expect(stopped.settled).to.equal(false);
      expect(svc.state).to.equal('stopping');
      await advance(1);
      expect(svc.state).to.equal('stopped');
      const error = stopped.error as StopTimeoutError;
      expect(error).to.be.instanceOf(StopTimeoutError);
      expect(isServiceError(error)).to.equal(true);
      expect(error.code).to.equal('ERR_STOP_TIMEOUT');
      expect(error.service).to.deep.equal({ id: svc.id, name: 'S', path: 'S' });
      expect(error.stuck).to.deep.equal([{ path: 'S', phase: 'onStop', elapsedMs: 60_000 }]);
      expect(log).to.include('S.onShutdown');
    });

    it('names a stuck onShutdown', async () => {
      const svc = probe([], 'S', { stopTimeout: 1000, hooks: { onShutdown: hangs() } });
      await svc.start();
      const stopped = track(svc.stop());
      await advance(1000);
      expect(svc.state).to.equal('stopped');
      expect((stopped.error as StopTimeoutError).stuck).to.deep.equal([
        { path: 'S', phase: 'onShutdown', elapsedMs: 1000 },
      ]);
    });

    it('names a stuck child under its own path and still stops the rest of the tree', async () => {
      const log: string[] = [];
      const p = probe(log, 'P', { stopTimeout: '1s' });
      const a = p.addDependency(probe(log, 'A', { hooks: { onStop: hangs() } }));
      const b = p.addDependency(probe(log, 'B'));
      await p.start();
      log.length = 0;
      const rec = recordEvents(p);
      const stopped = track(p.stop());
      await advance(999);
      expect(stopped.settled).to.equal(false);
      expect(log).to.deep.equal(['P.onStop', 'B.onStop', 'B.onShutdown', 'A.onStop']);
      await advance(1);
      const stuck = [{ path: 'P/A', phase: 'onStop', elapsedMs: 1000 }];
      expect((stopped.error as StopTimeoutError).stuck).to.deep.equal(stuck);
      expect([p.state, a.state, b.state]).to.deep.equal(['stopped', 'stopped', 'stopped']);
      expect(log).to.deep.equal([
        'P.onStop',
        'B.onStop',
        'B.onShutdown',
        'A.onStop',
        'A.onShutdown',
        'P.onShutdown',
      ]);
      const timeouts = rec.ofType('stop-timeout');
      expect(timeouts).to.have.length(1);
      expect(timeouts[0]).to.deep.include({ at: 1000, stuck });
      expect(timeouts[0]?.service).to.deep.equal({ id: p.id, name: 'P', path: 'P' });
      rec.stop();
    });

    it('names every stuck part when the children stop in parallel', async () => {
      const p = probe([], 'P', { stopTimeout: 500, stopConcurrency: 'parallel' });
      p.addDependency(probe([], 'A', { hooks: { onStop: hangs() } }));
      p.addDependency(probe([], 'B', { hooks: { onShutdown: hangs() } }));
      await p.start();
      const stopped = track(p.stop());
      await advance(500);
      expect(p.state).to.equal('stopped');
      expect((stopped.error as StopTimeoutError).stuck).to.have.deep.members([
        { path: 'P/A', phase: 'onStop', elapsedMs: 500 },
        { path: 'P/B', phase: 'onShutdown', elapsedMs: 500 },
      ]);
    });

    it('names a stuck drain task as task:<name>, with the time since it was awaited', async () => {
      const svc = probe([], 'S', { stopTimeout: 1000, hooks: { onStop: waits(300) } });
      svc.addTask(() => new Promise<void>(() => {}), { name: 'pump', drain: true });
      await svc.start();
      const stopped = track(svc.stop());
      await advance(1000);
      expect(svc.state).to.equal('stopped');
      expect((stopped.error as StopTimeoutError).stuck).to.deep.equal([
        { path: 'S', phase: 'task:pump', elapsedMs: 700 },
      ]);
    });

    it('names a run() that ignores its signal as run', async () => {
      class Stubborn extends Service {
        protected override run(): Promise<void> {
          return new Promise<void>(() => {});
        }
      }
      const svc = new Stubborn({ name: 'S', stopTimeout: 200 });
      await svc.start();
      const stopped = track(svc.stop());
      await advance(200);
      expect(svc.state).to.equal('stopped');
      expect((stopped.error as StopTimeoutError).stuck).to.deep.equal([
        { path: 'S', phase: 'run', elapsedMs: 200 },
      ]);
    });

    it('names a timer body still in flight as timer:<name>', async () => {
      const svc = new Service({ name: 'S', stopTimeout: 1000 });
      svc.addTimer(100, () => new Promise<void>(() => {}), { name: 'flush' });
      await svc.start();
      await advance(150);
      const stopped = track(svc.stop());
      await advance(1000);
      expect(svc.state).to.equal('stopped');
      expect((stopped.error as StopTimeoutError).stuck).to.deep.equal([
        { path: 'S', phase: 'timer:flush', elapsedMs: 1000 },
      ]);
    });

    it('names a stuck async teardown as teardown and still runs the remaining synchronous ones', async () => {
      const log: string[] = [];
      const svc = probe(log, 'S', { stopTimeout: 100 });
      svc.addTeardown(() => void log.push('first registered, runs last'));
      svc.addTeardown({ [Symbol.asyncDispose]: () => new Promise<void>(() => {}) });
      await svc.start();
      log.length = 0;
      const stopped = track(svc.stop());
      await advance(100);
      expect(svc.state).to.equal('stopped');
      expect((stopped.error as StopTimeoutError).stuck).to.deep.equal([
        { path: 'S', phase: 'teardown', elapsedMs: 100 },
      ]);
      expect(log).to.deep.equal(['S.onStop', 'first registered, runs last', 'S.onShutdown']);
    });

    it('calls the remaining hooks without awaiting them once the budget is spent', async () => {
      const log: string[] = [];
      const p = probe(log, 'P', { stopTimeout: 100, hooks: { onStop: hangs(), onShutdown: hangs() } });
      const a = p.addDependency(probe(log, 'A', { hooks: { onShutdown: hangs() } }));
      await p.start();
      log.length = 0;
      const stopped = track(p.stop());
      await advance(100);
      expect(log).to.deep.equal(['P.onStop', 'A.onStop', 'A.onShutdown', 'P.onShutdown']);
      expect([p.state, a.state]).to.deep.equal(['stopped', 'stopped']);
      expect((stopped.error as StopTimeoutError).stuck).to.deep.equal([
        { path: 'P', phase: 'onStop', elapsedMs: 100 },
      ]);
    });

    it("uses the root's budget for the whole tree: a child's larger stopTimeout does not extend it", async () => {
      const p = probe([], 'P', { stopTimeout: 1000 });
      const a = p.addDependency(probe([], 'A', { stopTimeout: '10s', hooks: { onStop: hangs() } }));
      await p.start();
      const stopped = track(p.stop());
      await advance(1000);
      expect(stopped.error).to.be.instanceOf(StopTimeoutError);
      expect([p.state, a.state]).to.deep.equal(['stopped', 'stopped']);
    });

    it('gives a child its own stopTimeout when the child is the root of the stop', async () => {
      const p = probe([], 'P', { stopTimeout: 1000 });
      const a = p.addDependency(probe([], 'A', { stopTimeout: '3s', hooks: { onStop: hangs() } }));
      await p.start();
      const stopped = track(a.stop());
      await advance(2999);
      expect(stopped.settled).to.equal(false);
      await advance(1);
      expect((stopped.error as StopTimeoutError).stuck).to.deep.equal([
        { path: 'P/A', phase: 'onStop', elapsedMs: 3000 },
      ]);
      expect(a.state).to.equal('stopped');
      expect(p.state).to.equal('running');
      await p.stop();
    });

    it('cuts short a child already stopping under a later deadline of its own', async () => {
      const p = probe([], 'P', { stopTimeout: 1000 });
      const a = p.addDependency(probe([], 'A', { stopTimeout: '10s', hooks: { onStop: hangs() } }));
      await p.start();
      const childStop = track(a.stop());
      await advance(100);
      const stopped = track(p.stop());
      await advance(1000);
      expect([p.state, a.state]).to.deep.equal(['stopped', 'stopped']);
      expect((stopped.error as StopTimeoutError).stuck).to.deep.equal([
        { path: 'P/A', phase: 'onStop', elapsedMs: 1100 },
      ]);
      expect(childStop.settled).to.equal(true);
    });

    it('rejects every concurrent caller when the budget runs out', async () => {
      const svc = probe([], 'S', { stopTimeout: 100, hooks: { onStop: hangs() } });
      await svc.start();
      const first = track(svc.stop());
      const second = track(svc.stop());
      await advance(100);
      expect(first.error).to.be.instanceOf(StopTimeoutError);
      expect(second.error).to.equal(first.error);
    });

    it('does not time out a stop that finishes in time', async () => {
      const svc = probe([], 'S', { stopTimeout: 1000, hooks: { onStop: waits(999) } });
      await svc.start();
      const stopped = track(svc.stop());
      await advance(999);
      expect(stopped.outcome).to.deep.equal({ ok: true, value: undefined });
      await advance(5000);
      expect(svc.state).to.equal('stopped');
    });

    it('stays stopped and can start again when an abandoned hook settles late', async () => {
      const gate = deferred();
      let stops = 0;
      const svc = probe([], 'S', {
        stopTimeout: 100,
        hooks: { onStop: () => (stops++ === 0 ? gate.promise : undefined) },
      });
      const rec = recordEvents(svc);
      await svc.start();
      const stopped = track(svc.stop());
      await advance(100);
      expect(stopped.error).to.be.instanceOf(StopTimeoutError);
      gate.resolve();
      await flush();
      expect(svc.state).to.equal('stopped');
      await svc.start();
      expect(svc.state).to.equal('running');
      await svc.stop();
      expect(rec.transitions()).to.deep.equal([
        'S:init>starting',
        'S:starting>running',
        'S:running>stopping',
        'S:stopping>stopped',
        'S:stopped>starting',
        'S:starting>running',
        'S:running>stopping',
        'S:stopping>stopped',
      ]);
      rec.stop();
    });

    it('raises no unhandled rejection when abandoned hooks reject later', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const stopGate = deferred();
        const shutdownGate = deferred();
        const p = probe([], 'P', { stopTimeout: 100, hooks: { onStop: () => stopGate.promise } });
        p.addDependency(
          probe([], 'A', { hooks: { onStop: hangs(), onShutdown: () => shutdownGate.promise } }),
        );
        await p.start();
        const stopped = track(p.stop());
        await advance(100);
        expect(stopped.error).to.be.instanceOf(StopTimeoutError);
        stopGate.reject(new Error('late onStop failure'));
        shutdownGate.reject(new Error('late onShutdown failure'));
        await flush(5);
        expect(unhandled).to.deep.equal([]);
        expect(p.state).to.equal('stopped');
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('bounds a crash teardown by stopTimeout too, staying crashed', async () => {
      const log: string[] = [];
      const svc = probe(log, 'S', { stopTimeout: 500, hooks: { onStop: hangs() } });
      const rec = recordEvents(svc);
      await svc.start();
      svc.crash(new Error('boom'));
      const torn = track(svc.waitUntilStopped());
      await advance(499);
      expect(torn.settled).to.equal(false);
      await advance(1);
      expect(torn.settled).to.equal(true);
      expect(svc.state).to.equal('crashed');
      expect(log).to.include('S.onShutdown');
      expect(rec.ofType('stop-timeout').map((e) => e.stuck)).to.deep.equal([
        [{ path: 'S', phase: 'onStop', elapsedMs: 500 }],
      ]);
      rec.stop();
    });

    it("bounds an escalated crash by the crashed root's stopTimeout, cutting the child's teardown short", async () => {
      const p = probe([], 'P', { stopTimeout: 500 });
      const a = p.addDependency(probe([], 'A', { hooks: { onStop: hangs() } }));
      const rec = recordEvents(p);
      await p.start();
      a.crash(new Error('boom'));
      const torn = track(p.waitUntilStopped());
      await advance(499);
      expect(torn.settled).to.equal(false);
      await advance(1);
      expect(torn.settled).to.equal(true);
      expect([p.state, a.state]).to.deep.equal(['crashed', 'crashed']);
      const timeouts = rec.ofType('stop-timeout');
      expect(timeouts.map((e) => [e.service.path, e.at, e.stuck])).to.deep.equal([
        ['P', 500, [{ path: 'P/A', phase: 'onStop', elapsedMs: 500 }]],
      ]);
      expect(fake.clock.countTimers()).to.equal(0);
      rec.stop();
    });

    it('abandons a start hook in flight when a stop during start runs out of budget', async () => {
      const log: string[] = [];
      const svc = probe(log, 'S', { stopTimeout: 300, hooks: { onStart: hangs() } });
      const started = track(svc.start());
      await flush();
      const stopped = track(svc.stop());
      await advance(299);
      expect(svc.state).to.equal('stopping');
      await advance(1);
      expect(svc.state).to.equal('stopped');
      expect(stopped.error).to.be.instanceOf(StopTimeoutError);
      expect(log).to.include.members(['S.onStop', 'S.onShutdown']);
      expect(log).to.not.include('S.onStarted');
      expect(started.settled, 'start() settled after the interrupting stop finished').to.equal(true);
    });
  });

  describe('budgets on an injected scheduler', () => {
    it('measures the stop budget of the whole subtree on the scheduler option', async () => {
      const scheduler = new VirtualTimeScheduler();
      const p = probe([], 'P', { scheduler, stopTimeout: '30s' });
      p.addDependency(probe([], 'A', { hooks: { onShutdown: hangs() } }));
      await p.start();
      const rec = recordEvents(p);
      const stopped = track(p.stop());
      await flush();
      expect(stopped.settled).to.equal(false);
      scheduler.flush();
      await flush();
      expect(scheduler.now()).to.equal(30_000);
      expect(p.state).to.equal('stopped');
      expect((stopped.error as StopTimeoutError).stuck).to.deep.equal([
        { path: 'P/A', phase: 'onShutdown', elapsedMs: 30_000 },
      ]);
      expect(rec.ofType('stop-timeout').map((e) => e.at)).to.deep.equal([30_000]);
      rec.stop();
    });

    it('measures the start timeout on the scheduler option', async () => {
      const scheduler = new VirtualTimeScheduler();
      const svc = probe([], 'S', { scheduler, startTimeout: '2m', hooks: { onStart: hangs() } });
      const started = track(svc.start());
      await flush();
      scheduler.flush();
      await flush();
      expect(svc.state).to.equal('crashed');
      expect((started.error as StartTimeoutError).timeoutMs).to.equal(120_000);
      expect(scheduler.now()).to.equal(120_000);
    });
  });
});
