// Specs for Service#restart() (API.md section 3.3 and 3.3a): stop with reason restart, onRestart,
// start again with the same children; restartCount, crashReason, failures and forbidden states.
import { expect } from 'chai';
import { InvalidStateError, Service, isServiceError } from '../../lib/index.js';
import { deferred, flush, outcome, probe, recordEvents, throws } from '../support/lifecycle.js';

describe('Service', () => {
  describe('#restart()', () => {
    it('stops, calls onRestart, then starts again, reusing the same children', async () => {
      const log: string[] = [];
      const p = probe(log, 'P');
      const a = p.addDependency(probe(log, 'A'));
      const b = p.addDependency(probe(log, 'B'));
      await p.start();
      log.length = 0;
      await p.restart();
      expect(log).to.deep.equal([
        'P.onStop',
        'B.onStop',
        'B.onShutdown',
        'A.onStop',
        'A.onShutdown',
        'P.onShutdown',
        'P.onRestart',
        'P.onStart',
        'A.onStart',
        'A.onStarted',
        'B.onStart',
        'B.onStarted',
        'P.onStarted',
      ]);
      expect(p.children).to.deep.equal([a, b]);
      expect([p.state, a.state, b.state]).to.deep.equal(['running', 'running', 'running']);
      expect([p.restartCount, a.restartCount, b.restartCount]).to.deep.equal([1, 1, 1]);
      await p.stop();
    });

    it('stops with reason { type: restart } (children with { type: parent })', async () => {
      const p = new Service({ name: 'P' });
      p.addDependency(new Service({ name: 'A' }));
      await p.start();
      const rec = recordEvents(p);
      await p.restart();
      const reasons = rec
        .ofType('state')
        .flatMap((e) => (e.reason ? [[e.service.path, e.to, e.reason]] : []));
      expect(reasons).to.deep.equal([
        ['P', 'stopping', { type: 'restart' }],
        ['P/A', 'stopping', { type: 'parent', parent: 'P' }],
        ['P/A', 'stopped', { type: 'parent', parent: 'P' }],
        ['P', 'stopped', { type: 'restart' }],
      ]);
      expect(rec.transitions().slice(-4)).to.deep.equal([
        'P:stopped>starting',
        'P/A:stopped>starting',
        'P/A:starting>running',
        'P:starting>running',
      ]);
      rec.stop();
      await p.stop();
    });

    it('does not call onInitDependencies or onFirstStart again', async () => {
      const log: string[] = [];
      const p = probe(log, 'P', { initDependencies: [probe(log, 'C')] });
      await p.start();
      await p.restart();
      await p.restart();
      expect(log.filter((l) => l === 'P.onInitDependencies')).to.have.length(1);
      expect(log.filter((l) => l === 'P.onFirstStart')).to.have.length(1);
      expect(log.filter((l) => l === 'C.onFirstStart')).to.have.length(1);
      expect(log.filter((l) => l === 'P.onStart')).to.have.length(3);
      expect(p.children.map((c) => c.name)).to.deep.equal(['C']);
      await p.stop();
    });

    it('counts every start after the first in restartCount', async () => {
      const svc = new Service({ name: 'S' });
      expect(svc.restartCount).to.equal(0);
      await svc.start();
      expect(svc.restartCount).to.equal(0);
      await svc.restart();
      expect(svc.restartCount).to.equal(1);
      await svc.restart();
      expect(svc.restartCount).to.equal(2);
      await svc.stop();
      await svc.start();
      expect(svc.restartCount).to.equal(3);
      await svc.stop();
    });

    it('restarts a crashed service and clears crashReason', async () => {
      const log: string[] = [];
      const svc = probe(log, 'S');
      await svc.start();
      const error = new Error('boom');
      svc.crash(error);
      expect(svc.crashReason).to.equal(error);
      await svc.restart();
      expect(svc.state).to.equal('running');
      expect(svc.crashReason).to.equal(undefined);
      expect(svc.restartCount).to.equal(1);
      expect(log.slice(-3)).to.deep.equal(['S.onRestart', 'S.onStart', 'S.onStarted']);
      await svc.stop();
    });

    it('rejects with the error of onRestart and leaves the service stopped', async () => {
      const log: string[] = [];
      const error = new Error('cannot restart');
      const svc = probe(log, 'S', { hooks: { onRestart: throws(error) } });
      await svc.start();
      log.length = 0;
      const result = await outcome(svc.restart());
      expect(result).to.deep.equal({ ok: false, error });
      expect(svc.state).to.equal('stopped');
      expect(log).to.deep.equal(['S.onStop', 'S.onShutdown', 'S.onRestart']);
    });

    it('rejects with InvalidStateError while stopping', async () => {
      const gate = deferred();
      const svc = probe([], 'S', { hooks: { onStop: () => gate.promise } });
      await svc.start();
      const stopping = svc.stop();
      const result = await outcome(svc.restart());
      expect(result.ok).to.equal(false);
      const error = (result as { error: InvalidStateError }).error;
      expect(error).to.be.instanceOf(InvalidStateError);
      expect(isServiceError(error)).to.equal(true);
      expect(error.code).to.equal('ERR_INVALID_STATE');
      expect(error.state).to.equal('stopping');
      expect(error.operation)
        .to.be.a('string')
        .and.match(/restart/);
      expect(error.service).to.deep.equal({ id: svc.id, name: 'S', path: 'S' });
      gate.resolve();
      await stopping;
      expect(svc.state).to.equal('stopped');
    });

    it('while starting, waits for the start to finish, then restarts', async () => {
      const log: string[] = [];
      const gate = deferred();
      let starts = 0;
      const svc = probe(log, 'S', { hooks: { onStart: () => (starts++ === 0 ? gate.promise : undefined) } });
      const started = svc.start();
      const restarted = svc.restart();
      await flush();
      expect(svc.state).to.equal('starting');
      gate.resolve();
      await Promise.all([started, restarted]);
      expect(log).to.deep.equal([
        'S.onInitDependencies',
        'S.onFirstStart',
        'S.onStart',
        'S.onStarted',
        'S.onStop',
        'S.onShutdown',
        'S.onRestart',
        'S.onStart',
        'S.onStarted',
      ]);
      expect(svc.state).to.equal('running');
      expect(svc.restartCount).to.equal(1);
      await svc.stop();
    });

    it('gives the new run a fresh signal', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      const before = svc.signal;
      await svc.restart();
      expect(before.aborted).to.equal(true);
      expect(svc.signal.aborted).to.equal(false);
      await svc.stop();
    });
  });
});
