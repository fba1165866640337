// Specs for the restart types of supervised children (API.md section 6): permanent children come
// back after a crash and after stopping on their own, transient ones only after a crash, temporary
// ones never; stops asked for by the supervisor or its parent never cause a restart.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';
import { OneForOneSupervisor, type RestartType, type Supervisor } from '../../lib/supervisors/index.js';
import { flush } from '../support/lifecycle.js';
import { decisionLog } from './support.js';

/** A running supervisor of the given restart type with one child. */
async function supervised(
  restart: RestartType,
): Promise<{ sup: Supervisor; child: Service; decisions: string[] }> {
  const sup = new OneForOneSupervisor({ name: 'sup', restart });
  const child = new Service({ name: 'child' });
  sup.add(child);
  const decisions = decisionLog(sup);
  await sup.start();
  return { sup, child, decisions };
}

describe('Supervisor restart types', () => {
  describe("'permanent' (the default)", () => {
    it('restarts a child after a crash', async () => {
      const { sup, child, decisions } = await supervised('permanent');
      child.crash(new Error('boom'));
      await flush();
      expect(decisions).to.deep.equal(['child:restart#1+0']);
      expect([child.state, child.restartCount]).to.deep.equal(['running', 1]);
      await sup.stop();
    });

    it('restarts a child that stopped on its own', async () => {
      const { sup, child, decisions } = await supervised('permanent');
      await child.stop();
      await flush();
      expect(decisions).to.deep.equal(['child:restart#1+0']);
      expect([child.state, child.restartCount]).to.deep.equal(['running', 1]);
      await child.stop({ type: 'signal', signal: 'SIGHUP' });
      await flush();
      expect([child.state, child.restartCount]).to.deep.equal(['running', 2]);
      await sup.stop();
    });

    it('is the default', async () => {
      const sup = new OneForOneSupervisor({ name: 'sup' });
      const child = new Service({ name: 'child' });
      sup.add(child);
      await sup.start();
      await child.stop();
      await flush();
      expect(child.state).to.equal('running');
      await sup.stop();
    });

    it('does not restart a child stopped by a restart, by the supervisor, or by its stop', async () => {
      const { sup, child, decisions } = await supervised('permanent');
      await child.restart();
      await child.stop({ type: 'supervisor', decision: 'restart' });
      await flush();
      expect(decisions).to.deep.equal([]);
      expect(child.state).to.equal('stopped');
      await child.start();
      await sup.stop();
      await flush();
      expect(decisions).to.deep.equal([]);
      expect([sup.state, child.state]).to.deep.equal(['stopped', 'stopped']);
    });
  });

  describe("'transient'", () => {
    it('restarts a child after a crash', async () => {
      const { sup, child, decisions } = await supervised('transient');
      child.crash(new Error('boom'));
      await flush();
      expect(decisions).to.deep.equal(['child:restart#1+0']);
      expect(child.state).to.equal('running');
      await sup.stop();
    });

    it('leaves a child that stopped on its own stopped', async () => {
      const { sup, child, decisions } = await supervised('transient');
      await child.stop();
      await flush();
      expect(decisions).to.deep.equal([]);
      expect([sup.state, child.state]).to.deep.equal(['running', 'stopped']);
      await sup.stop();
    });
  });

  describe("'temporary'", () => {
    it('never restarts a crashed child: the crash is forfeited', async () => {
      const { sup, child, decisions } = await supervised('temporary');
      child.crash(new Error('boom'));
      await flush();
      expect(decisions).to.deep.equal(['child:forfeit#1+0']);
      expect([sup.state, child.state, child.restartCount]).to.deep.equal(['running', 'crashed', 0]);
      await sup.stop();
    });

    it('leaves a child that stopped on its own stopped', async () => {
      const { sup, child, decisions } = await supervised('temporary');
      await child.stop();
      await flush();
      expect(decisions).to.deep.equal([]);
      expect(child.state).to.equal('stopped');
      await sup.stop();
    });
  });
});
