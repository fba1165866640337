// Specs for createVirtualClock (rxmode/testing): timers fire one at a time in time order, promise
// callbacks run between firings, until() follows a promise, runAll() empties the queue, and every
// way of getting stuck is reported instead of hanging.
import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { Service, type ServiceOptions, type TimerTick } from '../../lib/index.js';
import { createVirtualClock, recordLifecycle } from '../../lib/testing/index.js';
import { outcome } from '../support/lifecycle.js';

/** Connects for 500 ms, polls every second (each poll takes 200 ms), disconnects asynchronously. */
class Poller extends Service {
  readonly polls: { tick: number; doneAt: number; completed: boolean }[] = [];

  constructor(options: ServiceOptions) {
    super(options);
    this.addTimer('1s', async (tick: TimerTick) => {
      const completed = await this.sleep(200);
      this.polls.push({ tick: tick.scheduledAt, doneAt: this.scheduler.now(), completed });
    });
  }
  protected override async onStart(): Promise<void> {
    await this.sleep(500);
  }
  protected override async onStop(): Promise<void> {
    await Promise.resolve();
  }
}

describe('createVirtualClock', () => {
  describe('#advance()', () => {
    it('fires the timers due on the way in time order, with now() at each due time', async () => {
      const clock = createVirtualClock();
      const fired: string[] = [];
      const at = (label: string) => () => void fired.push(`${label}@${clock.now()}`);
      clock.scheduler.schedule(at('c'), 30);
      clock.scheduler.schedule(at('a'), 10);
      clock.scheduler.schedule(at('b'), 20);
      clock.scheduler.schedule(at('a2'), 10);
      await clock.advance(25);
      expect(fired).to.deep.equal(['a@10', 'a2@10', 'b@20']);
      expect(clock.now()).to.equal(25);
      expect(clock.pending).to.equal(1);
      await clock.advance('5ms');
      expect(fired).to.deep.equal(['a@10', 'a2@10', 'b@20', 'c@30']);
      expect(clock.pending).to.equal(0);
    });

    it('lets promise callbacks run between firings, so work they schedule fires on time', async () => {
      const clock = createVirtualClock();
      const fired: string[] = [];
      const later = (ms: number) =>
        new Promise<void>((resolve) => clock.scheduler.schedule(() => resolve(), ms));
      const chain = (async () => {
        await later(10);
        fired.push(`first@${clock.now()}`);
        await Promise.resolve();
        await later(0);
        fired.push(`second@${clock.now()}`);
        await later(5);
        fired.push(`third@${clock.now()}`);
      })();
      clock.scheduler.schedule(() => void fired.push(`timer@${clock.now()}`), 12);
      await clock.advance(20);
      expect(fired).to.deep.equal(['first@10', 'second@10', 'timer@12', 'third@15']);
      await chain;
    });

    it('runs a service with a timer and async hooks as real time would, polls and all', async () => {
      const clock = createVirtualClock();
      const poller = new Poller({ name: 'poller', scheduler: clock.scheduler });
      const rec = recordLifecycle(poller);
      const started = poller.start();
      await clock.advance(499);
      expect(poller.state).to.equal('starting');
      await clock.advance(1);
      expect(poller.state).to.equal('running');
      await started;
      await clock.advance('3s');
      expect(poller.polls).to.deep.equal([
        { tick: 1500, doneAt: 1700, completed: true },
        { tick: 2500, doneAt: 2700, completed: true },
      ]);
      await clock.until(poller.stop());
      // the 3500 ms poll was in its sleep when the stop began: woken early, awaited by the stop
      expect(poller.polls[2]).to.deep.equal({ tick: 3500, doneAt: 3500, completed: false });
      expect(rec.marbles()).to.equal('s 500ms r 3s (x|)');
      expect(rec.hooks).to.deep.equal(['poller.onStart', 'poller.onStop']);
      expect(clock.pending).to.equal(0);
      rec.stop();
    });

    it('rejects with the error a timer threw and leaves the clock at its due time', async () => {
      const clock = createVirtualClock();
      const error = new Error('timer body failed');
      clock.scheduler.schedule(() => {
        throw error;
      }, 40);
      clock.scheduler.schedule(() => {}, 60);
      const result = await outcome(clock.advance(100));
      expect(result).to.deep.equal({ ok: false, error });
      expect(clock.now()).to.equal(40);
      await clock.advance(100);
      expect(clock.now()).to.equal(140);
      expect(clock.pending).to.equal(0);
    });

    it('only lets promise callbacks run for a time in the past', async () => {
      const clock = createVirtualClock();
      await clock.advance(50);
      let ran = false;
      void Promise.resolve().then(() => (ran = true));
      await clock.advanceTo(10);
      expect(ran).to.equal(true);
      expect(clock.now()).to.equal(50);
    });

    it('rejects an invalid duration or time with a TypeError naming it', () => {
      const clock = createVirtualClock();
      expect(() => clock.advance(-1)).to.throw(TypeError, /duration/);
      expect(() => clock.advance('soon' as never)).to.throw(TypeError, /duration.*"soon"/);
      expect(() => clock.advanceTo(Number.NaN)).to.throw(TypeError, /time must be a number/);
    });
  });

  describe('#until()', () => {
    it('moves time just far enough for the promise to settle and resolves with its value', async () => {
      const clock = createVirtualClock();
      const svc = new Service({ name: 'svc', scheduler: clock.scheduler });
      clock.scheduler.schedule(() => {}, 10_000);
      await clock.until(svc.start());
      const value = await clock.until(svc.sleep('1.5s'));
      expect(value).to.equal(true);
      expect(clock.now()).to.equal(1500);
      await clock.until(svc.stop());
      expect(svc.state).to.equal('stopped');
      expect(clock.pending).to.equal(1);
    });

    it('rejects as the promise does', async () => {
      const clock = createVirtualClock();
      const error = new Error('cannot connect');
      class Flaky extends Service {
        protected override async onStart(): Promise<void> {
          await this.sleep(300);
          throw error;
        }
      }
      const flaky = new Flaky({ scheduler: clock.scheduler });
      const result = await outcome(clock.until(flaky.start()));
      expect(result).to.deep.equal({ ok: false, error });
      expect(clock.now()).to.equal(300);
      expect(flaky.state).to.equal('crashed');
    });

    it('rejects when the promise waits for something no virtual timer brings', async () => {
      const clock = createVirtualClock();
      const result = await outcome(clock.until(new Promise<void>(() => {})));
      expect(result.ok).to.equal(false);
      expect(String((result as { error: unknown }).error)).to.match(/no timer is left to fire/);
    });

    it('gives up at the timeout and leaves the clock at the deadline', async () => {
      const clock = createVirtualClock();
      const svc = new Service({ scheduler: clock.scheduler });
      await clock.until(svc.start());
      const result = await outcome(clock.until(svc.sleep('1m'), { timeout: '2s' }));
      expect(result.ok).to.equal(false);
      expect(String((result as { error: unknown }).error)).to.match(/still pending after 2000 ms/);
      expect(clock.now()).to.equal(2000);
      await clock.until(svc.stop());
    });

    it('rejects what is not a promise with a TypeError', () => {
      const clock = createVirtualClock();
      expect(() => clock.until(42 as never)).to.throw(TypeError, /promise must be a promise; received 42/);
    });
  });

  describe('#runAll()', () => {
    it('fires every timer until none is left, timers scheduled on the way included', async () => {
      const clock = createVirtualClock();
      const fired: number[] = [];
      clock.scheduler.schedule(function (this: { schedule(s?: unknown, d?: number): unknown }, n?: number) {
        fired.push(clock.now());
        if ((n ?? 0) < 3) this.schedule((n ?? 0) + 1, 100);
      }, 100);
      await clock.runAll();
      expect(fired).to.deep.equal([100, 200, 300, 400]);
      expect(clock.pending).to.equal(0);
    });

    it('gives up after maxSteps firings when work keeps rescheduling itself', async () => {
      const clock = createVirtualClock({ maxSteps: 50 });
      const svc = new Service({ scheduler: clock.scheduler });
      svc.addTimer(10, () => {});
      await clock.until(svc.start());
      const result = await outcome(clock.runAll());
      expect(String((result as { error: unknown }).error)).to.match(/gave up after 50 timer firings/);
      expect(clock.now()).to.equal(500);
      await clock.until(svc.stop());
      await clock.runAll();
      expect(clock.pending).to.equal(0);
    });
  });

  describe('#flush()', () => {
    it('lets a chain of promise callbacks finish without moving time or firing timers', async () => {
      const clock = createVirtualClock();
      let fired = false;
      clock.scheduler.schedule(() => (fired = true), 0);
      const hop = async (n: number): Promise<void> => {
        await Promise.resolve();
        if (n > 0) await hop(n - 1);
      };
      let finished = false;
      void hop(50).then(() => (finished = true));
      expect(finished).to.equal(false);
      await clock.flush();
      expect(finished).to.equal(true);
      expect(fired).to.equal(false);
      expect(clock.now()).to.equal(0);
      await clock.advance(0);
      expect(fired).to.equal(true);
    });
  });

  it('refuses a second call that moves time while one runs', async () => {
    const clock = createVirtualClock();
    const first = clock.advance(10);
    const second = await outcome(clock.advance(10));
    expect(String((second as { error: unknown }).error)).to.match(/while advance\(\) is still running/);
    await first;
    expect(clock.now()).to.equal(10);
  });

  it('drives a scheduler it is given, such as a TestScheduler', async () => {
    const scheduler = new TestScheduler((a, b) => {
      expect(a).to.deep.equal(b);
    });
    const clock = createVirtualClock({ scheduler });
    const svc = new Service({ scheduler });
    await clock.until(svc.start());
    expect(await clock.until(svc.sleep(250))).to.equal(true);
    expect(scheduler.now()).to.equal(250);
    await clock.until(svc.stop());
  });

  it('uses the flush it is given between firings', async () => {
    let flushes = 0;
    const clock = createVirtualClock({
      flush: async () => {
        flushes++;
        await new Promise<void>((resolve) => setImmediate(resolve));
      },
    });
    clock.scheduler.schedule(() => {}, 5);
    clock.scheduler.schedule(() => {}, 6);
    await clock.advance(10);
    expect(flushes).to.equal(3);
  });

  it('rejects malformed options with a TypeError naming the option', () => {
    expect(() => createVirtualClock({ scheduler: {} as never })).to.throw(TypeError, /scheduler must be/);
    expect(() => createVirtualClock({ flush: 1 as never })).to.throw(TypeError, /flush must be a function/);
    expect(() => createVirtualClock({ maxSteps: 0 })).to.throw(TypeError, /maxSteps must be.*received 0/);
    expect(() => createVirtualClock(null as never)).to.throw(TypeError, /options must be an object/);
  });
});
