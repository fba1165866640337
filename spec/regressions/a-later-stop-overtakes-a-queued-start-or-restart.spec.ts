// Regression (found by the lifecycle fuzz): a start() or restart() that waited for something (a stop in
// progress, a start in flight) went on afterwards even though a stop() was called later, or the
// service was removed from its parent meanwhile: the service ended running although the last thing
// asked of it was a stop.
import { expect } from 'chai';
import { Service } from '../../lib/index.js';
import { createVirtualClock } from '../../lib/testing/index.js';

describe('regression: a later stop overtakes a queued start or restart', () => {
  it('start() then stop() while a stop is under way ends stopped', async () => {
    const clock = createVirtualClock();
    const svc = new Service({ scheduler: clock.scheduler });
    svc.addTask(() => new Promise<void>((resolve) => clock.scheduler.schedule(() => resolve(), 5)), {
      drain: true,
    });
    await clock.until(svc.start());
    const first = svc.stop();
    const started = svc.start();
    const stopped = svc.stop();
    await clock.until(Promise.all([first, started, stopped]));
    expect(svc.state).to.equal('stopped');
  });

  it('restart() waiting for a start in flight gives way to a later stop()', async () => {
    const clock = createVirtualClock();
    class Slow extends Service {
      protected override onFirstStart(): Promise<void> {
        return new Promise((resolve) =>
          this.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      }
    }
    const svc = new Slow({ scheduler: clock.scheduler });
    const starting = svc.start();
    const restarting = svc.restart();
    const stopping = svc.stop();
    await clock.until(Promise.all([starting, restarting, stopping]));
    expect(svc.state).to.equal('stopped');
  });

  it('a start queued behind removeDependency() does not bring the removed child back', async () => {
    const clock = createVirtualClock();
    const root = new Service({ scheduler: clock.scheduler });
    const child = root.addDependency(new Service({ name: 'child' }));
    child.addTask(() => new Promise<void>((resolve) => clock.scheduler.schedule(() => resolve(), 5)), {
      drain: true,
    });
    await clock.until(root.start());
    const removing = root.removeDependency(child);
    const started = child.start();
    await clock.until(Promise.all([removing, started]));
    expect([child.parent, child.state]).to.deep.equal([undefined, 'stopped']);
    await clock.until(root.stop());
  });

  it('removeDependency() during a stop that a start waits for detaches a stopped child', async () => {
    const clock = createVirtualClock();
    const root = new Service({ scheduler: clock.scheduler });
    const child = root.addDependency(new Service({ name: 'child' }));
    child.addTask(() => new Promise<void>((resolve) => clock.scheduler.schedule(() => resolve(), 2)), {
      drain: true,
    });
    await clock.until(root.start());
    const stopping = child.stop();
    const started = child.start(); // waits for the stop, then would start again
    const removing = root.removeDependency(child);
    await clock.until(Promise.all([stopping, started, removing]));
    expect([child.parent, child.state]).to.deep.equal([undefined, 'stopped']);
    await clock.until(root.stop());
  });

  it('removeDependency() whose stop fails still stops a child that a waiting start brought back', async () => {
    const clock = createVirtualClock();
    const root = new Service({ scheduler: clock.scheduler });
    const child = root.addDependency(new Service({ name: 'child' }));
    const failure = new Error('flush failed');
    child.addTask(
      (signal) =>
        new Promise<void>((_resolve, reject) =>
          signal.addEventListener('abort', () => clock.scheduler.schedule(() => reject(failure), 2)),
        ),
      { drain: true },
    );
    await clock.until(root.start());
    const stopping = child.stop().catch((e: unknown) => e);
    const started = child.start(); // waits for the stop, then starts again
    const removing = root.removeDependency(child).catch((e: unknown) => e);
    await clock.until(Promise.all([stopping, started, removing]));
    expect([child.parent, child.state]).to.deep.equal([undefined, 'stopped']);
    expect(((await removing) as { errors?: unknown[] }).errors).to.deep.equal([failure]);
    await clock.until(root.stop());
  });

  it('restart() waiting for a start in flight gives way to removeDependency()', async () => {
    const clock = createVirtualClock();
    class Slow extends Service {
      protected override onFirstStart(): Promise<void> {
        return new Promise((resolve) => clock.scheduler.schedule(() => resolve(), 1));
      }
    }
    const root = new Service({ scheduler: clock.scheduler });
    await clock.until(root.start());
    const child = new Slow({ name: 'child' });
    const added = root.addRuntimeDependency(child);
    const restarting = child.restart();
    const removing = root.removeDependency(child);
    await clock.until(Promise.all([added, restarting, removing]));
    expect([child.parent, child.state]).to.deep.equal([undefined, 'stopped']);
    await clock.until(root.stop());
  });
});
