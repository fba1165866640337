// Specs for Service#crash() (API.md section 3.4): crashed at once, onCrash, a teardown that never
// leaves crashed, escalation to the root, siblings stopped with reason parent, and stop() on crashed.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';
import {
  deferred,
  flush,
  outcome,
  probe,
  recordEvents,
  recordStates,
  rejects,
  throws,
  track,
} from '../support/lifecycle.js';

describe('Service', () => {
  describe('#crash()', () => {
    it('moves to crashed at once and keeps the error as crashReason', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      const error = new Error('boom');
      svc.crash(error);
      expect(svc.state).to.equal('crashed');
      expect(svc.crashReason).to.equal(error);
      await svc.waitUntilStopped();
    });

    it('runs onCrash with the error, then tears down as a stop does, never leaving crashed', async () => {
      const log: string[] = [];
      let crashArg: unknown;
      const p = probe(log, 'P', { hooks: { onCrash: (_s, e) => void (crashArg = e) } });
      p.addDependency(probe(log, 'A'));
      p.addDependency(probe(log, 'B'));
      p.addTeardown(() => void log.push('P.teardown'));
      await p.start();
      log.length = 0;
      const states = recordStates(p);
      const error = new Error('boom');
      p.crash(error);
      await p.waitUntilStopped();
      expect(crashArg).to.equal(error);
      expect(log).to.deep.equal([
        'P.onCrash',
        'P.onStop',
        'B.onStop',
        'B.onShutdown',
        'A.onStop',
        'A.onShutdown',
        'P.teardown',
        'P.onShutdown',
      ]);
      expect(states.states).to.deep.equal(['running', 'crashed']);
      expect(p.state).to.equal('crashed');
      states.stop();
    });

    it('emits a crash event and a state event with reason { type: crash, error }', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      const rec = recordEvents(svc);
      const error = new Error('boom');
      svc.crash(error);
      await svc.waitUntilStopped();
      const state = rec.ofType('state');
      expect(state).to.have.length(1);
      expect(state[0]).to.deep.include({ from: 'running', to: 'crashed', reason: { type: 'crash', error } });
      const crashes = rec.ofType('crash');
      expect(crashes).to.have.length(1);
      expect(crashes[0]?.error).to.equal(error);
      expect(crashes[0]?.service).to.deep.equal({ id: svc.id, name: 'S', path: 'S' });
      rec.stop();
    });

    it('keeps the first reason when crashed again, without a second onCrash', async () => {
      const log: string[] = [];
      const svc = probe(log, 'S');
      await svc.start();
      const first = new Error('first');
      svc.crash(first);
      svc.crash(new Error('second'));
      await svc.waitUntilStopped();
      svc.crash(new Error('third'));
      expect(svc.crashReason).to.equal(first);
      expect(log.filter((l) => l === 'S.onCrash')).to.have.length(1);
    });

    for (const when of ['init', 'stopped'] as const) {
      it(`is a no-op on a service that is ${when}`, async () => {
        const log: string[] = [];
        const svc = probe(log, 'S');
        if (when === 'stopped') {
          await svc.start();
          await svc.stop();
        }
        log.length = 0;
        const rec = recordEvents(svc);
        svc.crash(new Error('ignored'));
        await flush();
        expect(svc.state).to.equal(when);
        expect(svc.crashReason).to.equal(undefined);
        expect(log).to.deep.equal([]);
        expect(rec.events).to.deep.equal([]);
        rec.stop();
      });
    }

    it('keeps a non-Error value as crashReason', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      svc.crash('plain string');
      expect(svc.crashReason).to.equal('plain string');
      await svc.waitUntilStopped();
    });

    for (const [kind, behaviour] of [
      ['throws', throws],
      ['rejects', rejects],
    ] as const) {
      it(`reports onCrash that ${kind} as a hook event with error and changes nothing else`, async () => {
        const log: string[] = [];
        const hookError = new Error('onCrash failed');
        const svc = probe(log, 'S', { hooks: { onCrash: behaviour(hookError) } });
        await svc.start();
        const rec = recordEvents(svc);
        const error = new Error('boom');
        svc.crash(error);
        await svc.waitUntilStopped();
        const hook = rec.ofType('hook').find((e) => e.hook === 'onCrash');
        expect(hook?.error).to.equal(hookError);
        expect(svc.state).to.equal('crashed');
        expect(svc.crashReason).to.equal(error);
        expect(log).to.include.members(['S.onStop', 'S.onShutdown']);
        rec.stop();
      });
    }

    it('crashes while starting too: start() rejects with the error', async () => {
      const gate = deferred();
      const svc = probe([], 'S', { hooks: { onStart: () => gate.promise } });
      const started = track(svc.start());
      await flush();
      const error = new Error('boom');
      svc.crash(error);
      expect(svc.state).to.equal('crashed');
      gate.resolve();
      await flush();
      expect(started.outcome).to.deep.equal({ ok: false, error });
      expect(svc.state).to.equal('crashed');
    });

    it('crashes while a start hook hangs: start() rejects once the teardown finished', async () => {
      const svc = probe([], 'S', { hooks: { onStart: () => new Promise<void>(() => {}) } });
      const started = track(svc.start());
      await flush();
      const error = new Error('boom');
      svc.crash(error);
      await flush();
      expect(started.outcome).to.deep.equal({ ok: false, error });
    });
  });

  describe('crash escalation', () => {
    it('crashes every ancestor with the same error instance, up to the root', async () => {
      const root = new Service({ name: 'R' });
      const mid = root.addDependency(new Service({ name: 'M' }));
      const leaf = mid.addDependency(new Service({ name: 'L' }));
      await root.start();
      const error = new Error('deep');
      leaf.crash(error);
      expect([leaf.state, mid.state, root.state]).to.deep.equal(['crashed', 'crashed', 'crashed']);
      expect(mid.crashReason).to.equal(error);
      expect(root.crashReason).to.equal(error);
      await root.waitUntilStopped();
      expect(root.state).to.equal('crashed');
    });

    it('tears the siblings down, ending stopped with reason { type: parent }', async () => {
      const log: string[] = [];
      const root = probe(log, 'R');
      const a = root.addDependency(probe(log, 'A'));
      const m = root.addDependency(probe(log, 'M'));
      const m1 = m.addDependency(probe(log, 'M1'));
      const m2 = m.addDependency(probe(log, 'M2'));
      const c = root.addDependency(probe(log, 'C'));
      await root.start();
      const rec = recordEvents(root);
      m2.crash(new Error('boom'));
      await root.waitUntilStopped();
      expect([root.state, m.state, m2.state]).to.deep.equal(['crashed', 'crashed', 'crashed']);
      expect([a.state, m1.state, c.state]).to.deep.equal(['stopped', 'stopped', 'stopped']);
      for (const sibling of [a, m1, c]) {
        const seen = rec.ofType('state').filter((e) => e.service.id === sibling.id);
        expect(
          seen.map((e) => `${e.from}>${e.to}`),
          sibling.path,
        ).to.deep.equal(['running>stopping', 'stopping>stopped']);
        for (const e of seen) expect(e.reason?.type, sibling.path).to.equal('parent');
      }
      expect(log).to.include.members([
        'A.onStop',
        'A.onShutdown',
        'C.onStop',
        'C.onShutdown',
        'M1.onShutdown',
      ]);
      expect(log.indexOf('C.onStop')).to.be.lessThan(log.indexOf('A.onStop'));
      rec.stop();
    });

    it('calls onCrash on each crashed ancestor, but not on the siblings', async () => {
      const log: string[] = [];
      const root = probe(log, 'R');
      const a = root.addDependency(probe(log, 'A'));
      const b = root.addDependency(probe(log, 'B'));
      await root.start();
      b.crash(new Error('boom'));
      await root.waitUntilStopped();
      expect(log.filter((l) => l.endsWith('.onCrash'))).to.have.members(['B.onCrash', 'R.onCrash']);
      expect(a.state).to.equal('stopped');
    });

    it('does not reach a former parent after the child was removed', async () => {
      const p = new Service({ name: 'P' });
      const a = p.addDependency(new Service({ name: 'A' }));
      await p.start();
      await p.removeDependency(a);
      await a.start();
      a.crash(new Error('boom'));
      await a.waitUntilStopped();
      expect(p.state).to.equal('running');
      await p.stop();
    });
  });

  describe('#stop() on a crashed service', () => {
    it('waits for the crash teardown to finish, then resolves, staying crashed', async () => {
      const gate = deferred();
      const svc = probe([], 'S', { hooks: { onStop: () => gate.promise } });
      await svc.start();
      svc.crash(new Error('boom'));
      const stopped = track(svc.stop());
      await flush();
      expect(stopped.settled).to.equal(false);
      gate.resolve();
      await flush();
      expect(stopped.outcome).to.deep.equal({ ok: true, value: undefined });
      expect(svc.state).to.equal('crashed');
    });

    it('resolves at once when the teardown already finished', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      svc.crash(new Error('boom'));
      await svc.waitUntilStopped();
      await svc.stop();
      expect(svc.state).to.equal('crashed');
    });

    it('resolves even when the crash teardown had failing steps', async () => {
      const svc = probe([], 'S', { hooks: { onStop: throws(new Error('cleanup failed')) } });
      await svc.start();
      svc.crash(new Error('boom'));
      expect(await outcome(svc.stop())).to.deep.equal({ ok: true, value: undefined });
    });
  });

  describe('once stopping', () => {
    it('ignores crash() and ends stopped', async () => {
      const gate = deferred();
      const svc = probe([], 'S', { hooks: { onStop: () => gate.promise } });
      await svc.start();
      const stopped = svc.stop();
      svc.crash(new Error('too late'));
      expect(svc.state).to.equal('stopping');
      gate.resolve();
      await stopped;
      expect(svc.state).to.equal('stopped');
      expect(svc.crashReason).to.equal(undefined);
    });

    it('collects hook errors into ServiceStopError instead of crashing', async () => {
      const error = new Error('onStop failed');
      const svc = probe([], 'S', { hooks: { onStop: throws(error) } });
      await svc.start();
      const result = await outcome(svc.stop());
      expect((result as { error: { errors: unknown[] } }).error.errors).to.deep.equal([error]);
      expect(svc.state).to.equal('stopped');
      expect(svc.crashReason).to.equal(undefined);
    });

    it('does not crash a stopping parent when a child crashes during its stop', async () => {
      const gate = deferred();
      const p = probe([], 'P', { hooks: { onStop: () => gate.promise } });
      const a = p.addDependency(new Service({ name: 'A' }));
      await p.start();
      const stopped = p.stop();
      a.crash(new Error('child boom'));
      expect(a.state).to.equal('crashed');
      expect(p.state).to.equal('stopping');
      gate.resolve();
      await stopped.catch(() => {});
      expect(p.state).to.equal('stopped');
      expect(p.crashReason).to.equal(undefined);
    });

    it('ignores a task that fails because of the abort', async () => {
      const svc = new Service({ name: 'S' });
      svc.addTask(
        (signal) =>
          new Promise<void>((_resolve, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
          ),
        { drain: true },
      );
      await svc.start();
      expect(await outcome(svc.stop())).to.deep.equal({ ok: true, value: undefined });
      expect(svc.state).to.equal('stopped');
    });

    it('ignores a run() that fails because of the abort', async () => {
      class Aborting extends Service {
        protected override run(signal: AbortSignal): Promise<void> {
          return new Promise<void>((_resolve, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
          );
        }
      }
      const svc = new Aborting({ name: 'S' });
      await svc.start();
      await svc.stop();
      expect(svc.state).to.equal('stopped');
    });
  });
});
