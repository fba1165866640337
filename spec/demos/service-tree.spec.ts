// The tree of demos/service-tree.ts, run as its script runs it (start, work, stop, restart, a crash
// that escalates), under expectNoLeaks: nothing outlives either stop.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';
import { expectNoLeaks } from '../../lib/testing/index.js';
import { App } from '../../demos/service-tree.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('demos/service-tree.ts', function () {
  this.timeout(5_000);

  it('leaves nothing behind after a clean stop, a restart and an escalated crash', async () => {
    const lines: string[] = [];
    let app: App | undefined;
    const host = await expectNoLeaks(
      (scheduler) => {
        // the demo's App takes no options: the tree gets the tracking scheduler from a parent
        const root = new Service({ name: 'test', scheduler });
        app = root.addDependency(new App());
        return root;
      },
      async (root) => {
        const run = app!.http.run$.subscribe((line) => lines.push(line));
        await root.start();
        await pause(200);
        await root.stop();
        await root.start();
        await pause(50);
        app!.http.crash(new Error('socket closed unexpectedly'));
        await root.waitUntilStopped();
        run.unsubscribe();
      },
    );
    expect(host.state).to.equal('crashed');
    expect(app!.children.map((c) => `${c.path}: ${c.state}`)).to.deep.equal([
      'test/App/Database: stopped',
      'test/App/Cache: stopped',
      'test/App/Http: crashed',
    ]);
    expect(lines[0]).to.match(/^GET \/items\/1 → 200 \(db pool 4, cache hits \d+\)$/);
  });
});
