// Specs for Service#start() (API.md section 3.1 and 3.3a): the normative order, concurrency,
// concurrent and repeated calls, maybeStart(), failing steps with rollback, and the start timeout.
import { expect } from 'chai';
import { Service, StartTimeoutError, isServiceError } from '../../lib/index.js';
import {
  Probe,
  deferred,
  flush,
  hangs,
  outcome,
  probe,
  track,
  recordEvents,
  rejects,
  throws,
  useFakeClock,
  waits,
} from '../support/lifecycle.js';

const hooksOnly = (log: string[]): string[] => log.filter((line) => !line.endsWith('.onInitDependencies'));

/** P with children [A, B], all logging into one array. */
function tree(log: string[], options: { p?: ConstructorParameters<typeof Probe>[1] } = {}) {
  const p = probe(log, 'P', options.p);
  const a = p.addDependency(probe(log, 'A'));
  const b = p.addDependency(probe(log, 'B'));
  return { p, a, b };
}

describe('Service', () => {
  describe('#start()', () => {
    it('calls the hooks in the normative order for P with children [A, B]', async () => {
      const log: string[] = [];
      const { p } = tree(log);
      await p.start();
      expect(hooksOnly(log)).to.deep.equal([
        'P.onFirstStart',
        'P.onStart',
        'A.onFirstStart',
        'A.onStart',
        'A.onStarted',
        'B.onFirstStart',
        'B.onStart',
        'B.onStarted',
        'P.onStarted',
      ]);
      await p.stop();
    });

    it('waits for each async hook and each child before the next step', async () => {
      const log: string[] = [];
      const slow = () => new Promise<void>((resolve) => setImmediate(resolve));
      const p = probe(log, 'P', { hooks: { onFirstStart: slow, onStart: slow, onStarted: slow } });
      p.addDependency(probe(log, 'A', { hooks: { onStart: slow, onStarted: slow } }));
      p.addDependency(probe(log, 'B', { hooks: { onFirstStart: slow } }));
      await p.start();
      expect(hooksOnly(log)).to.deep.equal([
        'P.onFirstStart',
        'P.onStart',
        'A.onFirstStart',
        'A.onStart',
        'A.onStarted',
        'B.onFirstStart',
        'B.onStart',
        'B.onStarted',
        'P.onStarted',
      ]);
      await p.stop();
    });

    it('adds onInitDependencies() results before onFirstStart and starts them as children', async () => {
      const log: string[] = [];
      const c = probe(log, 'C');
      const p = probe(log, 'P', { initDependencies: [c] });
      p.addDependency(probe(log, 'A'));
      const rec = recordEvents(p);
      await p.start();
      expect(rec.ofType('child').map((e) => [e.op, e.child.path])).to.deep.equal([['added', 'P/C']]);
      rec.stop();
      expect(log.slice(0, 3)).to.deep.equal(['P.onInitDependencies', 'P.onFirstStart', 'P.onStart']);
      expect(p.children.map((s) => s.name)).to.deep.equal(['A', 'C']);
      expect(c.parent).to.equal(p);
      expect(c.state).to.equal('running');
      await p.stop();
    });

    it('is starting during the start hooks, and running once start() resolves', async () => {
      const seen: string[] = [];
      const record = (s: Probe) => void seen.push(s.state);
      const svc = probe([], 'S', { hooks: { onFirstStart: record, onStart: record, onStarted: record } });
      await svc.start();
      expect(seen).to.deep.equal(['starting', 'starting', 'starting']);
      expect(svc.state).to.equal('running');
      await svc.stop();
    });

    it('subscribes run() after the children are running and before onStarted', async () => {
      const log: string[] = [];
      let childStateInRun: string | undefined;
      class Worker extends Probe {
        protected override run(): void {
          childStateInRun = this.children[0]?.state;
          this.log.push('P.run');
        }
      }
      const p = new Worker(log, { name: 'P' });
      p.addDependency(probe(log, 'A'));
      await p.start();
      expect(hooksOnly(log)).to.deep.equal([
        'P.onFirstStart',
        'P.onStart',
        'A.onFirstStart',
        'A.onStart',
        'A.onStarted',
        'P.run',
        'P.onStarted',
      ]);
      expect(childStateInRun).to.equal('running');
      await p.stop();
    });

    it('starts a child added in onStart with the same start', async () => {
      const log: string[] = [];
      const late = probe(log, 'L');
      const p = probe(log, 'P', { hooks: { onStart: (s) => void s.addDependency(late) } });
      await p.start();
      expect(late.state).to.equal('running');
      expect(hooksOnly(log)).to.deep.equal([
        'P.onFirstStart',
        'P.onStart',
        'L.onFirstStart',
        'L.onStart',
        'L.onStarted',
        'P.onStarted',
      ]);
      await p.stop();
    });

    it("starts the children all at once with startConcurrency: 'parallel'", async () => {
      const log: string[] = [];
      const gateA = deferred();
      const gateB = deferred();
      const p = probe(log, 'P', { startConcurrency: 'parallel' });
      const a = p.addDependency(probe(log, 'A', { hooks: { onStart: () => gateA.promise } }));
      const b = p.addDependency(probe(log, 'B', { hooks: { onStart: () => gateB.promise } }));
      const started = p.start();
      await flush();
      expect(hooksOnly(log)).to.deep.equal([
        'P.onFirstStart',
        'P.onStart',
        'A.onFirstStart',
        'A.onStart',
        'B.onFirstStart',
        'B.onStart',
      ]);
      gateB.resolve();
      await flush();
      expect(b.state).to.equal('running');
      expect(a.state).to.equal('starting');
      expect(p.state).to.equal('starting');
      gateA.resolve();
      await started;
      expect(log.at(-1)).to.equal('P.onStarted');
      await p.stop();
    });

    it('starts the children one after the other by default', async () => {
      const log: string[] = [];
      const gateA = deferred();
      const { p, b } = (() => {
        const p = probe(log, 'P');
        p.addDependency(probe(log, 'A', { hooks: { onStart: () => gateA.promise } }));
        const b = p.addDependency(probe(log, 'B'));
        return { p, b };
      })();
      const started = p.start();
      await flush();
      expect(b.state).to.equal('init');
      expect(log).to.not.include('B.onStart');
      gateA.resolve();
      await started;
      expect(b.state).to.equal('running');
      await p.stop();
    });

    it('shares one promise between concurrent calls and runs the hooks once', async () => {
      const log: string[] = [];
      const gate = deferred();
      const svc = probe(log, 'S', { hooks: { onStart: () => gate.promise } });
      const first = svc.start();
      const second = svc.start();
      expect(second).to.equal(first);
      gate.resolve();
      await Promise.all([first, second]);
      expect(hooksOnly(log)).to.deep.equal(['S.onFirstStart', 'S.onStart', 'S.onStarted']);
      await svc.stop();
    });

    it('resolves at once on a running service without calling hooks again', async () => {
      const log: string[] = [];
      const svc = probe(log, 'S');
      await svc.start();
      log.length = 0;
      const rec = recordEvents(svc);
      await svc.start();
      expect(log).to.deep.equal([]);
      expect(rec.events).to.deep.equal([]);
      expect(svc.state).to.equal('running');
      rec.stop();
      await svc.stop();
    });

    it('on a stopping service waits for the stop to finish, then starts', async () => {
      const log: string[] = [];
      const gate = deferred();
      const svc = probe(log, 'S', { hooks: { onStop: () => gate.promise } });
      await svc.start();
      log.length = 0;
      const stopping = svc.stop();
      const starting = svc.start();
      await flush();
      expect(svc.state).to.equal('stopping');
      expect(log).to.deep.equal(['S.onStop']);
      gate.resolve();
      await starting;
      await stopping;
      expect(log).to.deep.equal(['S.onStop', 'S.onShutdown', 'S.onStart', 'S.onStarted']);
      expect(svc.state).to.equal('running');
      await svc.stop();
    });

    it('starts a stopped service again, with onStart but without onFirstStart', async () => {
      const log: string[] = [];
      const { p } = tree(log);
      await p.start();
      await p.stop();
      log.length = 0;
      await p.start();
      expect(log).to.deep.equal([
        'P.onStart',
        'A.onStart',
        'A.onStarted',
        'B.onStart',
        'B.onStarted',
        'P.onStarted',
      ]);
      await p.stop();
    });
  });

  describe('#maybeStart()', () => {
    it('starts from init, stopped and crashed and resolves true', async () => {
      const svc = new Service({ name: 'S' });
      expect(await svc.maybeStart()).to.equal(true);
      expect(svc.state).to.equal('running');
      await svc.stop();
      expect(await svc.maybeStart()).to.equal(true);
      expect(svc.state).to.equal('running');
      svc.crash(new Error('boom'));
      await svc.waitUntilStopped();
      expect(await svc.maybeStart()).to.equal(true);
      expect(svc.state).to.equal('running');
      await svc.stop();
    });

    it('resolves false while starting or running, without starting twice', async () => {
      const log: string[] = [];
      const gate = deferred();
      const svc = probe(log, 'S', { hooks: { onStart: () => gate.promise } });
      const started = svc.start();
      expect(await svc.maybeStart()).to.equal(false);
      gate.resolve();
      await started;
      expect(await svc.maybeStart()).to.equal(false);
      expect(log.filter((l) => l === 'S.onStart')).to.have.length(1);
      await svc.stop();
    });
  });

  describe('#start() when a step fails', () => {
    for (const hook of ['onFirstStart', 'onStart', 'onStarted'] as const) {
      it(`rejects with the error of ${hook}, crashes, and keeps the error as crashReason`, async () => {
        const error = new Error(`${hook} failed`);
        const svc = probe([], 'S', { hooks: { [hook]: rejects(error) } });
        const result = await outcome(svc.start());
        expect(result).to.deep.equal({ ok: false, error });
        expect(svc.state).to.equal('crashed');
        expect(svc.crashReason).to.equal(error);
      });
    }

    it('rejects with a synchronously thrown error too', async () => {
      const error = new Error('sync');
      const svc = probe([], 'S', { hooks: { onStart: throws(error) } });
      const result = await outcome(svc.start());
      expect(result).to.deep.equal({ ok: false, error });
      expect(svc.state).to.equal('crashed');
    });

    it('rolls back what started, in reverse, and skips what did not start', async () => {
      const log: string[] = [];
      const error = new Error('C failed');
      const p = probe(log, 'P');
      const a = p.addDependency(probe(log, 'A'));
      const b = p.addDependency(probe(log, 'B'));
      const c = p.addDependency(probe(log, 'C', { hooks: { onStart: rejects(error) } }));
      const d = p.addDependency(probe(log, 'D'));
      const result = await outcome(p.start());
      expect(result).to.deep.equal({ ok: false, error });
      expect(p.state).to.equal('crashed');
      expect(c.state).to.equal('crashed');
      expect([a.state, b.state]).to.deep.equal(['stopped', 'stopped']);
      expect(d.state).to.not.equal('running');
      expect(log).to.not.include('D.onStart');
      expect(log).to.not.include('P.onStarted');
      const rollback = log.filter((l) => /^[AB]\.(onStop|onShutdown)$/.test(l));
      expect(rollback).to.deep.equal(['B.onStop', 'B.onShutdown', 'A.onStop', 'A.onShutdown']);
      expect(log.indexOf('P.onShutdown')).to.be.greaterThan(log.indexOf('A.onShutdown'));
    });

    it('unsubscribes the work and stops the children when onStarted fails', async () => {
      const log: string[] = [];
      const error = new Error('late');
      let runSignal: AbortSignal | undefined;
      class Worker extends Probe {
        protected override run(signal: AbortSignal): Promise<void> {
          runSignal = signal;
          return new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => resolve(), { once: true }),
          );
        }
      }
      const p = new Worker(log, { name: 'P', hooks: { onStarted: rejects(error) } });
      const a = p.addDependency(probe(log, 'A'));
      const result = await outcome(p.start());
      expect(result).to.deep.equal({ ok: false, error });
      expect(runSignal?.aborted).to.equal(true);
      expect(a.state).to.equal('stopped');
      expect(log).to.include.members(['A.onStop', 'A.onShutdown', 'P.onStop', 'P.onShutdown']);
      expect(p.state).to.equal('crashed');
    });

    it('rejects only after the rollback has finished', async () => {
      const log: string[] = [];
      const error = new Error('B failed');
      const gate = deferred();
      const p = probe(log, 'P');
      const a = p.addDependency(probe(log, 'A', { hooks: { onShutdown: () => gate.promise } }));
      p.addDependency(probe(log, 'B', { hooks: { onStart: rejects(error) } }));
      let settled = false;
      const started = p.start().finally(() => (settled = true));
      await flush();
      expect(log).to.include('A.onShutdown');
      expect(settled).to.equal(false);
      gate.resolve();
      expect(await outcome(started)).to.deep.equal({ ok: false, error });
      expect(a.state).to.equal('stopped');
    });

    it('can be started again after a failed start, clearing crashReason', async () => {
      let fail = true;
      const svc = probe([], 'S', {
        hooks: {
          onStart: () => {
            if (fail) throw new Error('first start fails');
          },
        },
      });
      expect((await outcome(svc.start())).ok).to.equal(false);
      fail = false;
      await svc.start();
      expect(svc.state).to.equal('running');
      expect(svc.crashReason).to.equal(undefined);
      await svc.stop();
    });
  });

  describe('#start() with a timeout', () => {
    const fake = useFakeClock();

    for (const hook of ['onFirstStart', 'onStart', 'onStarted'] as const) {
      it(`rejects with StartTimeoutError naming ${hook} when it hangs past startTimeout`, async () => {
        const svc = probe([], 'S', { startTimeout: 1000, hooks: { [hook]: hangs() } });
        const started = track(svc.start());
        await fake.clock.tickAsync(999);
        expect(started.settled).to.equal(false);
        expect(svc.state).to.equal('starting');
        await fake.clock.tickAsync(1);
        await flush();
        expect(svc.state).to.equal('crashed');
        expect(started.settled, 'start() settled').to.equal(true);
        const error = started.error as StartTimeoutError;
        expect(error).to.be.instanceOf(StartTimeoutError);
        expect(isServiceError(error)).to.equal(true);
        expect(error.code).to.equal('ERR_START_TIMEOUT');
        expect(error.phase).to.equal(hook);
        expect(error.timeoutMs).to.equal(1000);
        expect(error.service).to.deep.equal({ id: svc.id, name: 'S', path: 'S' });
        expect(svc.crashReason).to.equal(error);
      });
    }

    it('counts the children towards the timeout and rolls them back within the stop budget', async () => {
      const log: string[] = [];
      const p = probe(log, 'P', { startTimeout: '2s', stopTimeout: 500 });
      const a = p.addDependency(probe(log, 'A', { hooks: { onStart: waits(1500) } }));
      const b = p.addDependency(probe(log, 'B', { hooks: { onStart: hangs() } }));
      const started = track(p.start());
      await fake.clock.tickAsync(2000);
      expect(p.state).to.equal('crashed');
      expect(b.state).to.equal('stopping');
      // B's start hook in flight is given the stop budget, then abandoned
      await fake.clock.tickAsync(500);
      await flush();
      expect(a.state).to.equal('stopped');
      expect(b.state).to.equal('stopped');
      expect(log).to.include.members(['A.onStop', 'A.onShutdown']);
      expect(started.settled, 'start() settled').to.equal(true);
      expect(started.error).to.be.instanceOf(StartTimeoutError);
      expect((started.error as StartTimeoutError).phase).to.equal('children');
    });

    it('takes a per-call timeout that overrides startTimeout', async () => {
      const svc = probe([], 'S', { startTimeout: 10_000, hooks: { onStart: hangs() } });
      const started = track(svc.start({ timeout: '250ms' }));
      await fake.clock.tickAsync(250);
      await flush();
      expect(svc.state).to.equal('crashed');
      expect(started.settled, 'start() settled').to.equal(true);
      expect((started.error as StartTimeoutError).timeoutMs).to.equal(250);
    });

    it('rejects when a start step finishes after the timeout already fired', async () => {
      const gate = deferred();
      const svc = probe([], 'S', { startTimeout: 1000, hooks: { onStart: () => gate.promise } });
      const started = track(svc.start());
      await fake.clock.tickAsync(1000);
      gate.resolve();
      await flush();
      expect(started.error).to.be.instanceOf(StartTimeoutError);
      expect(svc.state).to.equal('crashed');
    });

    it('does not time out a start that finishes in time, and leaves no timer behind', async () => {
      const svc = probe([], 'S', { startTimeout: 1000, hooks: { onStart: waits(999) } });
      const started = svc.start();
      await fake.clock.tickAsync(999);
      await started;
      expect(svc.state).to.equal('running');
      expect(fake.clock.countTimers()).to.equal(0);
      await fake.clock.tickAsync(5000);
      expect(svc.state).to.equal('running');
      await svc.stop();
    });
  });

  describe('#start() with a signal', () => {
    it('rejects with signal.reason after rolling back when the signal aborts, ending stopped', async () => {
      const log: string[] = [];
      const gate = deferred();
      const p = probe(log, 'P');
      const a = p.addDependency(probe(log, 'A'));
      p.addDependency(probe(log, 'B', { hooks: { onStart: () => gate.promise } }));
      const controller = new AbortController();
      const reason = new Error('no longer needed');
      const started = outcome(p.start({ signal: controller.signal }));
      await flush();
      controller.abort(reason);
      gate.resolve();
      expect(await started).to.deep.equal({ ok: false, error: reason });
      expect(p.state).to.equal('stopped');
      expect(a.state).to.equal('stopped');
      expect(log).to.include.members(['A.onStop', 'A.onShutdown', 'P.onStop', 'P.onShutdown']);
      expect(log).to.not.include('P.onStarted');
    });

    it('rejects with signal.reason at once when the signal is already aborted, running no hook', async () => {
      const log: string[] = [];
      const svc = probe(log, 'S');
      const reason = new Error('aborted before');
      const result = await outcome(svc.start({ signal: AbortSignal.abort(reason) }));
      expect(result).to.deep.equal({ ok: false, error: reason });
      expect(log).to.deep.equal([]);
      expect(svc.state).to.not.equal('running');
      await svc.stop();
    });

    it('ignores an abort that comes after the start finished', async () => {
      const controller = new AbortController();
      const svc = new Service({ name: 'S' });
      await svc.start({ signal: controller.signal });
      controller.abort();
      await flush();
      expect(svc.state).to.equal('running');
      await svc.stop();
    });
  });
});
