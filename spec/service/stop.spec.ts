// Specs for Service#stop() (API.md section 3.2): the normative order, parallel stop, failing steps
// collected into one ServiceStopError, concurrent and repeated calls, reasons, and `await using`.
import { expect } from 'chai';
import { Service, ServiceStopError, isServiceError } from '../../lib/index.js';
import {
  Probe,
  deferred,
  flush,
  outcome,
  probe,
  recordEvents,
  rejects,
  throws,
  track,
} from '../support/lifecycle.js';

/** P with children [A, B], started. */
async function startedTree(log: string[], hooks: Record<string, Probe['hooks']> = {}, p?: object) {
  const root = probe(log, 'P', { ...p, hooks: hooks.P ?? {} });
  const a = root.addDependency(probe(log, 'A', { hooks: hooks.A ?? {} }));
  const b = root.addDependency(probe(log, 'B', { hooks: hooks.B ?? {} }));
  await root.start();
  log.length = 0;
  return { p: root, a, b };
}

describe('Service', () => {
  describe('#stop()', () => {
    it('calls the hooks in the normative order for P with children [A, B]', async () => {
      const log: string[] = [];
      const { p, a, b } = await startedTree(log);
      await p.stop();
      expect(log).to.deep.equal([
        'P.onStop',
        'B.onStop',
        'B.onShutdown',
        'A.onStop',
        'A.onShutdown',
        'P.onShutdown',
      ]);
      expect([p.state, a.state, b.state]).to.deep.equal(['stopped', 'stopped', 'stopped']);
    });

    it('keeps the order when every hook is async', async () => {
      const log: string[] = [];
      const slow = () => new Promise<void>((resolve) => setImmediate(resolve));
      const hooks = { onStop: slow, onShutdown: slow };
      const { p } = await startedTree(log, { P: hooks, A: hooks, B: hooks });
      await p.stop();
      expect(log).to.deep.equal([
        'P.onStop',
        'B.onStop',
        'B.onShutdown',
        'A.onStop',
        'A.onShutdown',
        'P.onShutdown',
      ]);
    });

    it('enters stopping, emits stop$ and aborts signal before onStop runs', async () => {
      const seen: unknown[] = [];
      const svc = probe([], 'S', {
        hooks: { onStop: (s) => void seen.push(['onStop', s.state, s.signal.aborted]) },
      });
      await svc.start();
      const signal = svc.signal;
      svc.stop$.subscribe((reason) => seen.push(['stop$', svc.state, signal.aborted, reason]));
      await svc.stop();
      expect(seen).to.deep.equal([
        ['stop$', 'stopping', true, { type: 'manual' }],
        ['onStop', 'stopping', true],
      ]);
    });

    it('stops the children, then the work, then the teardowns in reverse, then onShutdown', async () => {
      const log: string[] = [];
      class Worker extends Probe {
        protected override run(signal: AbortSignal): Promise<void> {
          return new Promise<void>((resolve) =>
            signal.addEventListener(
              'abort',
              () => {
                this.log.push('P.run ends');
                resolve();
              },
              { once: true },
            ),
          );
        }
      }
      const p = new Worker(log, { name: 'P' });
      p.addDependency(probe(log, 'A'));
      p.addTeardown(() => void log.push('teardown 1'));
      p.addTeardown(() => void log.push('teardown 2'));
      p.addTask(
        () =>
          new Promise<void>((resolve) =>
            p.signal.addEventListener(
              'abort',
              () => setImmediate(() => (log.push('drain task ends'), resolve())),
              {
                once: true,
              },
            ),
          ),
        { drain: true },
      );
      await p.start();
      log.length = 0;
      await p.stop();
      expect(log.filter((l) => l !== 'P.run ends')).to.deep.equal([
        'P.onStop',
        'A.onStop',
        'A.onShutdown',
        'drain task ends',
        'teardown 2',
        'teardown 1',
        'P.onShutdown',
      ]);
      expect(log.indexOf('P.run ends')).to.be.lessThan(log.indexOf('teardown 2'));
    });

    it("stops the children all at once with stopConcurrency: 'parallel'", async () => {
      const log: string[] = [];
      const gateA = deferred();
      const gateB = deferred();
      const { p, a, b } = await startedTree(
        log,
        { A: { onStop: () => gateA.promise }, B: { onStop: () => gateB.promise } },
        { stopConcurrency: 'parallel' },
      );
      const stopped = track(p.stop());
      await flush();
      expect(log).to.have.members(['P.onStop', 'A.onStop', 'B.onStop']);
      gateA.resolve();
      await flush();
      expect(a.state).to.equal('stopped');
      expect(b.state).to.equal('stopping');
      expect(stopped.settled).to.equal(false);
      gateB.resolve();
      await flush();
      expect(stopped.outcome).to.deep.equal({ ok: true, value: undefined });
      expect(log.at(-1)).to.equal('P.onShutdown');
    });

    it('waits for one child to stop completely before the previous one by default', async () => {
      const log: string[] = [];
      const gate = deferred();
      const { p, a } = await startedTree(log, { B: { onShutdown: () => gate.promise } });
      const stopped = p.stop();
      await flush();
      expect(a.state).to.equal('running');
      expect(log).to.not.include('A.onStop');
      gate.resolve();
      await stopped;
      expect(a.state).to.equal('stopped');
    });

    it('runs every step when earlier ones throw, then rejects with one ServiceStopError', async () => {
      const log: string[] = [];
      const e1 = new Error('P.onStop');
      const e2 = new Error('B.onStop');
      const e3 = new Error('A.onShutdown');
      const e4 = new Error('teardown');
      const e5 = new Error('P.onShutdown');
      const p = probe(log, 'P', { hooks: { onStop: throws(e1), onShutdown: rejects(e5) } });
      const a = p.addDependency(probe(log, 'A', { hooks: { onShutdown: rejects(e3) } }));
      const b = p.addDependency(probe(log, 'B', { hooks: { onStop: throws(e2) } }));
      p.addTeardown(() => {
        throw e4;
      });
      p.addTeardown(() => void log.push('teardown ok'));
      await p.start();
      log.length = 0;
      let stateWhenRejected: string | undefined;
      const result = await outcome(
        p.stop().catch((error: unknown) => ((stateWhenRejected = p.state), Promise.reject(error))),
      );
      expect(log).to.deep.equal([
        'P.onStop',
        'B.onStop',
        'B.onShutdown',
        'A.onStop',
        'A.onShutdown',
        'teardown ok',
        'P.onShutdown',
      ]);
      expect(result.ok).to.equal(false);
      const error = (result as { error: ServiceStopError }).error;
      expect(error).to.be.instanceOf(ServiceStopError);
      expect(isServiceError(error)).to.equal(true);
      expect(error.code).to.equal('ERR_STOP_FAILED');
      expect(error.service).to.deep.equal({ id: p.id, name: 'P', path: 'P' });
      expect(error.errors).to.have.members([e1, e2, e3, e4, e5]);
      expect(error.errors).to.have.length(5);
      expect(stateWhenRejected).to.equal('stopped');
      expect([p.state, a.state, b.state]).to.deep.equal(['stopped', 'stopped', 'stopped']);
    });

    it('collects a failing child stop with stopConcurrency: parallel too', async () => {
      const log: string[] = [];
      const error = new Error('A.onStop');
      const { p, a, b } = await startedTree(
        log,
        { A: { onStop: rejects(error) } },
        { stopConcurrency: 'parallel' },
      );
      const result = await outcome(p.stop());
      expect(result.ok).to.equal(false);
      expect((result as { error: ServiceStopError }).error.errors).to.deep.equal([error]);
      expect([p.state, a.state, b.state]).to.deep.equal(['stopped', 'stopped', 'stopped']);
      expect(log).to.include.members(['A.onShutdown', 'B.onShutdown', 'P.onShutdown']);
    });

    it('shares one promise between concurrent calls and runs the hooks once', async () => {
      const log: string[] = [];
      const gate = deferred();
      const svc = probe(log, 'S', { hooks: { onStop: () => gate.promise } });
      await svc.start();
      log.length = 0;
      const first = svc.stop();
      const second = svc.stop({ type: 'timeout' });
      expect(second).to.equal(first);
      gate.resolve();
      await Promise.all([first, second]);
      expect(log).to.deep.equal(['S.onStop', 'S.onShutdown']);
    });

    it('gives concurrent callers the same ServiceStopError', async () => {
      const svc = probe([], 'S', { hooks: { onStop: rejects(new Error('x')) } });
      await svc.start();
      const [r1, r2] = await Promise.all([outcome(svc.stop()), outcome(svc.stop())]);
      expect(r1.ok).to.equal(false);
      expect((r2 as { error: unknown }).error).to.equal((r1 as { error: unknown }).error);
    });

    it('resolves at once on a stopped service without calling hooks', async () => {
      const log: string[] = [];
      const svc = probe(log, 'S');
      await svc.start();
      await svc.stop();
      log.length = 0;
      const rec = recordEvents(svc);
      const again = track(svc.stop());
      await Promise.resolve();
      await Promise.resolve();
      expect(again.settled).to.equal(true);
      expect(log).to.deep.equal([]);
      expect(rec.events).to.deep.equal([]);
      rec.stop();
    });

    it('does not stop a child again that already stopped on its own', async () => {
      const log: string[] = [];
      const { p, a } = await startedTree(log);
      await a.stop();
      expect(p.state).to.equal('running');
      log.length = 0;
      await p.stop();
      expect(log).to.deep.equal(['P.onStop', 'B.onStop', 'B.onShutdown', 'P.onShutdown']);
    });

    it('passes its reason to state events and stop$, and { type: parent } to the children', async () => {
      const log: string[] = [];
      const { p } = await startedTree(log);
      const rec = recordEvents(p);
      const reasons: unknown[] = [];
      p.stop$.subscribe((r) => reasons.push(r));
      const reason = { type: 'signal', signal: 'SIGTERM' } as const;
      await p.stop(reason);
      expect(reasons).to.deep.equal([reason]);
      const states = rec.ofType('state').map((e) => [e.service.path, e.to, e.reason]);
      expect(states).to.deep.equal([
        ['P', 'stopping', reason],
        ['P/B', 'stopping', { type: 'parent', parent: 'P' }],
        ['P/B', 'stopped', { type: 'parent', parent: 'P' }],
        ['P/A', 'stopping', { type: 'parent', parent: 'P' }],
        ['P/A', 'stopped', { type: 'parent', parent: 'P' }],
        ['P', 'stopped', reason],
      ]);
      rec.stop();
    });

    it('stops with reason { type: manual } by default', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      const rec = recordEvents(svc);
      await svc.stop();
      expect(rec.ofType('state').map((e) => e.reason)).to.deep.equal([
        { type: 'manual' },
        { type: 'manual' },
      ]);
      rec.stop();
    });
  });

  describe('#[Symbol.asyncDispose]()', () => {
    it('stops the service at the end of an `await using` block', async () => {
      const log: string[] = [];
      let outside: Probe | undefined;
      {
        await using svc = probe(log, 'S');
        outside = svc;
        await svc.start();
        expect(svc.state).to.equal('running');
      }
      expect(outside.state).to.equal('stopped');
      expect(log.slice(-2)).to.deep.equal(['S.onStop', 'S.onShutdown']);
    });

    it('stops the service when the block throws', async () => {
      let outside: Service | undefined;
      const run = async () => {
        await using svc = new Service({ name: 'S' });
        outside = svc;
        await svc.start();
        throw new Error('inside');
      };
      const result = await outcome(run());
      expect((result as { error: Error }).error.message).to.equal('inside');
      expect(outside?.state).to.equal('stopped');
    });
  });
});
