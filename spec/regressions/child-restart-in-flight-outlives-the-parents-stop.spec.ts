// Regression (found by the lifecycle fuzz): child.restart() in flight while its parent stops. The
// parent's stop waits for the child's stop (part of the restart), ends `stopped` at its deadline, and
// then the restart starts the child again: a running child under a stopped parent that the parent's
// stop() no longer reaches.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';
import { createVirtualClock } from '../../lib/testing/index.js';

describe('regression: a child restart in flight does not outlive its parent stop', () => {
  it('leaves no child running under a stopped parent', async () => {
    const clock = createVirtualClock();
    let release!: () => void;
    class SlowStop extends Service {
      protected override onStop(): Promise<void> {
        return new Promise((resolve) => (release = resolve));
      }
    }
    const root = new Service({ name: 'root', scheduler: clock.scheduler, stopTimeout: 20 });
    const child = root.addDependency(new SlowStop({ name: 'child' }));
    await clock.until(root.start());
    const restarted = child.restart().catch(() => {});
    await clock.flush();
    await clock.until(root.stop().catch(() => {}));
    expect(root.state).to.equal('stopped');
    release();
    await clock.until(restarted);
    await clock.until(root.stop());
    expect(child.state).not.to.be.oneOf(['running', 'starting']);
  });
});
