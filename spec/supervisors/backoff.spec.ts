// Specs for the restart backoff of supervisors (API.md section 6), in virtual time: the delay
// before attempt n is min(max, initial × factor^(n-1)) ± jitter × delay, n starts again after the
// child ran resetAfter, and a stop of the supervisor ends a backoff wait at once.
import { expect } from 'chai';
import sinon from 'sinon';
import { Service } from '../../lib/index.js';
import {
  OneForAllSupervisor,
  OneForOneSupervisor,
  type SupervisorDecision,
} from '../../lib/supervisors/index.js';
import { flush, recordEvents, useFakeClock } from '../support/lifecycle.js';
import { recordDecisions } from './support.js';

describe('Supervisor backoff', () => {
  const fake = useFakeClock();

  /**
   * Crashes `child` now and checks that it is still crashed 1 ms before the delay the decision
   * announced and running at it; resolves with that delay.
   */
  async function crashAndAwaitRestart(child: Service, decisions: SupervisorDecision[]): Promise<number> {
    child.crash(new Error('flaky'));
    await flush();
    const { delayMs } = decisions[decisions.length - 1]!;
    if (delayMs > 0) {
      await fake.clock.tickAsync(delayMs - 1);
      expect(child.state, `1 ms before the ${delayMs} ms delay`).to.equal('crashed');
      await fake.clock.tickAsync(1);
    }
    expect(child.state, `after the ${delayMs} ms delay`).to.equal('running');
    return delayMs;
  }

  it('waits min(max, initial × factor^(n-1)) before attempt n', async () => {
    const sup = new OneForOneSupervisor({
      name: 'sup',
      backoff: { initial: '100ms', max: '1s', resetAfter: '1h' },
    });
    const child = new Service({ name: 'child' });
    sup.add(child);
    const decisions = recordDecisions(sup);
    await sup.start();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) delays.push(await crashAndAwaitRestart(child, decisions));
    expect(delays).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
    expect(decisions.map((d) => d.attempt)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(child.restartCount).to.equal(6);
    await sup.stop();
  });

  it('grows by the given factor', async () => {
    const sup = new OneForOneSupervisor({
      name: 'sup',
      backoff: { initial: 10, max: 10_000, factor: 3, resetAfter: '1h' },
    });
    const child = new Service({ name: 'child' });
    sup.add(child);
    const decisions = recordDecisions(sup);
    await sup.start();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) delays.push(await crashAndAwaitRestart(child, decisions));
    expect(delays).to.deep.equal([10, 30, 90, 270]);
    await sup.stop();
  });

  it('moves each delay by up to jitter × delay either way, at random', async () => {
    const draws = [0, 0.5, 0.75, 0.999];
    const random = sinon.stub(Math, 'random').callsFake(() => draws.shift() ?? 0.5);
    try {
      const sup = new OneForOneSupervisor({
        name: 'sup',
        backoff: { initial: 100, max: 1000, jitter: 0.5, resetAfter: '1h' },
      });
      const child = new Service({ name: 'child' });
      sup.add(child);
      const decisions = recordDecisions(sup);
      await sup.start();
      const delays: number[] = [];
      for (let i = 0; i < 4; i++) delays.push(await crashAndAwaitRestart(child, decisions));
      // 100 − 50 %, 200 ± 0, 400 + 25 %, 800 + 49.9 % (jitter may pass max)
      expect(delays).to.deep.equal([50, 200, 500, 1199]);
      await sup.stop();
    } finally {
      random.restore();
    }
  });

  it('starts the sequence again once the child ran resetAfter without crashing', async () => {
    const sup = new OneForOneSupervisor({
      name: 'sup',
      backoff: { initial: 100, max: 1000, resetAfter: 500 },
    });
    const child = new Service({ name: 'child' });
    sup.add(child);
    const decisions = recordDecisions(sup);
    await sup.start();
    expect(await crashAndAwaitRestart(child, decisions)).to.equal(100);
    expect(await crashAndAwaitRestart(child, decisions)).to.equal(200);
    await fake.clock.tickAsync(499);
    expect(await crashAndAwaitRestart(child, decisions)).to.equal(400);
    await fake.clock.tickAsync(500);
    expect(await crashAndAwaitRestart(child, decisions)).to.equal(100);
    expect(decisions.map((d) => d.attempt)).to.deep.equal([1, 2, 3, 1]);
    await sup.stop();
  });

  it('uses max as the default resetAfter', async () => {
    const sup = new OneForOneSupervisor({ name: 'sup', backoff: { initial: 100, max: 300 } });
    const child = new Service({ name: 'child' });
    sup.add(child);
    const decisions = recordDecisions(sup);
    await sup.start();
    await crashAndAwaitRestart(child, decisions);
    await fake.clock.tickAsync(299);
    expect(await crashAndAwaitRestart(child, decisions)).to.equal(200);
    await fake.clock.tickAsync(300);
    expect(await crashAndAwaitRestart(child, decisions)).to.equal(100);
    await sup.stop();
  });

  it('restarts at once without backoff, numbering attempts until the child ran `over`', async () => {
    const sup = new OneForOneSupervisor({ name: 'sup', over: '1s' });
    const child = new Service({ name: 'child' });
    sup.add(child);
    const decisions = recordDecisions(sup);
    await sup.start();
    await crashAndAwaitRestart(child, decisions);
    await crashAndAwaitRestart(child, decisions);
    await fake.clock.tickAsync(1000);
    await crashAndAwaitRestart(child, decisions);
    expect(decisions.map((d) => [d.attempt, d.delayMs])).to.deep.equal([
      [1, 0],
      [2, 0],
      [1, 0],
    ]);
    await sup.stop();
  });

  it('ends a backoff wait at once when the supervisor stops, and never restarts the child', async () => {
    const sup = new OneForOneSupervisor({ name: 'sup', backoff: { initial: '10s', max: '10s' } });
    const child = new Service({ name: 'child' });
    sup.add(child);
    await sup.start();
    child.crash(new Error('flaky'));
    await flush();
    const stopped = sup.stop();
    await flush();
    expect(sup.state).to.equal('stopped');
    await stopped;
    expect(fake.clock.countTimers()).to.equal(0);
    await fake.clock.tickAsync(20_000);
    expect([child.state, child.restartCount]).to.deep.equal(['crashed', 0]);
  });

  it('ends a backoff wait at once when the supervisor crashes', async () => {
    const sup = new OneForOneSupervisor({
      name: 'sup',
      maxRestarts: 1,
      backoff: { initial: '10s', max: '10s' },
    });
    const [a, b] = [new Service({ name: 'A' }), new Service({ name: 'B' })];
    sup.add(a, b);
    await sup.start();
    a.crash(new Error('first'));
    b.crash(new Error('second'));
    await flush();
    expect(sup.state).to.equal('crashed');
    expect(fake.clock.countTimers()).to.equal(0);
  });

  it('stops the group at once and starts it after the delay (OneForAll)', async () => {
    const sup = new OneForAllSupervisor({ name: 'sup', backoff: { initial: 100, max: 100 } });
    const [a, b] = [new Service({ name: 'A' }), new Service({ name: 'B' })];
    sup.add(a, b);
    const events = recordEvents(sup);
    await sup.start();
    await fake.clock.tickAsync(50);
    b.crash(new Error('flaky'));
    await flush();
    expect([a.state, b.state]).to.deep.equal(['stopped', 'crashed']);
    await fake.clock.tickAsync(100);
    expect([a.state, b.state]).to.deep.equal(['running', 'running']);
    const starts = events
      .ofType('state')
      .filter((e) => e.to === 'starting' && e.service.path !== 'sup')
      .map((e) => `${e.service.name}@${e.at}`);
    expect(starts).to.deep.equal(['A@0', 'B@0', 'A@150', 'B@150']);
    events.stop();
    await sup.stop();
  });
});
