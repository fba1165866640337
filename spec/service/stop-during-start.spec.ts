// Specs for a stop requested while a start is in flight (API.md sections 3.1 and 3.3a), in each
// start phase: remaining steps skipped, what started stopped, start() resolving once stopped.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';
import { Probe, deferred, flush, probe, recordEvents, track, type Deferred } from '../support/lifecycle.js';

type Phase = 'onFirstStart' | 'onStart' | 'A.onStart' | 'onStarted';

/** P with children [A, B] and a run(), where `phase` waits on `gate`. */
function treeBlockedIn(phase: Phase, log: string[], gate: Deferred) {
  let runSignal: AbortSignal | undefined;
  class Worker extends Probe {
    protected override run(signal: AbortSignal): Promise<void> {
      runSignal = signal;
      this.log.push('P.run');
      return new Promise<void>((resolve) =>
        signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    }
  }
  const block = () => gate.promise;
  const p = new Worker(log, {
    name: 'P',
    hooks: phase === 'A.onStart' ? {} : { [phase]: block },
  });
  const a = p.addDependency(probe(log, 'A', { hooks: phase === 'A.onStart' ? { onStart: block } : {} }));
  const b = p.addDependency(probe(log, 'B'));
  return { p, a, b, runSignal: () => runSignal };
}

const hooks = (log: string[]) => log.filter((l) => !l.endsWith('.onInitDependencies'));

describe('Service', () => {
  describe('#stop() during #start()', () => {
    it('in onFirstStart: skips the rest of the start, runs onStop and onShutdown, start() resolves stopped', async () => {
      const log: string[] = [];
      const gate = deferred();
      const { p, a, b } = treeBlockedIn('onFirstStart', log, gate);
      const started = track(p.start());
      await flush();
      const stopped = track(p.stop());
      expect(p.state).to.equal('stopping');
      gate.resolve();
      await flush();
      expect(hooks(log)).to.deep.equal(['P.onFirstStart', 'P.onStop', 'P.onShutdown']);
      expect(started.outcome).to.deep.equal({ ok: true, value: undefined });
      expect(stopped.outcome).to.deep.equal({ ok: true, value: undefined });
      expect([p.state, a.state, b.state]).to.deep.equal(['stopped', 'stopped', 'stopped']);
    });

    it('in onStart: the children never start', async () => {
      const log: string[] = [];
      const gate = deferred();
      const { p, a, b, runSignal } = treeBlockedIn('onStart', log, gate);
      const rec = recordEvents(p);
      const started = track(p.start());
      await flush();
      const stopped = track(p.stop());
      gate.resolve();
      await flush();
      expect(hooks(log)).to.deep.equal(['P.onFirstStart', 'P.onStart', 'P.onStop', 'P.onShutdown']);
      expect(runSignal()).to.equal(undefined);
      expect(started.settled && stopped.settled).to.equal(true);
      expect([p.state, a.state, b.state]).to.deep.equal(['stopped', 'stopped', 'stopped']);
      expect(rec.transitions().filter((t) => t.startsWith('P:'))).to.deep.equal([
        'P:init>starting',
        'P:starting>stopping',
        'P:stopping>stopped',
      ]);
      rec.stop();
    });

    it('while a child starts: stops that child, never starts the next one', async () => {
      const log: string[] = [];
      const gate = deferred();
      const { p, a, b, runSignal } = treeBlockedIn('A.onStart', log, gate);
      const started = track(p.start());
      await flush();
      const stopped = track(p.stop());
      await flush();
      expect(a.state).to.equal('stopping');
      expect(b.state).to.not.equal('starting');
      gate.resolve();
      await flush();
      expect(hooks(log)).to.deep.equal([
        'P.onFirstStart',
        'P.onStart',
        'A.onFirstStart',
        'A.onStart',
        'P.onStop',
        'A.onStop',
        'A.onShutdown',
        'P.onShutdown',
      ]);
      expect(runSignal()).to.equal(undefined);
      expect(started.settled && stopped.settled).to.equal(true);
      expect([p.state, a.state, b.state]).to.deep.equal(['stopped', 'stopped', 'stopped']);
    });

    it('in onStarted: stops the children and the work that already started', async () => {
      const log: string[] = [];
      const gate = deferred();
      const { p, a, b, runSignal } = treeBlockedIn('onStarted', log, gate);
      const started = track(p.start());
      await flush();
      expect(runSignal()?.aborted).to.equal(false);
      const stopped = track(p.stop());
      expect(runSignal()?.aborted).to.equal(true);
      gate.resolve();
      await flush();
      expect(hooks(log)).to.deep.equal([
        'P.onFirstStart',
        'P.onStart',
        'A.onFirstStart',
        'A.onStart',
        'A.onStarted',
        'B.onFirstStart',
        'B.onStart',
        'B.onStarted',
        'P.run',
        'P.onStarted',
        'P.onStop',
        'B.onStop',
        'B.onShutdown',
        'A.onStop',
        'A.onShutdown',
        'P.onShutdown',
      ]);
      expect(started.settled && stopped.settled).to.equal(true);
      expect([p.state, a.state, b.state]).to.deep.equal(['stopped', 'stopped', 'stopped']);
    });

    it('requested synchronously when starting is entered: no start hook runs', async () => {
      const log: string[] = [];
      const svc = probe(log, 'S');
      const sub = svc.state$.subscribe((s) => {
        if (s === 'starting') void svc.stop();
      });
      await svc.start();
      await svc.waitUntilStopped();
      sub.unsubscribe();
      expect(svc.state).to.equal('stopped');
      expect(hooks(log)).to.not.include.members(['S.onStart']);
      expect(hooks(log)).to.not.include('S.onStarted');
    });

    it('requested from inside onStart itself', async () => {
      const log: string[] = [];
      const svc = probe(log, 'S', { hooks: { onStart: (s) => void s.stop() } });
      const child = svc.addDependency(probe(log, 'C'));
      await svc.start();
      await svc.waitUntilStopped();
      expect(svc.state).to.equal('stopped');
      expect(child.state).to.equal('stopped');
      expect(hooks(log)).to.deep.equal(['S.onFirstStart', 'S.onStart', 'S.onStop', 'S.onShutdown']);
    });

    it('with parallel children: stops the ones that started and the ones still starting', async () => {
      const log: string[] = [];
      const gate = deferred();
      const p = probe(log, 'P', { startConcurrency: 'parallel' });
      const a = p.addDependency(probe(log, 'A'));
      const b = p.addDependency(probe(log, 'B', { hooks: { onStart: () => gate.promise } }));
      const started = track(p.start());
      await flush();
      expect([a.state, b.state]).to.deep.equal(['running', 'starting']);
      const stopped = track(p.stop());
      gate.resolve();
      await flush();
      expect(started.settled && stopped.settled).to.equal(true);
      expect([p.state, a.state, b.state]).to.deep.equal(['stopped', 'stopped', 'stopped']);
      expect(log).to.include.members(['A.onStop', 'A.onShutdown', 'B.onStop', 'B.onShutdown']);
      expect(log).to.not.include('P.onStarted');
    });
  });

  describe('#start() on a crashed service still tearing down', () => {
    it('waits for the teardown to finish, then starts', async () => {
      const log: string[] = [];
      const gate = deferred();
      let stops = 0;
      const svc = probe(log, 'S', { hooks: { onStop: () => (stops++ === 0 ? gate.promise : undefined) } });
      await svc.start();
      svc.crash(new Error('boom'));
      const restarted = track(svc.start());
      await flush();
      expect(svc.state).to.equal('crashed');
      expect(log).to.not.include('S.onShutdown');
      gate.resolve();
      await flush();
      expect(restarted.outcome).to.deep.equal({ ok: true, value: undefined });
      expect(svc.state).to.equal('running');
      expect(log.slice(-4)).to.deep.equal(['S.onStop', 'S.onShutdown', 'S.onStart', 'S.onStarted']);
      await svc.stop();
    });
  });

  describe('a crash during #start()', () => {
    it("of a child's work while the parent is in onStarted: the parent crashes and start() rejects", async () => {
      const gate = deferred();
      const error = new Error('child work failed');
      const p = probe([], 'P', { hooks: { onStarted: () => gate.promise } });
      const a = p.addDependency(new Service({ name: 'A' }));
      const started = track(p.start());
      await flush();
      a.crash(error);
      expect(p.state).to.equal('crashed');
      gate.resolve();
      await flush();
      expect(started.outcome).to.deep.equal({ ok: false, error });
      expect(p.crashReason).to.equal(error);
    });

    it('requested synchronously when starting is entered: start() rejects with it', async () => {
      const log: string[] = [];
      const error = new Error('crash on starting');
      const svc = probe(log, 'S');
      const sub = svc.state$.subscribe((s) => {
        if (s === 'starting') svc.crash(error);
      });
      const started = track(svc.start());
      await flush();
      sub.unsubscribe();
      expect(svc.state).to.equal('crashed');
      expect(started.outcome).to.deep.equal({ ok: false, error });
      expect(log).to.not.include('S.onStarted');
    });
  });
});
