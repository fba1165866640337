// Regression: a run() whose promise rejected with its own error when `signal` aborted made stop()
// reject with ServiceStopError; API.md 3.4 says errors of work that ends because of the abort are
// ignored once the stop has begun.
import { expect } from 'chai';
import { Service, type LifecycleEvent } from '../../lib/index.js';

describe('regression: run() ending with an error because of the abort', () => {
  it('does not fail the stop', async () => {
    class Poller extends Service {
      protected override run(signal: AbortSignal): Promise<void> {
        return new Promise<void>((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('poll cancelled')), { once: true }),
        );
      }
    }
    const svc = new Poller();
    const events: LifecycleEvent[] = [];
    svc.events$.subscribe((e) => events.push(e));
    await svc.start();
    await svc.stop();
    expect(svc.state).to.equal('stopped');
    expect(events.filter((e) => e.type === 'crash')).to.deep.equal([]);
  });

  it('does not fail the stop for a task or a timer body that rejects on abort', async () => {
    const svc = new Service();
    svc.addTask(
      (signal) =>
        new Promise<void>((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('task cancelled')), { once: true }),
        ),
    );
    await svc.start();
    await svc.stop();
    expect(svc.state).to.equal('stopped');
  });

  it('still reports a drain task that fails for its own reasons', async () => {
    const svc = new Service();
    const failure = new Error('flush failed');
    svc.addTask(
      (signal) =>
        new Promise<void>((_resolve, reject) =>
          signal.addEventListener('abort', () => setTimeout(() => reject(failure), 1), { once: true }),
        ),
      { drain: true },
    );
    await svc.start();
    const error = await svc.stop().then(
      () => undefined,
      (e: unknown) => e as { errors?: unknown[] },
    );
    expect(error?.errors).to.deep.equal([failure]);
  });

  it('still fails the run when run() rejects before any stop', async () => {
    const failure = new Error('broken');
    class Broken extends Service {
      protected override async run(): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 1));
        throw failure;
      }
    }
    const svc = new Broken();
    await svc.start();
    await svc.waitUntilStopped();
    expect(svc.state).to.equal('crashed');
    expect(svc.crashReason).to.equal(failure);
  });
});
