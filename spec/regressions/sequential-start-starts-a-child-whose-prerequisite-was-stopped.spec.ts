// Regression (found by the lifecycle fuzz, invariant start-after-prerequisites): a sequential parent
// whose start is under way started a child although the child's prerequisite (`after`) had just been
// stopped by a direct stop() during that start: `cache` entered `starting` while `db` was `stopped`.
// With startConcurrency 'parallel' the same scenario leaves `cache` unstarted (API.md section 3.6:
// a child starts only once every service in its `after` is running).
import { expect } from 'chai';
import { Service, type ServiceState } from '../../lib/index.js';

const hostTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Its start waits until the service is stopped. */
class Hanging extends Service {
  protected override onStart(): Promise<void> {
    return new Promise((resolve) => this.signal.addEventListener('abort', () => resolve(), { once: true }));
  }
}

describe('regression: a parent start does not start a child before its prerequisites run', () => {
  for (const startConcurrency of ['sequential', 'parallel'] as const) {
    it(`does not start a child whose prerequisite was stopped during the parent start (${startConcurrency})`, async () => {
      const root = new Service({ name: 'root', startConcurrency });
      const db = root.addDependency(new Hanging({ name: 'db' }));
      const cache = root.addDependency(new Service({ name: 'cache' }), { after: db });
      const dbWhenCacheStarted: ServiceState[] = [];
      cache.state$.subscribe((state) => {
        if (state === 'starting') dbWhenCacheStarted.push(db.state);
      });
      const starting = root.start().catch(() => undefined);
      await hostTurn();
      expect(db.state).to.equal('starting');
      await db.stop(); // during the start of root
      await starting;
      try {
        expect(dbWhenCacheStarted, 'state of db each time cache entered starting').to.deep.equal([]);
      } finally {
        await root.stop();
      }
    });
  }
});
