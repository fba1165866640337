// Specs for the dependency tree of a Service (API.md sections 3 and 3.3a): addDependency,
// addRuntimeDependency, removeDependency, paths, re-parenting and the errors they raise.
import { expect } from 'chai';
import { InvalidStateError, Service, isServiceError } from '../../lib/index.js';
import { deferred, outcome, probe, recordEvents } from '../support/lifecycle.js';

describe('Service', () => {
  describe('#addDependency()', () => {
    it('returns the child, sets its parent and keeps insertion order', () => {
      const p = new Service({ name: 'P' });
      const a = new Service({ name: 'A' });
      const b = new Service({ name: 'B' });
      expect(p.addDependency(a)).to.equal(a);
      expect(p.addDependency(b)).to.equal(b);
      expect(p.children).to.deep.equal([a, b]);
      expect(a.parent).to.equal(p);
      expect(p.parent).to.equal(undefined);
      expect([p.path, a.path, b.path]).to.deep.equal(['P', 'P/A', 'P/B']);
    });

    it('is a no-op for a child already added', () => {
      const p = new Service({ name: 'P' });
      const a = new Service({ name: 'A' });
      const rec = recordEvents(p);
      p.addDependency(a);
      expect(p.addDependency(a)).to.equal(a);
      expect(p.children).to.deep.equal([a]);
      expect(rec.ofType('child')).to.have.length(1);
      rec.stop();
    });

    it('throws a TypeError when adding the service to itself', () => {
      const p = new Service({ name: 'P' });
      expect(() => p.addDependency(p)).to.throw(TypeError);
      expect(p.children).to.deep.equal([]);
      expect(p.parent).to.equal(undefined);
    });

    it('throws a TypeError when adding an ancestor, leaving the tree unchanged', () => {
      const root = new Service({ name: 'R' });
      const mid = root.addDependency(new Service({ name: 'M' }));
      const leaf = mid.addDependency(new Service({ name: 'L' }));
      expect(() => leaf.addDependency(root)).to.throw(TypeError);
      expect(() => leaf.addDependency(mid)).to.throw(TypeError);
      expect(root.parent).to.equal(undefined);
      expect(mid.parent).to.equal(root);
      expect(leaf.children).to.deep.equal([]);
    });

    it('throws a TypeError for something that is not a Service', () => {
      const p = new Service({ name: 'P' });
      expect(() => p.addDependency({} as Service)).to.throw(TypeError, /child/);
      expect(() => p.addDependency(undefined as unknown as Service)).to.throw(TypeError);
    });

    it('moves an idle child to a new parent, recomputing the paths of its subtree', () => {
      const p = new Service({ name: 'P' });
      const q = new Service({ name: 'Q' });
      const a = p.addDependency(new Service({ name: 'A' }));
      const aa = a.addDependency(new Service({ name: 'AA' }));
      const fromP = recordEvents(p);
      const fromQ = recordEvents(q);
      q.addDependency(a);
      expect(p.children).to.deep.equal([]);
      expect(q.children).to.deep.equal([a]);
      expect(a.parent).to.equal(q);
      expect([a.path, aa.path]).to.deep.equal(['Q/A', 'Q/A/AA']);
      expect(fromP.ofType('child').map((e) => [e.op, e.child.path])).to.deep.equal([['removed', 'P/A']]);
      expect(fromQ.ofType('child').map((e) => [e.op, e.child.path])).to.deep.equal([['added', 'Q/A']]);
      fromP.stop();
      fromQ.stop();
    });

    it('moves a stopped child too', async () => {
      const p = new Service({ name: 'P' });
      const a = p.addDependency(new Service({ name: 'A' }));
      await p.start();
      await p.stop();
      const q = new Service({ name: 'Q' });
      q.addDependency(a);
      expect(a.path).to.equal('Q/A');
      await q.start();
      expect(a.state).to.equal('running');
      await q.stop();
    });

    for (const state of ['starting', 'running', 'stopping'] as const) {
      it(`refuses to move a ${state} child with InvalidStateError`, async () => {
        const gate = deferred();
        const p = new Service({ name: 'P' });
        const a = p.addDependency(
          probe([], 'A', {
            hooks: state === 'starting' ? { onStart: () => gate.promise } : { onStop: () => gate.promise },
          }),
        );
        const started = p.start();
        if (state !== 'starting') await started;
        const stopping = state === 'stopping' ? a.stop() : undefined;
        expect(a.state).to.equal(state);
        const q = new Service({ name: 'Q' });
        let error: unknown;
        try {
          q.addDependency(a);
        } catch (e) {
          error = e;
        }
        expect(error).to.be.instanceOf(InvalidStateError);
        expect(isServiceError(error)).to.equal(true);
        const invalid = error as InvalidStateError;
        expect(invalid.code).to.equal('ERR_INVALID_STATE');
        expect(invalid.state).to.equal(state);
        expect(invalid.service).to.deep.equal({ id: a.id, name: 'A', path: 'P/A' });
        expect(invalid.operation).to.be.a('string').with.length.greaterThan(0);
        expect(a.parent).to.equal(p);
        expect(q.children).to.deep.equal([]);
        gate.resolve();
        await started;
        await stopping;
        await p.stop();
      });
    }

    it('does not start a child added to a running parent (addRuntimeDependency does)', async () => {
      const p = new Service({ name: 'P' });
      await p.start();
      const a = p.addDependency(new Service({ name: 'A' }));
      expect(a.state).to.equal('init');
      await p.restart();
      expect(a.state).to.equal('running');
      await p.stop();
    });
  });

  describe('#addRuntimeDependency()', () => {
    it('adds and starts the child when the parent is running, resolving once it runs', async () => {
      const log: string[] = [];
      const p = probe(log, 'P');
      await p.start();
      const c = await p.addRuntimeDependency(probe(log, 'C'));
      expect(c.state).to.equal('running');
      expect(c.parent).to.equal(p);
      expect(log.slice(-3)).to.deep.equal(['C.onFirstStart', 'C.onStart', 'C.onStarted']);
      await p.stop();
      expect(c.state).to.equal('stopped');
    });

    it('only adds the child when the parent is not running; it starts with the parent', async () => {
      const p = new Service({ name: 'P' });
      const c = await p.addRuntimeDependency(new Service({ name: 'C' }));
      expect(c.state).to.equal('init');
      await p.start();
      expect(c.state).to.equal('running');
      await p.stop();
    });

    it('keeps the child across restarts', async () => {
      const p = new Service({ name: 'P' });
      await p.start();
      const c = await p.addRuntimeDependency(new Service({ name: 'C' }));
      await p.restart();
      expect(p.children).to.deep.equal([c]);
      expect(c.state).to.equal('running');
      await p.stop();
    });

    it('rejects with InvalidStateError on a stopping parent', async () => {
      const gate = deferred();
      const p = probe([], 'P', { hooks: { onStop: () => gate.promise } });
      await p.start();
      const stopping = p.stop();
      const c = new Service({ name: 'C' });
      const result = await outcome(p.addRuntimeDependency(c));
      expect(result.ok).to.equal(false);
      const error = (result as { error: InvalidStateError }).error;
      expect(error).to.be.instanceOf(InvalidStateError);
      expect(error.code).to.equal('ERR_INVALID_STATE');
      expect(error.state).to.equal('stopping');
      expect(error.service).to.deep.equal({ id: p.id, name: 'P', path: 'P' });
      expect(c.parent).to.equal(undefined);
      gate.resolve();
      await stopping;
    });

    it('rejects with the start error of the child, which escalates to the parent', async () => {
      const error = new Error('child cannot start');
      const p = new Service({ name: 'P' });
      await p.start();
      const result = await outcome(
        p.addRuntimeDependency(
          probe([], 'C', {
            hooks: {
              onStart: () => {
                throw error;
              },
            },
          }),
        ),
      );
      expect(result).to.deep.equal({ ok: false, error });
      expect(p.state).to.equal('crashed');
      expect(p.crashReason).to.equal(error);
      await p.waitUntilStopped();
    });
  });

  describe('#removeDependency()', () => {
    it('stops the child, then detaches it', async () => {
      const log: string[] = [];
      const p = probe(log, 'P');
      const a = p.addDependency(probe(log, 'A'));
      const b = p.addDependency(probe(log, 'B'));
      await p.start();
      log.length = 0;
      let parentWhenStopped: Service<any> | undefined;
      a.state$.subscribe((s) => {
        if (s === 'stopped') parentWhenStopped = a.parent;
      });
      await p.removeDependency(a);
      expect(log).to.deep.equal(['A.onStop', 'A.onShutdown']);
      expect(a.state).to.equal('stopped');
      expect(parentWhenStopped).to.equal(p);
      expect(a.parent).to.equal(undefined);
      expect(a.path).to.equal('A');
      expect(p.children).to.deep.equal([b]);
      expect(p.state).to.equal('running');
      log.length = 0;
      await p.stop();
      expect(log).to.deep.equal(['P.onStop', 'B.onStop', 'B.onShutdown', 'P.onShutdown']);
    });

    it('stops it with reason { type: parent }', async () => {
      const p = new Service({ name: 'P' });
      const a = p.addDependency(new Service({ name: 'A' }));
      await p.start();
      const rec = recordEvents(a);
      await p.removeDependency(a);
      expect(rec.ofType('state').map((e) => e.reason)).to.deep.equal([
        { type: 'parent', parent: 'P' },
        { type: 'parent', parent: 'P' },
      ]);
      rec.stop();
      await p.stop();
    });

    it('detaches the child even when its stop fails, and rejects with the failure', async () => {
      const p = new Service({ name: 'P' });
      const a = p.addDependency(
        probe([], 'A', {
          hooks: {
            onStop: () => {
              throw new Error('A stop');
            },
          },
        }),
      );
      await p.start();
      const result = await outcome(p.removeDependency(a));
      expect(result.ok).to.equal(false);
      expect(a.parent).to.equal(undefined);
      expect(a.state).to.equal('stopped');
      expect(p.children).to.deep.equal([]);
      await p.stop();
    });

    it('is a no-op for a service that is not its child', async () => {
      const p = new Service({ name: 'P' });
      const q = new Service({ name: 'Q' });
      const a = q.addDependency(new Service({ name: 'A' }));
      await q.start();
      await p.removeDependency(a);
      expect(a.parent).to.equal(q);
      expect(a.state).to.equal('running');
      await q.stop();
    });
  });

  describe('#children while running', () => {
    it('leaves a child that stopped on its own stopped, and starts it again on restart', async () => {
      const p = new Service({ name: 'P' });
      const a = p.addDependency(new Service({ name: 'A' }));
      await p.start();
      await a.stop();
      expect(p.state).to.equal('running');
      expect(p.children).to.deep.equal([a]);
      await p.restart();
      expect(a.state).to.equal('running');
      await p.stop();
    });
  });
});
