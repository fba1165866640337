// Specs for Service#events$ (API.md section 4): every transition of the service and its descendants
// in order (children added at runtime included), child and hook events, reasons, scheduler time, and
// transitions triggered synchronously from inside subscribers.
import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { Service, type LifecycleEvent } from '../../lib/index.js';
import {
  expectOnlyAllowedTransitions,
  flush,
  probe,
  recordEvents,
  rejects,
  useFakeClock,
  waits,
} from '../support/lifecycle.js';

describe('Service', () => {
  describe('#events$', () => {
    it('reports every transition of the service and its descendants, in order', async () => {
      const p = new Service({ name: 'P' });
      const a = p.addDependency(new Service({ name: 'A' }));
      a.addDependency(new Service({ name: 'AA' }));
      p.addDependency(new Service({ name: 'B' }));
      const rec = recordEvents(p);
      await p.start();
      await p.stop();
      expect(rec.transitions()).to.deep.equal([
        'P:init>starting',
        'P/A:init>starting',
        'P/A/AA:init>starting',
        'P/A/AA:starting>running',
        'P/A:starting>running',
        'P/B:init>starting',
        'P/B:starting>running',
        'P:starting>running',
        'P:running>stopping',
        'P/B:running>stopping',
        'P/B:stopping>stopped',
        'P/A:running>stopping',
        'P/A/AA:running>stopping',
        'P/A/AA:stopping>stopped',
        'P/A:stopping>stopped',
        'P:stopping>stopped',
      ]);
      rec.stop();
    });

    it('gives each ancestor the same events of a descendant, in the same order', async () => {
      const p = new Service({ name: 'P' });
      const a = p.addDependency(new Service({ name: 'A' }));
      a.addDependency(new Service({ name: 'AA' }));
      const fromRoot = recordEvents(p);
      const fromMid = recordEvents(a);
      await p.start();
      await p.stop();
      const underA = fromRoot.events.filter((e) => e.service.path.startsWith('P/A'));
      expect(fromMid.events).to.deep.equal(underA);
      expect(fromMid.transitions()).to.have.length(8);
      fromRoot.stop();
      fromMid.stop();
    });

    it('carries reason on stopping, stopped and crashed, and none on starting and running', async () => {
      const svc = new Service({ name: 'S' });
      const rec = recordEvents(svc);
      await svc.start();
      await svc.stop({ type: 'timeout' });
      await svc.start();
      const error = new Error('boom');
      svc.crash(error);
      await svc.waitUntilStopped();
      const reasons = rec.ofType('state').map((e) => [e.to, e.reason]);
      expect(reasons).to.deep.equal([
        ['starting', undefined],
        ['running', undefined],
        ['stopping', { type: 'timeout' }],
        ['stopped', { type: 'timeout' }],
        ['starting', undefined],
        ['running', undefined],
        ['crashed', { type: 'crash', error }],
      ]);
      for (const e of rec.ofType('state'))
        if (e.to === 'starting' || e.to === 'running') expect(e).to.not.have.property('reason');
      rec.stop();
    });

    it('reports a child added at runtime, with its transitions', async () => {
      const p = new Service({ name: 'P' });
      await p.start();
      const rec = recordEvents(p);
      const c = await p.addRuntimeDependency(new Service({ name: 'C' }));
      await p.stop();
      const child = rec.ofType('child');
      expect(child).to.have.length(1);
      expect(child[0]).to.deep.include({ op: 'added', child: { id: c.id, name: 'C', path: 'P/C' } });
      expect(child[0]?.service).to.deep.equal({ id: p.id, name: 'P', path: 'P' });
      expect(
        rec.events.map((e) => (e.type === 'state' ? `${e.service.path}:${e.to}` : e.type)),
      ).to.deep.equal([
        'child',
        'P/C:starting',
        'P/C:running',
        'P:stopping',
        'P/C:stopping',
        'P/C:stopped',
        'P:stopped',
      ]);
      rec.stop();
    });

    it('emits child events for additions and removals before the first start too', async () => {
      const p = new Service({ name: 'P' });
      const rec = recordEvents(p);
      const a = p.addDependency(new Service({ name: 'A' }));
      await p.removeDependency(a);
      const child = rec.ofType('child').map((e) => [e.op, e.child.name]);
      expect(child).to.deep.equal([
        ['added', 'A'],
        ['removed', 'A'],
      ]);
      rec.stop();
    });

    it('reports the removal after the removed child stopped, then nothing more from it', async () => {
      const p = new Service({ name: 'P' });
      const a = p.addDependency(new Service({ name: 'A' }));
      await p.start();
      const rec = recordEvents(p);
      await p.removeDependency(a);
      await a.start();
      await a.stop();
      expect(
        rec.events.map((e) =>
          e.type === 'state' ? `${e.service.path}:${e.to}` : `${e.type}:${(e as { op?: string }).op}`,
        ),
      ).to.deep.equal(['P/A:stopping', 'P/A:stopped', 'child:removed']);
      rec.stop();
      await p.stop();
    });

    it('follows a child to its new parent', async () => {
      const p = new Service({ name: 'P' });
      const q = new Service({ name: 'Q' });
      const a = p.addDependency(new Service({ name: 'A' }));
      const fromP = recordEvents(p);
      const fromQ = recordEvents(q);
      q.addDependency(a);
      await a.start();
      await a.stop();
      expect(fromP.ofType('child').map((e) => e.op)).to.deep.equal(['removed']);
      expect(fromP.ofType('state')).to.deep.equal([]);
      expect(fromQ.transitions()).to.deep.equal([
        'Q/A:init>starting',
        'Q/A:starting>running',
        'Q/A:running>stopping',
        'Q/A:stopping>stopped',
      ]);
      fromP.stop();
      fromQ.stop();
    });

    it('reports each hook that ran, with its error when it failed', async () => {
      const error = new Error('onStop failed');
      const p = probe([], 'P', { hooks: { onStop: rejects(error) } });
      p.addDependency(probe([], 'A'));
      const rec = recordEvents(p);
      await p.start();
      await p.stop().catch(() => {});
      expect(rec.hooks()).to.deep.equal([
        'P.onFirstStart',
        'P.onStart',
        'P/A.onFirstStart',
        'P/A.onStart',
        'P/A.onStarted',
        'P.onStarted',
        'P.onStop!',
        'P/A.onStop',
        'P/A.onShutdown',
        'P.onShutdown',
      ]);
      expect(rec.ofType('hook').find((e) => e.error !== undefined)?.error).to.equal(error);
      rec.stop();
    });

    it('emits synchronously, right after the state$ emission it reports', async () => {
      const svc = new Service({ name: 'S' });
      const seen: string[] = [];
      svc.state$.subscribe((s) => seen.push(`state$ ${s}`));
      svc.events$.subscribe((e) => {
        if (e.type === 'state') seen.push(`events$ ${e.to}`);
      });
      await svc.start();
      await svc.stop();
      expect(seen).to.deep.equal([
        'state$ init',
        'state$ starting',
        'events$ starting',
        'state$ running',
        'events$ running',
        'state$ stopping',
        'events$ stopping',
        'state$ stopped',
        'events$ stopped',
      ]);
    });

    it('keeps the order when a state$ subscriber triggers a transition synchronously', async () => {
      const svc = new Service({ name: 'S' });
      const rec = recordEvents(svc);
      const error = new Error('crash on running');
      const sub = svc.state$.subscribe((s) => {
        if (s === 'running') svc.crash(error);
      });
      await svc.start().catch(() => {});
      await svc.waitUntilStopped();
      expect(rec.transitions()).to.deep.equal(['S:init>starting', 'S:starting>running', 'S:running>crashed']);
      expect(svc.state).to.equal('crashed');
      sub.unsubscribe();
      rec.stop();
    });

    it('keeps the order for every subscriber when an events$ subscriber triggers transitions', async () => {
      const p = new Service({ name: 'P' });
      const a = p.addDependency(new Service({ name: 'A' }));
      const first: string[] = [];
      const sub = p.events$.subscribe((e) => {
        if (e.type !== 'state') return;
        first.push(`${e.service.path}:${e.from}>${e.to}`);
        if (e.service.path === 'P/A' && e.to === 'running') void p.stop();
      });
      const second = recordEvents(p);
      await p.start();
      await p.waitUntilStopped();
      const expected = [
        'P:init>starting',
        'P/A:init>starting',
        'P/A:starting>running',
        'P:starting>stopping',
        'P/A:running>stopping',
        'P/A:stopping>stopped',
        'P:stopping>stopped',
      ];
      expect(first).to.deep.equal(expected);
      expect(second.transitions()).to.deep.equal(expected);
      expect(a.state).to.equal('stopped');
      sub.unsubscribe();
      second.stop();
    });

    it('does not skip the transitions of a stop requested from the starting event', async () => {
      const svc = new Service({ name: 'S' });
      const rec = recordEvents(svc);
      const sub = svc.events$.subscribe((e) => {
        if (e.type === 'state' && e.to === 'starting') void svc.stop();
      });
      await svc.start();
      await svc.waitUntilStopped();
      expect(rec.transitions()).to.deep.equal([
        'S:init>starting',
        'S:starting>stopping',
        'S:stopping>stopped',
      ]);
      sub.unsubscribe();
      rec.stop();
    });
    it("keeps every service's transitions continuous when subscribers of several services react", async () => {
      const p = new Service({ name: 'P' });
      const a = p.addDependency(new Service({ name: 'A' }));
      const b = p.addDependency(new Service({ name: 'B' }));
      const rec = recordEvents(p);
      const subs = [
        // B crashing as soon as it runs; A restarting itself from inside its own stopped emission
        b.state$.subscribe((s) => s === 'running' && b.crash(new Error('b'))),
        a.events$.subscribe((e) => {
          if (e.type === 'state' && e.to === 'stopped' && a.restartCount === 0) void a.start();
        }),
        p.state$.subscribe((s) => s === 'crashed' && void a.stop()),
      ];
      await p.start().catch(() => {});
      await p.waitUntilStopped();
      await flush();
      for (const sub of subs) sub.unsubscribe();
      expectOnlyAllowedTransitions(rec.events);
      expect(p.state).to.equal('crashed');
      expect(rec.transitions()).to.include.members([
        'P/B:starting>running',
        'P/B:running>crashed',
        'P:starting>crashed',
      ]);
      rec.stop();
      await a.stop();
    });

    it('reports a grandchild added at runtime to a child, on the root', async () => {
      const p = new Service({ name: 'P' });
      const a = p.addDependency(new Service({ name: 'A' }));
      await p.start();
      const rec = recordEvents(p);
      await a.addRuntimeDependency(new Service({ name: 'G' }));
      await p.stop();
      expect(rec.ofType('child').map((e) => [e.service.path, e.op, e.child.path])).to.deep.equal([
        ['P/A', 'added', 'P/A/G'],
      ]);
      expect(rec.transitions()).to.include.ordered.members(['P/A/G:init>starting', 'P/A/G:starting>running']);
      expect(rec.transitions()).to.include('P/A/G:stopping>stopped');
      rec.stop();
    });

    it('reports a crash event for each service an escalating crash reaches, innermost first', async () => {
      const root = new Service({ name: 'R' });
      const mid = root.addDependency(new Service({ name: 'M' }));
      const leaf = mid.addDependency(new Service({ name: 'L' }));
      await root.start();
      const rec = recordEvents(root);
      const error = new Error('deep');
      leaf.crash(error);
      await root.waitUntilStopped();
      const crashes = rec.ofType('crash');
      expect(crashes.map((e) => e.service.path)).to.deep.equal(['R/M/L', 'R/M', 'R']);
      for (const e of crashes) expect(e.error).to.equal(error);
      rec.stop();
    });

    it('reports onCrash and onRestart as hook events when they ran', async () => {
      const svc = probe([], 'S');
      await svc.start();
      const rec = recordEvents(svc);
      svc.crash(new Error('boom'));
      await svc.waitUntilStopped();
      await svc.restart();
      expect(rec.hooks()).to.deep.equal([
        'S.onCrash',
        'S.onStop',
        'S.onShutdown',
        'S.onRestart',
        'S.onStart',
        'S.onStarted',
      ]);
      rec.stop();
      await svc.stop();
    });
  });

  describe('#events$ timing', () => {
    const fake = useFakeClock();

    it('stamps events with scheduler time and hooks with their duration', async () => {
      const svc = probe([], 'S', { hooks: { onStart: waits(250), onStop: waits(40) } });
      const rec = recordEvents(svc);
      await fake.clock.tickAsync(1000);
      const started = svc.start();
      await fake.clock.tickAsync(250);
      await started;
      const stopped = svc.stop();
      await fake.clock.tickAsync(40);
      await stopped;
      const at = rec.ofType('state').map((e) => [e.to, e.at]);
      expect(at).to.deep.equal([
        ['starting', 1000],
        ['running', 1250],
        ['stopping', 1250],
        ['stopped', 1290],
      ]);
      const hooks = rec.ofType('hook').map((e) => [e.hook, e.at, e.durationMs]);
      expect(hooks).to.deep.include.members([
        ['onStart', 1250, 250],
        ['onStop', 1290, 40],
      ]);
      rec.stop();
    });
  });

  describe('#events$ with an injected scheduler', () => {
    it("uses the scheduler's clock for `at`, for the whole subtree", async () => {
      const scheduler = new VirtualTimeScheduler();
      scheduler.schedule(() => {}, 5000);
      scheduler.flush();
      const p = new Service({ name: 'P', scheduler });
      p.addDependency(new Service({ name: 'A' }));
      const rec = recordEvents(p);
      await p.start();
      await p.stop();
      const stamps = new Set(rec.events.map((e: LifecycleEvent) => e.at));
      expect([...stamps]).to.deep.equal([5000]);
      rec.stop();
    });
  });
});
