// Specs for supervisors across their own lifecycle (API.md sections 3 and 6): a stop while a
// restart is under way, a new run after a stop, and restarts that fail inside a group restart.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';
import { OneForAllSupervisor, OneForOneSupervisor } from '../../lib/supervisors/index.js';
import { deferred, flush, probe, throws, useFakeClock } from '../support/lifecycle.js';
import { decisionLog } from './support.js';

describe('Supervisor lifecycle', () => {
  it('does not leave a child running when the supervisor stops during the child’s onRestart', async () => {
    const log: string[] = [];
    const gate = deferred();
    const child = probe(log, 'child', { hooks: { onRestart: () => gate.promise } });
    const sup = new OneForOneSupervisor({ name: 'sup' }).add(child);
    await sup.start();
    child.crash(new Error('boom'));
    await flush();
    expect(log[log.length - 1]).to.equal('child.onRestart');
    const stopped = sup.stop();
    await flush();
    expect(sup.state).to.equal('stopping');
    gate.resolve();
    await stopped;
    expect([sup.state, child.state]).to.deep.equal(['stopped', 'stopped']);
  });

  it('supervises again after a stop and a new start', async () => {
    const sup = new OneForOneSupervisor({ name: 'sup', maxRestarts: 1 });
    const child = new Service({ name: 'child' });
    sup.add(child);
    const decisions = decisionLog(sup);
    await sup.start();
    child.crash(new Error('one'));
    await flush();
    await sup.stop();
    await sup.start();
    child.crash(new Error('two'));
    await flush();
    expect(decisions).to.deep.equal(['child:restart#1+0', 'child:restart#1+0']);
    expect([sup.state, child.state, child.restartCount]).to.deep.equal(['running', 'running', 3]);
    await sup.stop();
  });

  it('hands a group restart over when a child fails to start again in it (OneForAll)', async () => {
    const log: string[] = [];
    let starts = 0;
    const failing = throws(new Error('not ready'));
    const a = probe(log, 'A');
    const b = probe(log, 'B', { hooks: { onStart: (s) => (++starts === 2 ? failing(s) : undefined) } });
    const c = probe(log, 'C');
    const sup = new OneForAllSupervisor({ name: 'sup' }).add(a, b, c);
    const decisions = decisionLog(sup);
    await sup.start();
    a.crash(new Error('boom'));
    await flush(6);
    expect(decisions).to.deep.equal(['A:restart#1+0', 'B:restart#1+0']);
    expect([a.state, b.state, c.state]).to.deep.equal(['running', 'running', 'running']);
    expect([a.restartCount, b.restartCount, c.restartCount]).to.deep.equal([2, 2, 1]);
    await sup.stop();
  });

  describe('with a backoff wait pending', () => {
    const fake = useFakeClock();

    it('forgets the pending restart of the previous run when started again', async () => {
      const sup = new OneForOneSupervisor({ name: 'sup', backoff: { initial: 100, max: 100 } });
      const child = new Service({ name: 'child' });
      sup.add(child);
      await sup.start();
      child.crash(new Error('boom'));
      await flush();
      await sup.stop();
      await sup.start();
      expect([child.state, child.restartCount]).to.deep.equal(['running', 1]);
      await fake.clock.tickAsync(500);
      expect([child.state, child.restartCount]).to.deep.equal(['running', 1]);
      await sup.stop();
    });
  });
});
