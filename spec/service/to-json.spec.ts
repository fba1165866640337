// Specs for Service#toJSON() (API.md section 8) as the lifecycle fills it: identity, state and the
// scheduler time it was entered, restartCount, crashReason, start and stop durations, children.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';
import { probe, useFakeClock, waits } from '../support/lifecycle.js';

describe('Service', () => {
  describe('#toJSON()', () => {
    const fake = useFakeClock();

    it('describes a fresh tree', () => {
      const p = new Service({ name: 'P' });
      const a = p.addDependency(new Service({ name: 'A' }));
      expect(p.toJSON()).to.deep.equal({
        id: p.id,
        name: 'P',
        path: 'P',
        state: 'init',
        since: 0,
        restartCount: 0,
        flags: [],
        children: [
          {
            id: a.id,
            name: 'A',
            path: 'P/A',
            state: 'init',
            since: 0,
            restartCount: 0,
            flags: [],
            children: [],
          },
        ],
      });
    });

    it('records when the state was entered and how long start and stop took, in scheduler time', async () => {
      const svc = probe([], 'S', { hooks: { onStart: waits(300), onShutdown: waits(120) } });
      await fake.clock.tickAsync(1000);
      const started = svc.start();
      await fake.clock.tickAsync(300);
      await started;
      const running = svc.toJSON();
      expect(running).to.deep.include({ state: 'running', since: 1300, startDurationMs: 300 });
      expect(running).to.not.have.property('stopDurationMs');
      await fake.clock.tickAsync(700);
      const stopped = svc.stop();
      await fake.clock.tickAsync(120);
      await stopped;
      expect(svc.toJSON()).to.deep.include({ state: 'stopped', since: 2120, stopDurationMs: 120 });
    });

    it('shows restartCount and the crash message, cleared by the next start', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      await svc.restart();
      svc.crash(new Error('disk full'));
      await svc.waitUntilStopped();
      expect(svc.toJSON()).to.deep.include({ state: 'crashed', restartCount: 1, crashReason: 'disk full' });
      await svc.start();
      expect(svc.toJSON()).to.not.have.property('crashReason');
      expect(svc.toJSON().restartCount).to.equal(2);
      await svc.stop();
    });

    it('shows a non-Error crash reason as a string', async () => {
      const svc = new Service({ name: 'S' });
      await svc.start();
      svc.crash(404);
      await svc.waitUntilStopped();
      expect(svc.toJSON().crashReason).to.equal('404');
    });

    it('is plain data that survives JSON.stringify, children included', async () => {
      const p = new Service({ name: 'P' });
      p.addDependency(new Service({ name: 'A' })).addDependency(new Service({ name: 'AA' }));
      await p.start();
      const json = JSON.parse(JSON.stringify(p)) as ReturnType<Service['toJSON']>;
      expect(json).to.deep.equal(p.toJSON());
      expect(json.children[0]?.children[0]).to.deep.include({ path: 'P/A/AA', state: 'running' });
      await p.stop();
    });
  });
});
