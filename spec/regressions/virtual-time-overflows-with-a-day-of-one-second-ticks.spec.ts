// Regression: under createVirtualClock, a service with a 1 s timer advanced by an hour failed its
// stop() with "RangeError: Maximum call stack size exceeded": each tick rescheduled itself from
// inside the previous rxjs VirtualAction, which nested every new action in the one before it.
import { expect } from 'chai';
import { Service, Timer, type TimerTick } from '../../lib/index.js';
import { createVirtualClock } from '../../lib/testing/index.js';

const DAY_OF_SECONDS = 86_400;
/** Real time allowed for a virtual day: generous, only catches a loop that went quadratic. */
const REAL_TIME_BOUND_MS = 60_000;

describe('regression: a day of one-second ticks in virtual time', function () {
  this.timeout(2 * REAL_TIME_BOUND_MS);

  it('fires 86,400 addTimer ticks, then stops with no action left', async () => {
    const clock = createVirtualClock();
    const svc = new Service({ name: 'S', scheduler: clock.scheduler });
    let ticks = 0;
    let last: TimerTick | undefined;
    svc.addTimer('1s', (tick) => {
      ticks++;
      last = tick;
    });
    await clock.until(svc.start());
    const began = performance.now();
    await clock.advance('1d');
    const elapsed = performance.now() - began;
    expect(ticks).to.equal(DAY_OF_SECONDS);
    expect(last).to.include({ index: DAY_OF_SECONDS - 1, scheduledAt: 86_400_000, driftMs: 0 });
    expect(clock.pending, 'only the next tick is pending').to.equal(1);
    await clock.until(svc.stop());
    expect(svc.state).to.equal('stopped');
    expect(clock.pending).to.equal(0);
    expect(elapsed).to.be.below(REAL_TIME_BOUND_MS);
  });

  it('fires 86,400 cron runs of a per-second expression, then stops with no action left', async () => {
    const clock = createVirtualClock();
    clock.scheduler.frame = Date.UTC(2024, 0, 1);
    const svc = new Service({ name: 'S', scheduler: clock.scheduler });
    let runs = 0;
    svc.addCron('* * * * * *', () => void runs++, { timezone: 'UTC' });
    await clock.until(svc.start());
    await clock.advance('1d');
    expect(runs).to.equal(DAY_OF_SECONDS);
    await clock.until(svc.stop());
    expect(clock.pending).to.equal(0);
  });

  it('delivers 86,400 ticks of a Timer and unsubscribes with no action left', async () => {
    const clock = createVirtualClock();
    let ticks = 0;
    const subscription = new Timer('1s', { scheduler: clock.scheduler }).subscribe(() => void ticks++);
    await clock.advance('1d');
    expect(ticks).to.equal(DAY_OF_SECONDS);
    expect(() => subscription.unsubscribe()).not.to.throw();
    expect(clock.pending).to.equal(0);
  });
});
