// Specs for managing the children of a supervisor (API.md section 6): add (before and after the
// start), discard, insert, and the replacement factory that puts a new instance in a crashed
// child's slot.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';
import {
  OneForAllSupervisor,
  OneForOneSupervisor,
  type Supervisor,
  type SupervisorDecision,
} from '../../lib/supervisors/index.js';
import { flush, probe, recordEvents, throws, useFakeClock } from '../support/lifecycle.js';
import { decisionLog } from './support.js';

const names = (sup: Supervisor): string[] => sup.children.map((c) => c.name);

describe('Supervisor', () => {
  describe('#add()', () => {
    it('adds children before the start, which start with the supervisor in order, and returns it', async () => {
      const log: string[] = [];
      const sup = new OneForOneSupervisor({ name: 'sup' });
      expect(sup.add(probe(log, 'A'), probe(log, 'B'))).to.equal(sup);
      await sup.start();
      expect(log.filter((l) => l.endsWith('.onStart'))).to.deep.equal(['A.onStart', 'B.onStart']);
      expect(sup.children.map((c) => c.state)).to.deep.equal(['running', 'running']);
      await sup.stop();
    });

    it('starts children added to a running supervisor', async () => {
      const sup = new OneForOneSupervisor({ name: 'sup' });
      await sup.start();
      const [a, b] = [new Service({ name: 'A' }), new Service({ name: 'B' })];
      sup.add(a, b);
      await flush();
      expect([a.state, b.state]).to.deep.equal(['running', 'running']);
      expect(a.path).to.equal('sup/A');
      a.crash(new Error('boom'));
      await flush();
      expect([a.state, a.restartCount]).to.deep.equal(['running', 1]);
      await sup.stop();
    });

    it('treats a child added at runtime that fails to start as a crash', async () => {
      const log: string[] = [];
      let starts = 0;
      const failing = throws(new Error('not yet'));
      const child = probe(log, 'child', {
        hooks: { onStart: (s) => (++starts === 1 ? failing(s) : undefined) },
      });
      const sup = new OneForOneSupervisor({ name: 'sup' });
      const decisions = decisionLog(sup);
      await sup.start();
      sup.add(child);
      await flush();
      expect(decisions).to.deep.equal(['child:restart#1+0']);
      expect(child.state).to.equal('running');
      await sup.stop();
    });

    it('refuses what is not a Service, naming its position', () => {
      const sup = new OneForOneSupervisor({ name: 'sup' });
      expect(() => sup.add(new Service(), {} as Service)).to.throw(
        TypeError,
        /services\[1\] must be a Service/,
      );
      expect(sup.children).to.have.length(0);
    });
  });

  describe('#discard()', () => {
    it('stops and detaches children; they are not restarted', async () => {
      const sup = new OneForOneSupervisor({ name: 'sup' });
      const [a, b, c] = ['A', 'B', 'C'].map((name) => new Service({ name }));
      sup.add(a!, b!, c!);
      const events = recordEvents(sup);
      const decisions = decisionLog(sup);
      await sup.start();
      await sup.discard(a!, c!);
      await flush();
      expect(names(sup)).to.deep.equal(['B']);
      expect([a!.state, c!.state]).to.deep.equal(['stopped', 'stopped']);
      expect([a!.parent, c!.parent]).to.deep.equal([undefined, undefined]);
      expect(decisions).to.deep.equal([]);
      const stopped = events
        .ofType('state')
        .filter((e) => e.to === 'stopped')
        .map((e) => e.service.name);
      expect(stopped).to.deep.equal(['C', 'A']);
      expect(events.ofType('child').map((e) => `${e.op}:${e.child.name}`)).to.deep.include.members([
        'removed:A',
        'removed:C',
      ]);
      events.stop();
      await sup.stop();
    });

    it('ignores services that are not its children', async () => {
      const sup = new OneForOneSupervisor({ name: 'sup' });
      const stranger = new Service({ name: 'stranger' });
      await stranger.start();
      await sup.discard(stranger);
      expect(stranger.state).to.equal('running');
      await stranger.stop();
    });

    it('refuses what is not a Service', () => {
      const sup = new OneForOneSupervisor({ name: 'sup' });
      expect(() => sup.discard(42 as unknown as Service)).to.throw(
        TypeError,
        /services\[0\] must be a Service; received 42/,
      );
    });
  });

  describe('#discard() during a backoff wait', () => {
    const fake = useFakeClock();

    it('cancels the pending restart of the discarded child', async () => {
      const sup = new OneForOneSupervisor({ name: 'sup', backoff: { initial: 100, max: 100 } });
      const child = new Service({ name: 'child' });
      sup.add(child);
      await sup.start();
      child.crash(new Error('flaky'));
      await flush();
      await sup.discard(child);
      await fake.clock.tickAsync(200);
      expect([child.state, child.restartCount, child.parent]).to.deep.equal(['crashed', 0, undefined]);
      await sup.stop();
    });
  });

  describe('#insert()', () => {
    it('replaces the service at an index, stopping the old one, and starts the new one', async () => {
      const sup = new OneForOneSupervisor({ name: 'sup' });
      const [a, b, c] = ['A', 'B', 'C'].map((name) => new Service({ name }));
      sup.add(a!, b!, c!);
      await sup.start();
      const fresh = new Service({ name: 'B2' });
      await sup.insert(1, fresh);
      expect(names(sup)).to.deep.equal(['A', 'B2', 'C']);
      expect([b!.state, b!.parent]).to.deep.equal(['stopped', undefined]);
      expect(fresh.state).to.equal('running');
      fresh.crash(new Error('boom'));
      await flush();
      expect(fresh.state).to.equal('running');
      await sup.stop();
    });

    it('appends at index children.length, and only adds before the start', async () => {
      const sup = new OneForOneSupervisor({ name: 'sup' });
      const a = new Service({ name: 'A' });
      await sup.insert(0, a);
      await sup.insert(1, new Service({ name: 'B' }));
      expect(names(sup)).to.deep.equal(['A', 'B']);
      expect(a.state).to.equal('init');
      await sup.start();
      expect(sup.children.map((c) => c.state)).to.deep.equal(['running', 'running']);
      await sup.stop();
    });

    it('refuses an index out of range, a non-Service and a service that is already a child', () => {
      const sup = new OneForOneSupervisor({ name: 'sup' });
      const a = new Service({ name: 'A' });
      sup.add(a);
      expect(() => sup.insert(2, new Service())).to.throw(
        TypeError,
        /index must be an integer from 0 to 1; received 2/,
      );
      expect(() => sup.insert(-1, new Service())).to.throw(TypeError, /index .* received -1/);
      expect(() => sup.insert(0.5, new Service())).to.throw(TypeError, /index .* received 0.5/);
      expect(() => sup.insert(0, 'x' as unknown as Service)).to.throw(TypeError, /service must be a Service/);
      expect(() => sup.insert(0, a)).to.throw(TypeError, /already a child/);
    });
  });

  describe('replacement', () => {
    it('puts a new instance in the crashed child’s slot instead of restarting it', async () => {
      const calls: [string, number][] = [];
      let made = 0;
      const sup = new OneForOneSupervisor({
        name: 'sup',
        replacement: (crashed, index) => {
          calls.push([crashed.name, index]);
          return new Service({ name: `${crashed.name}-${++made}` });
        },
      });
      const [a, b, c] = ['A', 'B', 'C'].map((name) => new Service({ name }));
      sup.add(a!, b!, c!);
      const decisions = decisionLog(sup);
      await sup.start();
      b!.crash(new Error('boom'));
      await flush();
      expect(calls).to.deep.equal([['B', 1]]);
      expect(names(sup)).to.deep.equal(['A', 'B-1', 'C']);
      expect([b!.state, b!.parent, b!.restartCount]).to.deep.equal(['crashed', undefined, 0]);
      const fresh = sup.children[1]!;
      expect(fresh.state).to.equal('running');
      fresh.crash(new Error('again'));
      await flush();
      expect(names(sup)).to.deep.equal(['A', 'B-1-2', 'C']);
      expect(decisions).to.deep.equal(['B:restart#1+0', 'B-1:restart#2+0']);
      await sup.stop();
    });

    it('accepts a promise of the new instance', async () => {
      const sup = new OneForOneSupervisor({
        name: 'sup',
        replacement: async () => new Service({ name: 'fresh' }),
      });
      sup.add(new Service({ name: 'old' }));
      await sup.start();
      sup.children[0]!.crash(new Error('boom'));
      await flush();
      expect(names(sup)).to.deep.equal(['fresh']);
      expect(sup.children[0]!.state).to.equal('running');
      await sup.stop();
    });

    it('replaces only the crashed child in a group restart (OneForAll)', async () => {
      const sup = new OneForAllSupervisor({
        name: 'sup',
        replacement: (crashed) => new Service({ name: `${crashed.name}'` }),
      });
      const [a, b] = [new Service({ name: 'A' }), new Service({ name: 'B' })];
      sup.add(a, b);
      await sup.start();
      a.crash(new Error('boom'));
      await flush();
      expect(names(sup)).to.deep.equal(["A'", 'B']);
      expect(b.restartCount).to.equal(1);
      expect(sup.children.map((c) => c.state)).to.deep.equal(['running', 'running']);
      await sup.stop();
    });

    it('counts a failing factory as another crash of the child, up to the intensity limit', async () => {
      const error = new Error('cannot build');
      const sup = new OneForOneSupervisor({
        name: 'sup',
        maxRestarts: 3,
        replacement: () => {
          throw error;
        },
      });
      const child = new Service({ name: 'child' });
      sup.add(child);
      const decisions = decisionLog(sup);
      await sup.start();
      child.crash(new Error('boom'));
      await flush();
      expect(decisions).to.deep.equal([
        'child:restart#1+0',
        'child:restart#2+0',
        'child:restart#3+0',
        'child:escalate#4+0',
      ]);
      expect(sup.state).to.equal('crashed');
      expect((sup.crashReason as Error & { cause: unknown }).cause).to.equal(error);
    });

    it('counts a factory result that is not a Service as a crash', async () => {
      const sup = new OneForOneSupervisor({
        name: 'sup',
        maxRestarts: 1,
        replacement: () => 'nope' as unknown as Service,
      });
      sup.add(new Service({ name: 'child' }));
      await sup.start();
      sup.children[0]!.crash(new Error('boom'));
      await flush();
      expect(sup.state).to.equal('crashed');
      const cause = (sup.crashReason as Error & { cause: unknown }).cause;
      expect(cause).to.be.instanceOf(TypeError);
      expect((cause as Error).message).to.match(/replacement must return a Service; received "nope"/);
    });
  });

  describe('#events$ and #decisions$', () => {
    it('sends every decision as a supervisor event that reaches the ancestors', async () => {
      const root = new Service({ name: 'root' });
      const sup = root.addDependency(new OneForOneSupervisor({ name: 'sup' }));
      const child = new Service({ name: 'child' });
      sup.add(child);
      const events = recordEvents(root);
      const decisions: SupervisorDecision[] = [];
      sup.decisions$.subscribe((d) => decisions.push(d));
      await root.start();
      child.crash(new Error('boom'));
      await flush();
      const supervisorEvents = events.ofType('supervisor');
      expect(supervisorEvents).to.have.length(1);
      const { type, service, at, ...data } = supervisorEvents[0]!;
      expect(type).to.equal('supervisor');
      expect(service).to.deep.equal(sup.ref);
      expect(at).to.be.a('number');
      expect(data).to.deep.equal({ child: child.ref, decision: 'restart', attempt: 1, delayMs: 0 });
      expect(decisions).to.deep.equal([data]);
      events.stop();
      await root.stop();
    });
  });
});
