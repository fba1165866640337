// Specs for the restart intensity of supervisors (API.md sections 6 and 10), in virtual time: at
// most maxRestarts restarts within a half-open window of `over`, counted when decided; the next
// one crashes the supervisor with MaxRestartsExceededError, which escalates to its parent.
import { expect } from 'chai';
import { MaxRestartsExceededError, Service, isServiceError } from '../../lib/index.js';
import { OneForAllSupervisor, OneForOneSupervisor } from '../../lib/supervisors/index.js';
import { flush, useFakeClock } from '../support/lifecycle.js';
import { recordDecisions } from './support.js';

describe('Supervisor restart intensity', () => {
  const fake = useFakeClock();

  /** Advances virtual time to `t`, crashes `child` there and lets the decision's work run. */
  async function crashAt(
    t: number,
    child: Service<any>,
    error: unknown = new Error(`crash at ${t}`),
  ): Promise<void> {
    await fake.clock.tickAsync(t - fake.clock.now);
    child.crash(error);
    await flush();
  }

  it('allows maxRestarts restarts within over; the next crash escalates as MaxRestartsExceededError', async () => {
    const root = new Service({ name: 'root' });
    const sup = root.addDependency(new OneForOneSupervisor({ name: 'sup', maxRestarts: 3, over: '1s' }));
    const child = new Service({ name: 'child' });
    sup.add(child);
    const decisions = recordDecisions(sup);
    await root.start();
    await crashAt(0, child);
    await crashAt(100, child);
    await crashAt(200, child);
    expect(child.state).to.equal('running');
    expect(sup.state).to.equal('running');
    const last = new Error('crash at 300');
    await crashAt(300, child, last);
    expect(decisions.map((d) => d.decision)).to.deep.equal(['restart', 'restart', 'restart', 'escalate']);
    expect(decisions[3]).to.deep.equal({ child: child.ref, decision: 'escalate', attempt: 4, delayMs: 0 });
    expect([root.state, sup.state, child.state]).to.deep.equal(['crashed', 'crashed', 'crashed']);
    const error = sup.crashReason as MaxRestartsExceededError;
    expect(error).to.be.instanceOf(MaxRestartsExceededError);
    expect(isServiceError(error)).to.equal(true);
    expect(error.code).to.equal('ERR_MAX_RESTARTS');
    expect(error.restarts).to.equal(3);
    expect(error.windowMs).to.equal(1000);
    expect(error.service).to.deep.equal(sup.ref);
    expect(error.cause).to.equal(last);
    expect(root.crashReason).to.equal(error);
  });

  it('defaults to 100 restarts within 1s', async () => {
    const sup = new OneForOneSupervisor({ name: 'sup' });
    const child = new Service({ name: 'child' });
    sup.add(child);
    await sup.start();
    for (let i = 0; i < 100; i++) await crashAt(i * 5, child);
    expect([sup.state, child.restartCount]).to.deep.equal(['running', 100]);
    await crashAt(999, child);
    expect(sup.state).to.equal('crashed');
    expect(sup.crashReason).to.include({ restarts: 100, windowMs: 1000 });
  });

  it('counts restarts after a permanent child stopped on its own', async () => {
    const sup = new OneForOneSupervisor({ name: 'sup', maxRestarts: 1 });
    const child = new Service({ name: 'child' });
    sup.add(child);
    await sup.start();
    await child.stop();
    await flush();
    expect(child.state).to.equal('running');
    await child.stop();
    await flush();
    expect(sup.state).to.equal('crashed');
    const error = sup.crashReason as MaxRestartsExceededError;
    expect(error.restarts).to.equal(1);
    expect(error.cause).to.equal(undefined);
  });

  it('escalates at the first crash with maxRestarts: 0', async () => {
    const sup = new OneForOneSupervisor({ name: 'sup', maxRestarts: 0 });
    const child = new Service({ name: 'child' });
    sup.add(child);
    await sup.start();
    await crashAt(0, child);
    expect(sup.state).to.equal('crashed');
    expect((sup.crashReason as MaxRestartsExceededError).restarts).to.equal(0);
  });

  it('no longer counts a restart made exactly `over` ago (half-open window)', async () => {
    const sup = new OneForOneSupervisor({ name: 'sup', maxRestarts: 2, over: 1000 });
    const child = new Service({ name: 'child' });
    sup.add(child);
    const decisions = recordDecisions(sup);
    await sup.start();
    await crashAt(0, child);
    await crashAt(500, child);
    await crashAt(1000, child);
    expect(sup.state).to.equal('running');
    expect(child.state).to.equal('running');
    await crashAt(1499, child);
    expect(decisions.map((d) => d.decision)).to.deep.equal(['restart', 'restart', 'restart', 'escalate']);
    expect(sup.state).to.equal('crashed');
    expect((sup.crashReason as MaxRestartsExceededError).restarts).to.equal(2);
  });

  it('still counts a restart made just under `over` ago', async () => {
    const sup = new OneForOneSupervisor({ name: 'sup', maxRestarts: 2, over: 1000 });
    const child = new Service({ name: 'child' });
    sup.add(child);
    await sup.start();
    await crashAt(0, child);
    await crashAt(500, child);
    await crashAt(999, child);
    expect(sup.state).to.equal('crashed');
  });

  it('counts a restart when it is decided, before its backoff delay', async () => {
    const sup = new OneForOneSupervisor({
      name: 'sup',
      maxRestarts: 1,
      backoff: { initial: '1s', max: '1s' },
    });
    const [a, b] = [new Service({ name: 'A' }), new Service({ name: 'B' })];
    sup.add(a, b);
    const decisions = recordDecisions(sup);
    await sup.start();
    await crashAt(0, a);
    expect(a.state).to.equal('crashed');
    await crashAt(10, b);
    expect(decisions.map((d) => `${d.child.name}:${d.decision}`)).to.deep.equal(['A:restart', 'B:escalate']);
    expect(sup.state).to.equal('crashed');
    await fake.clock.tickAsync(2000);
    expect([a.state, a.restartCount]).to.deep.equal(['crashed', 0]);
  });

  it('counts a restart of the whole group once (OneForAll)', async () => {
    const sup = new OneForAllSupervisor({ name: 'sup', maxRestarts: 2, over: '1s' });
    const children = ['A', 'B', 'C'].map((name) => new Service({ name }));
    sup.add(...children);
    await sup.start();
    await crashAt(0, children[0]!);
    await crashAt(10, children[1]!);
    expect(sup.state).to.equal('running');
    expect(children.map((c) => c.restartCount)).to.deep.equal([2, 2, 2]);
    await crashAt(20, children[2]!);
    expect(sup.state).to.equal('crashed');
  });

  it('starts each run of the supervisor with an empty window (a parent supervisor restarts it)', async () => {
    const outer = new OneForOneSupervisor({ name: 'outer' });
    const inner = new OneForOneSupervisor({ name: 'inner', maxRestarts: 1 });
    const child = new Service({ name: 'child' });
    outer.add(inner.add(child));
    const outerDecisions = recordDecisions(outer);
    await outer.start();
    await crashAt(0, child);
    await crashAt(10, child);
    expect(outerDecisions.map((d) => `${d.child.path}:${d.decision}`)).to.deep.equal(['outer/inner:restart']);
    expect([outer.state, inner.state, child.state]).to.deep.equal(['running', 'running', 'running']);
    expect(inner.restartCount).to.equal(1);
    await crashAt(20, child);
    expect([inner.state, child.state]).to.deep.equal(['running', 'running']);
    await outer.stop();
  });
});
