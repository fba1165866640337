// Specs for the state machine of a Service (API.md section 2): the state$ BehaviorSubject, the
// table of allowed transitions, stop() before any start, restartability, shouldStop and signal.
import { expect } from 'chai';
import { BehaviorSubject } from 'rxjs';
import { Service, type ServiceState } from '../../lib/index.js';
import {
  deferred,
  flush,
  outcome,
  probe,
  recordEvents,
  recordStates,
  rejects,
  throws,
  expectOnlyAllowedTransitions,
} from '../support/lifecycle.js';

describe('Service', () => {
  describe('#state$', () => {
    it('is a BehaviorSubject holding the current state', async () => {
      const svc = new Service({ name: 'S' });
      expect(svc.state$).to.be.instanceOf(BehaviorSubject);
      expect(svc.state$.value).to.equal('init');
      expect(svc.state$.getValue()).to.equal('init');
      await svc.start();
      expect(svc.state$.value).to.equal('running');
      expect(svc.state).to.equal('running');
      const late = recordStates(svc);
      expect(late.states).to.deep.equal(['running']);
      late.stop();
      await svc.stop();
      expect(svc.state$.getValue()).to.equal('stopped');
    });

    it('emits each state of a start and a stop once, in order', async () => {
      const svc = new Service({ name: 'S' });
      const rec = recordStates(svc);
      await svc.start();
      await svc.stop();
      expect(rec.states).to.deep.equal(['init', 'starting', 'running', 'stopping', 'stopped']);
      rec.stop();
    });
  });

  describe('transitions', () => {
    it('only takes allowed transitions, without gaps, across start, stop, restart and crash', async () => {
      const log: string[] = [];
      const p = probe(log, 'P');
      const a = p.addDependency(probe(log, 'A'));
      let stops = 0;
      const failOnce = throws(new Error('B stop'));
      const b = p.addDependency(
        probe(log, 'B', { hooks: { onStop: (s) => (stops++ === 0 ? failOnce(s) : undefined) } }),
      );
      const rec = recordEvents(p);
      await p.start();
      await p.stop().catch(() => {});
      await p.start();
      await p.restart();
      expect(p.state).to.equal('running');
      a.crash(new Error('boom'));
      await p.waitUntilStopped();
      await p.start();
      const stopping = p.stop();
      await p.start();
      await stopping.catch(() => {});
      await p.stop().catch(() => {});
      expect(rec.ofType('state').length).to.be.greaterThan(20);
      expectOnlyAllowedTransitions(rec.events);
      expect([p.state, a.state, b.state]).to.deep.equal(['stopped', 'stopped', 'stopped']);
      rec.stop();
    });

    it('only takes allowed transitions when a start step fails and when a stop interrupts a start', async () => {
      const log: string[] = [];
      const gate = deferred();
      const p = probe(log, 'P', { hooks: { onStart: () => gate.promise } });
      p.addDependency(probe(log, 'A', { hooks: { onStart: rejects(new Error('A start')) } }));
      const rec = recordEvents(p);
      const first = p.start();
      const stopped = p.stop();
      gate.resolve();
      await first;
      await stopped;
      const failed = await outcome(p.start());
      expect(failed.ok).to.equal(false);
      expectOnlyAllowedTransitions(rec.events);
      rec.stop();
    });

    it('starts again from stopped and from crashed (services are restartable)', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      await svc.stop();
      await svc.start();
      expect(svc.state).to.equal('running');
      svc.crash(new Error('boom'));
      expect(svc.state).to.equal('crashed');
      await svc.waitUntilStopped();
      await svc.start();
      expect(svc.state).to.equal('running');
      await svc.stop();
    });
  });

  describe('#stop() before any start', () => {
    it('moves init to stopped without calling any hook', async () => {
      const log: string[] = [];
      const svc = probe(log, 'S');
      const rec = recordEvents(svc);
      await svc.stop();
      expect(svc.state).to.equal('stopped');
      expect(log).to.deep.equal([]);
      expect(rec.transitions()).to.deep.equal(['S:init>stopped']);
      expect(rec.hooks()).to.deep.equal([]);
      rec.stop();
    });

    it('moves init children to stopped too, still without hooks', async () => {
      const log: string[] = [];
      const p = probe(log, 'P');
      const a = p.addDependency(probe(log, 'A'));
      const aa = a.addDependency(probe(log, 'AA'));
      const rec = recordEvents(p);
      await p.stop();
      expect([p.state, a.state, aa.state]).to.deep.equal(['stopped', 'stopped', 'stopped']);
      expect(log).to.deep.equal([]);
      expect(rec.transitions()).to.have.members([
        'P:init>stopped',
        'P/A:init>stopped',
        'P/A/AA:init>stopped',
      ]);
      rec.stop();
    });

    it('can still be started afterwards, running the first-start hooks then', async () => {
      const log: string[] = [];
      const svc = probe(log, 'S');
      await svc.stop();
      await svc.start();
      expect(log).to.include.members(['S.onFirstStart', 'S.onStart', 'S.onStarted']);
      expect(svc.state).to.equal('running');
      await svc.stop();
    });
  });

  describe('#shouldStop', () => {
    it('is false while init, starting and running, true while stopping, stopped and crashed', async () => {
      const seen: [ServiceState, boolean][] = [];
      const gate = deferred();
      const svc = probe([], 'S', {
        hooks: {
          onFirstStart: (s) => void seen.push([s.state, s.shouldStop]),
          onStop: (s) => {
            if (s.state === 'stopping') seen.push([s.state, s.shouldStop]);
            return gate.promise;
          },
        },
      });
      seen.push([svc.state, svc.shouldStop]);
      await svc.start();
      seen.push([svc.state, svc.shouldStop]);
      const stopping = svc.stop();
      gate.resolve();
      await stopping;
      seen.push([svc.state, svc.shouldStop]);
      await svc.start();
      svc.crash(new Error('boom'));
      seen.push([svc.state, svc.shouldStop]);
      await svc.waitUntilStopped();
      expect(seen).to.deep.equal([
        ['init', false],
        ['starting', false],
        ['running', false],
        ['stopping', true],
        ['stopped', true],
        ['crashed', true],
      ]);
    });
  });

  describe('#signal', () => {
    it('is aborted when a stop begins, with the stop reason', async () => {
      let abortedInOnStop: boolean | undefined;
      const svc = probe([], 'S', { hooks: { onStop: (s) => void (abortedInOnStop = s.signal.aborted) } });
      await svc.start();
      const signal = svc.signal;
      expect(signal.aborted).to.equal(false);
      const reason = { type: 'signal', signal: 'SIGTERM' } as const;
      const stopping = svc.stop(reason);
      expect(signal.aborted).to.equal(true);
      expect(signal.reason).to.be.instanceOf(Error).with.property('name', 'AbortError');
      expect((signal.reason as Error).cause).to.deep.equal(reason);
      await stopping;
      expect(abortedInOnStop).to.equal(true);
    });

    it('is a fresh, unaborted signal on each run', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      const first = svc.signal;
      await svc.stop();
      await svc.start();
      expect(first.aborted).to.equal(true);
      expect(svc.signal).to.not.equal(first);
      expect(svc.signal.aborted).to.equal(false);
      await svc.stop();
    });

    it('is aborted by a crash, with the crash as reason', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      const signal = svc.signal;
      const error = new Error('boom');
      svc.crash(error);
      expect(signal.aborted).to.equal(true);
      expect((signal.reason as Error).cause).to.deep.equal({ type: 'crash', error });
      await svc.waitUntilStopped();
    });
  });

  describe('#stop$', () => {
    it('emits the reason once when the stop begins, then completes', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      const seen: unknown[] = [];
      let completed = false;
      svc.stop$.subscribe({ next: (r) => seen.push(r), complete: () => (completed = true) });
      const stopping = svc.stop();
      expect(seen).to.deep.equal([{ type: 'manual' }]);
      expect(completed).to.equal(true);
      await stopping;
    });

    it('gives a late subscriber the reason at once while stopped or crashed', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      await svc.stop({ type: 'timeout' });
      const seen: unknown[] = [];
      svc.stop$.subscribe((r) => seen.push(r));
      expect(seen).to.deep.equal([{ type: 'timeout' }]);
      await svc.start();
      const error = new Error('boom');
      svc.crash(error);
      svc.stop$.subscribe((r) => seen.push(r));
      expect(seen[1]).to.deep.equal({ type: 'crash', error });
      await svc.waitUntilStopped();
      await flush(1);
    });
  });
});
