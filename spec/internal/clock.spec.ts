// Specs for lib/internal/clock.ts: on the default scheduler, loops that share an origin are woken by
// one host timer per due instant, in the order they joined, never more than EARLY_MS early; fake
// timers keep loops on the scheduler.
import { expect } from 'chai';
import sinon from 'sinon';
import { asyncScheduler, type Subscription } from 'rxjs';
import { EARLY_MS, clockFor, readOrigin } from '../../lib/internal/clock.js';

/** Starts `count` loops of `interval` ms on one origin; each records `[loop, due]` on every step. */
function loops(count: number, interval: number, seen: [number, number][], steps = 3): Subscription[] {
  const origin = readOrigin(asyncScheduler);
  return Array.from({ length: count }, (_, loop) => {
    const clock = clockFor(asyncScheduler, origin);
    let due = clock.start + interval;
    let left = steps;
    return clock.loopAt(due, () => {
      seen.push([loop, due - clock.start]);
      due += interval;
      return --left > 0 ? due : undefined;
    });
  });
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Float error of instants on the epoch clock (about 1.7e12 ms: steps of 0.24 µs). */
const ROUNDING = 1e-3;

describe('clockFor() on the default scheduler', () => {
  it('times loops on a sub-millisecond clock read from the origin', () => {
    const origin = readOrigin(asyncScheduler);
    expect(origin.precise, 'performance.now() at the origin').to.be.a('number');
    const clock = clockFor(asyncScheduler, origin);
    expect(clock.start).to.equal(origin.at);
    expect(clock.now()).to.be.at.least(clock.start);
  });

  it('wakes the loops of one origin together at each due instant, in the order they started', async () => {
    const seen: [number, number][] = [];
    loops(3, 10, seen);
    await wait(60);
    expect(seen).to.deep.equal([
      [0, 10],
      [1, 10],
      [2, 10],
      [0, 20],
      [1, 20],
      [2, 20],
      [0, 30],
      [1, 30],
      [2, 30],
    ]);
  });

  it('skips a loop that an earlier step of the same instant ended', async () => {
    const seen: [number, number][] = [];
    const origin = readOrigin(asyncScheduler);
    const first = clockFor(asyncScheduler, origin);
    const second = clockFor(asyncScheduler, origin);
    const later: Subscription[] = [];
    first.loopAt(first.start + 10, () => {
      seen.push([0, 10]);
      for (const subscription of later) subscription.unsubscribe();
      return undefined;
    });
    const other = second.loopAt(second.start + 10, () => {
      seen.push([1, 10]);
      return second.start + 20;
    });
    later.push(other);
    await wait(40);
    expect(seen).to.deep.equal([[0, 10]]);
  });

  it('does not re-arm a loop unsubscribed from inside its own step', async () => {
    let steps = 0;
    const clock = clockFor(asyncScheduler);
    const subscription: Subscription = clock.loopAt(clock.start + 5, () => {
      steps++;
      subscription.unsubscribe();
      return clock.start + 10;
    });
    await wait(30);
    expect(steps).to.equal(1);
  });

  it('stops a loop unsubscribed before its due instant while the others of its instant fire', async () => {
    const seen: [number, number][] = [];
    const [first] = loops(2, 10, seen, 1);
    first!.unsubscribe();
    await wait(30);
    expect(seen).to.deep.equal([[1, 10]]);
  });

  it('reports a step that throws as uncaught and still runs the other loops of its instant', async () => {
    const reported: (() => void)[] = [];
    const queue = sinon.stub(globalThis, 'queueMicrotask').callsFake((task) => void reported.push(task));
    try {
      const origin = readOrigin(asyncScheduler);
      const failing = clockFor(asyncScheduler, origin);
      const other = clockFor(asyncScheduler, origin);
      let failures = 0;
      let otherSteps = 0;
      failing.loopAt(failing.start + 5, () => {
        failures++;
        throw new Error('step failed');
      });
      other.loopAt(other.start + 5, () => void otherSteps++);
      await wait(25);
      expect([failures, otherSteps], 'the failing loop ended, the other ran').to.deep.equal([1, 1]);
      expect(reported).to.have.length(1);
      expect(() => reported[0]!()).to.throw('step failed');
    } finally {
      queue.restore();
    }
  });

  // Node truncates a delay to whole ms and counts it from the ms its loop clock last turned, so its
  // timer can fire up to 2 ms before the instant asked for: before the previous instant of a 1.5 ms loop
  for (const interval of [1.5, 3, 10]) {
    const bound = Math.min(EARLY_MS, interval / 2);
    it(`never runs a ${interval} ms loop more than ${bound} ms before its instant (EARLY_MS, or half the step)`, async () => {
      const clock = clockFor(asyncScheduler);
      const early: number[] = [];
      let due = clock.start + interval;
      await new Promise<void>((resolve) =>
        clock.loopAt(due, () => {
          early.push(due - clock.now());
          due += interval;
          if (early.length < 40) return due;
          resolve();
          return undefined;
        }),
      );
      expect(EARLY_MS).to.equal(1);
      expect(Math.max(...early), 'ms early at most').to.be.at.most(bound + ROUNDING);
    });
  }

  it('keeps loops on the scheduler while fake timers replace performance.now()', () => {
    const fake = sinon.useFakeTimers({ now: 0, toFake: ['performance'] });
    try {
      expect(readOrigin(asyncScheduler).precise).to.equal(undefined);
    } finally {
      fake.restore();
    }
    expect(readOrigin(asyncScheduler).precise, 'real again once restored').to.be.a('number');
  });
});
