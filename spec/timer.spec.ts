// Specs for the standalone Timer (API.md section 7): a cold Observable of fixed-rate TimerTicks, each
// subscriber on its own schedule, driven by an injected scheduler in virtual time.
import { expect } from 'chai';
import sinon from 'sinon';
import { Observable, VirtualTimeScheduler, take } from 'rxjs';
import { Timer, type TimerTick } from '../lib/index.js';
import { createVirtualClock, type VirtualClock } from '../lib/testing/index.js';

/** A virtual scheduler whose clock can jump ahead without running anything (a blocked loop). */
class BlockableScheduler extends VirtualTimeScheduler {
  lost = 0;
  constructor() {
    super();
    this.now = () => this.frame + this.lost;
  }
}

describe('Timer', () => {
  let clock: VirtualClock;
  let scheduler: VirtualTimeScheduler;
  beforeEach(() => {
    clock = createVirtualClock();
    scheduler = clock.scheduler;
  });

  it('is an Observable that schedules nothing until subscribed', () => {
    const timer = new Timer('100ms', { scheduler });
    expect(timer).to.be.instanceOf(Observable);
    expect(timer.intervalMs).to.equal(100);
    expect(scheduler.actions).to.have.length(0);
  });

  it('emits fixed-rate ticks from the moment of subscription', async () => {
    scheduler.frame = 1000;
    const ticks: TimerTick[] = [];
    const sub = new Timer(100, { scheduler }).subscribe((t) => ticks.push(t));
    await clock.advance(300);
    sub.unsubscribe();
    expect(ticks).to.deep.equal([
      { index: 0, scheduledAt: 1100, firedAt: 1100, driftMs: 0, overlaps: 0 },
      { index: 1, scheduledAt: 1200, firedAt: 1200, driftMs: 0, overlaps: 0 },
      { index: 2, scheduledAt: 1300, firedAt: 1300, driftMs: 0, overlaps: 0 },
    ]);
  });

  it('gives each subscriber its own schedule (cold)', async () => {
    const timer = new Timer(100, { scheduler });
    const a: number[] = [];
    const b: number[] = [];
    const subA = timer.subscribe((t) => a.push(t.scheduledAt));
    await clock.advance(150);
    const subB = timer.subscribe((t) => b.push(t.scheduledAt));
    await clock.advance(200);
    subA.unsubscribe();
    subB.unsubscribe();
    expect(a).to.deep.equal([100, 200, 300]);
    expect(b).to.deep.equal([250, 350]);
  });

  it('counts the index per subscriber', async () => {
    const timer = new Timer(100, { scheduler });
    const first: number[] = [];
    const second: number[] = [];
    const s1 = timer.subscribe((t) => first.push(t.index));
    await clock.advance(200);
    const s2 = timer.subscribe((t) => second.push(t.index));
    await clock.advance(200);
    s1.unsubscribe();
    s2.unsubscribe();
    expect(first).to.deep.equal([0, 1, 2, 3]);
    expect(second).to.deep.equal([0, 1]);
  });

  it('emits at once on subscription with execFirst', async () => {
    const ticks: TimerTick[] = [];
    const sub = new Timer(100, { scheduler, execFirst: true }).subscribe((t) => ticks.push(t));
    expect(ticks).to.deep.equal([{ index: 0, scheduledAt: 0, firedAt: 0, driftMs: 0, overlaps: 0 }]);
    await clock.advance(100);
    sub.unsubscribe();
    expect(ticks.map((t) => t.index)).to.deep.equal([0, 1]);
  });

  it('stops and leaves nothing scheduled when unsubscribed', async () => {
    const ticks: number[] = [];
    new Timer(100, { scheduler }).pipe(take(2)).subscribe((t) => ticks.push(t.index));
    await clock.advance(1000);
    expect(ticks).to.deep.equal([0, 1]);
    expect(scheduler.actions).to.have.length(0);
  });

  it('leaves nothing scheduled when a subscriber of execFirst ticks takes only the first', () => {
    const ticks: number[] = [];
    new Timer(100, { scheduler, execFirst: true }).pipe(take(1)).subscribe((t) => ticks.push(t.index));
    expect(ticks).to.deep.equal([0]);
    expect(scheduler.actions).to.have.length(0);
  });

  it('reports drift when the loop was blocked, and does not replay the ticks it missed', async () => {
    const blockable = new BlockableScheduler();
    const ticks: TimerTick[] = [];
    const sub = new Timer(100, { scheduler: blockable }).subscribe((t) => {
      ticks.push(t);
      if (t.index === 0) blockable.lost += 250; // this subscriber blocks the loop for 250 ms
    });
    await createVirtualClock({ scheduler: blockable }).advanceTo(1000);
    sub.unsubscribe();
    const fired = ticks.map((t) => t.firedAt);
    expect(new Set(fired).size, 'no burst of replayed ticks').to.equal(fired.length);
    for (const t of ticks) {
      expect(t.scheduledAt % 100, 'ticks stay on the grid').to.equal(0);
      expect(t.driftMs).to.equal(t.firedAt - t.scheduledAt);
    }
    const resumed = ticks.filter((t) => t.scheduledAt >= 400);
    expect(resumed.slice(0, 2).map((t) => [t.scheduledAt, t.driftMs])).to.deep.equal([
      [400, 0],
      [500, 0],
    ]);
    expect(resumed[0]?.overlaps).to.be.greaterThan(0);
    expect(ticks.filter((t) => t.scheduledAt < 400)).to.have.length.lessThan(4);
  });

  it('rejects an interval that is not a positive duration with a TypeError naming it', () => {
    expect(() => new Timer(0)).to.throw(TypeError, /interval.*0/);
    expect(() => new Timer(-10)).to.throw(TypeError, /interval.*-10/);
    expect(() => new Timer('often' as any)).to.throw(TypeError, /interval.*"often"/);
  });
});

describe('Timer on the default scheduler', () => {
  it('keeps the ideal schedule in real time, with sub-millisecond times on the epoch clock', async () => {
    const before = Date.now();
    const ticks = await new Promise<TimerTick[]>((resolve) => {
      const seen: TimerTick[] = [];
      const subscription = new Timer(20).subscribe((tick) => {
        seen.push(tick);
        if (seen.length === 5) {
          subscription.unsubscribe();
          resolve(seen);
        }
      });
    });
    const start = ticks[0]!.scheduledAt - 20;
    expect(start).to.be.within(before, Date.now());
    ticks.forEach((tick, k) => {
      expect(tick.scheduledAt).to.equal(start + (k + 1) * 20);
      expect(tick.driftMs).to.equal(tick.firedAt - tick.scheduledAt);
      // a loaded machine delays ticks; a tick is never more than a timer tolerance early
      expect(tick.driftMs).to.be.above(-2);
    });
    expect(
      ticks.some((tick) => !Number.isInteger(tick.firedAt)),
      'sub-millisecond times',
    ).to.equal(true);
  });

  it('follows sinon fake timers installed after rxmode loaded', async () => {
    const fake = sinon.useFakeTimers({ now: 1_000 });
    try {
      const ticks: TimerTick[] = [];
      const subscription = new Timer(100).subscribe((tick) => ticks.push(tick));
      await fake.tickAsync(350);
      subscription.unsubscribe();
      expect(ticks.map((t) => [t.scheduledAt, t.firedAt])).to.deep.equal([
        [1_100, 1_100],
        [1_200, 1_200],
        [1_300, 1_300],
      ]);
      expect(fake.countTimers()).to.equal(0);
    } finally {
      fake.restore();
    }
  });

  it('follows fake timers that leave performance.now() real', async () => {
    const fake = sinon.useFakeTimers({
      now: 0,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    try {
      const ticks: number[] = [];
      const subscription = new Timer(10).subscribe((tick) => ticks.push(tick.firedAt));
      await fake.tickAsync(30);
      subscription.unsubscribe();
      expect(ticks).to.deep.equal([10, 20, 30]);
    } finally {
      fake.restore();
    }
  });
});
