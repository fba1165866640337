// A draining Observable task that never completes was still subscribed after its stop had given
// up on it at the deadline: nothing may survive a stop.
import { expect } from 'chai';
import { NEVER, Observable, VirtualTimeScheduler } from 'rxjs';
import { Service, StopTimeoutError } from '../../lib/index.js';

describe('regression: a draining task subscription survives a timed-out stop', () => {
  it('unsubscribes the task once the stop budget has run out', async () => {
    const scheduler = new VirtualTimeScheduler();
    let subscribed = 0;
    const forever = new Observable<never>((subscriber) => {
      subscribed++;
      const inner = NEVER.subscribe(subscriber);
      return () => {
        subscribed--;
        inner.unsubscribe();
      };
    });
    const service = new Service({ name: 'S', scheduler, stopTimeout: 100 });
    service.addTask(() => forever, { name: 'consume', drain: true });
    await service.start();
    expect(subscribed).to.equal(1);
    const stopped = service.stop().catch((error: unknown) => error);
    await Promise.resolve();
    scheduler.flush();
    const error = await stopped;
    expect(error).to.be.instanceOf(StopTimeoutError);
    expect((error as StopTimeoutError).stuck.map((s) => s.phase)).to.deep.equal(['task:consume']);
    expect(service.state).to.equal('stopped');
    expect(subscribed).to.equal(0);
  });
});
