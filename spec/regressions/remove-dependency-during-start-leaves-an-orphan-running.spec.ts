// Regression: removeDependency() of a child while its parent was still starting its earlier children
// (sequential start) stopped and detached the child, then the parent's start loop started it anyway:
// the child ran on, timers ticking, under no parent, and the parent's stop never reached it.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class Slow extends Service {
  protected override async onStart(): Promise<void> {
    await delay(20);
  }
}

describe('regression: removeDependency() during the parent start leaves no orphan', () => {
  for (const startConcurrency of ['sequential', 'parallel'] as const) {
    it(`does not start a child removed while the parent starts (${startConcurrency})`, async () => {
      const root = new Service({ startConcurrency });
      root.addDependency(new Slow({ name: 'a' }));
      const b = root.addDependency(new Slow({ name: 'b' }));
      let ticks = 0;
      b.addTimer('5ms', () => void ticks++);
      const starting = root.start();
      await delay(5); // a is starting
      await root.removeDependency(b);
      await starting;
      await root.stop();
      expect(b.parent).to.equal(undefined);
      expect(b.state).to.equal('stopped');
      const seen = ticks;
      await delay(30);
      expect(ticks).to.equal(seen);
    });
  }
});
