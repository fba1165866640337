// Supervisors on real timers (no virtual time): the backoff delay really passes, a flaky child
// escalates once the intensity limit is reached, and a stop ends a long backoff wait at once.
import { expect } from 'chai';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { MaxRestartsExceededError, Service } from '../../lib/index.js';
import { OneForOneSupervisor, type SupervisorDecision } from '../../lib/supervisors/index.js';

/** Crashes from run() `afterMs` after every start. */
class Flaky extends Service {
  constructor(readonly afterMs: number) {
    super({ name: 'flaky' });
  }
  protected override async run(): Promise<void> {
    if (await this.sleep(this.afterMs)) throw new Error('flaky');
  }
}

const TOLERANCE_MS = 1000;

describe('Supervisor (real time)', () => {
  it('waits the backoff delay before restarting', async () => {
    const sup = new OneForOneSupervisor({ name: 'sup', backoff: { initial: 40, max: 40 } });
    const child = new Service({ name: 'child' });
    sup.add(child);
    await sup.start();
    const t0 = performance.now();
    child.crash(new Error('boom'));
    await firstValueFrom(
      child.state$.pipe(
        filter((s) => s === 'running'),
        timeout(40 + TOLERANCE_MS),
      ),
    );
    expect(performance.now() - t0).to.be.at.least(39);
    await sup.stop();
  });

  it('restarts a flaky child with backoff until the intensity limit escalates to the parent', async () => {
    const root = new Service({ name: 'root' });
    const sup = root.addDependency(
      new OneForOneSupervisor({
        name: 'sup',
        maxRestarts: 3,
        over: '10s',
        backoff: { initial: 10, max: 40 },
      }),
    );
    sup.add(new Flaky(5));
    const decisions: SupervisorDecision[] = [];
    sup.decisions$.subscribe((d) => decisions.push(d));
    await root.start();
    await root.waitFor('crashed', { timeout: 10 + 20 + 40 + 4 * 5 + TOLERANCE_MS });
    expect(decisions.map((d) => `${d.decision}:${d.delayMs}`)).to.deep.equal([
      'restart:10',
      'restart:20',
      'restart:40',
      'escalate:0',
    ]);
    expect(root.crashReason).to.be.instanceOf(MaxRestartsExceededError);
  });

  it('ends a long backoff wait at once when the supervisor stops', async () => {
    const sup = new OneForOneSupervisor({ name: 'sup', backoff: { initial: '30s', max: '30s' } });
    const child = new Service({ name: 'child' });
    sup.add(child);
    await sup.start();
    child.crash(new Error('boom'));
    const t0 = performance.now();
    await sup.stop();
    expect(performance.now() - t0).to.be.below(TOLERANCE_MS);
    expect(child.state).to.equal('crashed');
  });
});
