// Specs for lib/token-bucket.ts: time comes from an injected scheduler (a fake clock, rxjs'
// VirtualTimeScheduler, or sinon's fake Date behind the default asyncScheduler).
import { expect } from 'chai';
import sinon from 'sinon';
import { VirtualTimeScheduler, type SchedulerLike } from 'rxjs';
import { TokenBucket, rateLimit } from '../lib/token-bucket.js';

/** A scheduler whose clock only moves when the test says so. */
function fakeClock(start = 1000): { scheduler: SchedulerLike; advance(ms: number): void } {
  let now = start;
  const scheduler = {
    now: () => now,
    schedule: () => {
      throw new Error('TokenBucket should only read the clock');
    },
  } as unknown as SchedulerLike;
  return { scheduler, advance: (ms) => void (now += ms) };
}

describe('TokenBucket', () => {
  describe('constructor', () => {
    it('starts full, holding the rate per second by default', () => {
      const bucket = new TokenBucket({ rate: '100/s', scheduler: fakeClock().scheduler });
      expect(bucket.rate).to.equal(100);
      expect(bucket.capacity).to.equal(100);
      expect(bucket.tokens).to.equal(100);
    });

    it('holds at least one token by default when the rate is below one per second', () => {
      const bucket = new TokenBucket({ rate: '10/m', scheduler: fakeClock().scheduler });
      expect(bucket.capacity).to.equal(1);
      expect(bucket.pour()).to.equal(true);
    });

    it('takes an explicit capacity and a numeric rate per second', () => {
      const bucket = new TokenBucket({ rate: 2, capacity: 5, scheduler: fakeClock().scheduler });
      expect([bucket.rate, bucket.capacity, bucket.tokens]).to.deep.equal([2, 5, 5]);
    });

    it('rejects malformed options with a TypeError naming the option and the value', () => {
      const cases: [unknown, RegExp][] = [
        [undefined, /^options must be .*undefined/],
        [{ rate: '0/s' }, /^rate must be .*"0\/s"/],
        [{ rate: 'fast' }, /^rate must be .*"fast"/],
        [{ rate: 1, capacity: 0 }, /^capacity must be .*received 0$/],
        [{ rate: 1, capacity: 0.5 }, /^capacity must be .*received 0\.5$/],
        [{ rate: 1, capacity: Infinity }, /^capacity must be .*Infinity/],
        [{ rate: 1, capacity: '5' }, /^capacity must be .*"5"/],
        [{ rate: 1, scheduler: {} }, /^scheduler must be .*\{\}/],
        [{ rate: 1, scheduler: null }, /^scheduler must be .*null/],
      ];
      for (const [options, message] of cases) {
        expect(() => new TokenBucket(options as never), JSON.stringify(options)).to.throw(TypeError, message);
      }
    });
  });

  describe('#pour()', () => {
    it('takes tokens while enough are available, and nothing otherwise', () => {
      const bucket = new TokenBucket({ rate: 1, capacity: 3, scheduler: fakeClock().scheduler });
      expect(bucket.pour(2)).to.equal(true);
      expect(bucket.pour(2)).to.equal(false);
      expect(bucket.tokens).to.equal(1);
      expect(bucket.pour()).to.equal(true);
      expect(bucket.pour()).to.equal(false);
    });

    it('refills continuously from elapsed scheduler time', () => {
      const clock = fakeClock();
      const bucket = new TokenBucket({ rate: '10/s', scheduler: clock.scheduler });
      expect(bucket.pour(10)).to.equal(true);
      clock.advance(250);
      expect(bucket.tokens).to.be.closeTo(2.5, 1e-9);
      expect(bucket.pour(2)).to.equal(true);
      expect(bucket.pour()).to.equal(false);
      clock.advance(50);
      expect(bucket.pour()).to.equal(true);
    });

    it('never holds more than its capacity, however long it stays idle', () => {
      const clock = fakeClock();
      const bucket = new TokenBucket({ rate: 5, capacity: 5, scheduler: clock.scheduler });
      bucket.pour(5);
      clock.advance(3_600_000);
      expect(bucket.tokens).to.equal(5);
      expect(bucket.pour(5)).to.equal(true);
      expect(bucket.pour()).to.equal(false);
    });

    it('always refuses more tokens than the capacity, taking none', () => {
      const bucket = new TokenBucket({ rate: 1, capacity: 3, scheduler: fakeClock().scheduler });
      expect(bucket.pour(4)).to.equal(false);
      expect(bucket.tokens).to.equal(3);
    });

    it('rejects a count that is not a positive integer', () => {
      const bucket = new TokenBucket({ rate: 1, scheduler: fakeClock().scheduler });
      for (const n of [0, -1, 1.5, NaN, '1']) {
        expect(() => bucket.pour(n as number), String(n)).to.throw(
          TypeError,
          /^n must be a positive integer/,
        );
      }
    });

    it('reads time from rxjs schedulers such as VirtualTimeScheduler', () => {
      const scheduler = new VirtualTimeScheduler();
      const bucket = new TokenBucket({ rate: '2/s', capacity: 1, scheduler });
      const seen: boolean[] = [];
      scheduler.schedule(() => seen.push(bucket.pour(), bucket.pour()), 0);
      scheduler.schedule(() => seen.push(bucket.pour()), 499);
      scheduler.schedule(() => seen.push(bucket.pour()), 500);
      scheduler.flush();
      expect(seen).to.deep.equal([true, false, false, true]);
    });

    it('uses asyncScheduler, hence the system clock, by default', () => {
      const clock = sinon.useFakeTimers({ now: 50_000 });
      try {
        const bucket = new TokenBucket({ rate: '1/s' });
        expect(bucket.pour()).to.equal(true);
        expect(bucket.pour()).to.equal(false);
        clock.tick(1000);
        expect(bucket.pour()).to.equal(true);
      } finally {
        clock.restore();
      }
    });
  });

  describe('#expectedTime()', () => {
    it('is 0 while the tokens are available, then the ms until they are', () => {
      const clock = fakeClock();
      const bucket = new TokenBucket({ rate: '10/s', capacity: 4, scheduler: clock.scheduler });
      expect(bucket.expectedTime(4)).to.equal(0);
      bucket.pour(4);
      expect(bucket.expectedTime()).to.be.closeTo(100, 1e-6);
      expect(bucket.expectedTime(3)).to.be.closeTo(300, 1e-6);
      clock.advance(150);
      expect(bucket.expectedTime(3)).to.be.closeTo(150, 1e-6);
    });

    it('is a wait after which pour() succeeds, despite floating-point rounding', () => {
      for (const rate of ['3/s', '7/m', '19/s'] as const) {
        const clock = fakeClock();
        const bucket = new TokenBucket({ rate, capacity: 1, scheduler: clock.scheduler });
        bucket.pour();
        const wait = bucket.expectedTime();
        clock.advance(wait - 1);
        expect(bucket.pour(), `${rate} early`).to.equal(false);
        clock.advance(1);
        expect(bucket.pour(), `${rate} on time`).to.equal(true);
        clock.advance(wait);
        expect(bucket.pour(), `${rate} in one step`).to.equal(true);
      }
    });

    it('is Infinity for more tokens than the capacity', () => {
      const bucket = new TokenBucket({ rate: 1, capacity: 2, scheduler: fakeClock().scheduler });
      expect(bucket.expectedTime(3)).to.equal(Infinity);
    });

    it('rejects a count that is not a positive integer', () => {
      const bucket = new TokenBucket({ rate: 1, scheduler: fakeClock().scheduler });
      expect(() => bucket.expectedTime(0)).to.throw(TypeError, /^n must be .*received 0$/);
    });
  });
});

describe('rateLimit()', () => {
  it('allows max events per window, refilled at max per window', () => {
    const clock = fakeClock();
    const limit = rateLimit(5, '1m', { scheduler: clock.scheduler });
    expect(limit.capacity).to.equal(5);
    expect([1, 2, 3, 4, 5, 6].map(() => limit.pour())).to.deep.equal([true, true, true, true, true, false]);
    expect(limit.expectedTime()).to.be.closeTo(12_000, 1e-6);
    clock.advance(12_000);
    expect(limit.pour()).to.equal(true);
    expect(limit.pour()).to.equal(false);
  });

  it('uses a one-second window by default', () => {
    const limit = rateLimit(3, undefined, { scheduler: fakeClock().scheduler });
    expect([limit.rate, limit.capacity]).to.deep.equal([3, 3]);
    expect(rateLimit(20, 500, { scheduler: fakeClock().scheduler }).rate).to.equal(40);
  });

  it('rejects malformed arguments with a TypeError naming them', () => {
    expect(() => rateLimit(0)).to.throw(TypeError, /^max must be .*received 0$/);
    expect(() => rateLimit('5' as never)).to.throw(TypeError, /^max must be .*"5"/);
    expect(() => rateLimit(5, '0s')).to.throw(TypeError, /^over must be .*"0s"/);
    expect(() => rateLimit(5, 'soon' as never)).to.throw(TypeError, /^over must be .*"soon"/);
    expect(() => rateLimit(5, '1s', 'x' as never)).to.throw(TypeError, /^options must be .*"x"/);
    expect(() => rateLimit(5, '1s', { scheduler: 1 as never })).to.throw(
      TypeError,
      /^scheduler must be .*1$/,
    );
  });
});
