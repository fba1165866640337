// Specs for Service#addTimer() (API.md sections 3.2, 3.5 and 4): fixed-rate ticks in virtual time,
// execFirst, skipped ticks while a body still runs (overlaps), drift, stop and crash behaviour.
import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { Service, StopTimeoutError, type LifecycleEvent, type TimerTick } from '../../lib/index.js';
import { createVirtualClock, type VirtualClock } from '../../lib/testing/index.js';
import { outcome, recordEvents } from '../support/lifecycle.js';

/** A promise resolved `ms` later on `scheduler`. */
function delay(scheduler: VirtualTimeScheduler, ms: number): Promise<void> {
  return new Promise<void>((resolve) => scheduler.schedule(() => resolve(), ms));
}

/**
 * A virtual scheduler whose clock can jump ahead without running anything, as when the event loop
 * is blocked: `now()` is the virtual frame plus the time lost so far.
 */
class BlockableScheduler extends VirtualTimeScheduler {
  lost = 0;
  constructor() {
    super();
    this.now = () => this.frame + this.lost;
  }
  /** At virtual time `at`, the loop is blocked for `ms`. */
  blockAt(at: number, ms: number): void {
    this.schedule(() => void (this.lost += ms), at - this.frame);
  }
}

/** A `timer-drift` or `timer-overlap` event. */
type TickEvent = Extract<LifecycleEvent, { timer: string }>;

/** The recorded events of one tick type, in order. */
function tickEvents(events: readonly LifecycleEvent[], type: TickEvent['type']): TickEvent[] {
  return events.filter((e): e is TickEvent => e.type === type);
}

/** What a tick looked like, without its identity. */
const plain = (t: TimerTick): TimerTick => ({ ...t });

describe('Service', () => {
  describe('#addTimer()', () => {
    let clock: VirtualClock;
    let scheduler: VirtualTimeScheduler;
    let services: Service<any>[];
    beforeEach(() => {
      clock = createVirtualClock();
      scheduler = clock.scheduler;
      services = [];
    });
    afterEach(async () => {
      for (const s of services) await clock.until(s.stop().catch(() => {}));
    });
    /** A service on the test scheduler, stopped after the test. */
    function service(name = 'S', options: { stopTimeout?: number } = {}): Service {
      const svc = new Service({ name, scheduler, ...options });
      services.push(svc);
      return svc;
    }

    it('fires the first tick one interval after start, then at every interval', async () => {
      const svc = service();
      const ticks: TimerTick[] = [];
      svc.addTimer(100, (t) => void ticks.push(plain(t)));
      await svc.start();
      await clock.advance(99);
      expect(ticks).to.deep.equal([]);
      await clock.advance(1);
      expect(ticks).to.deep.equal([{ index: 0, scheduledAt: 100, firedAt: 100, driftMs: 0, overlaps: 0 }]);
      await clock.advance(200);
      expect(ticks.map((t) => [t.index, t.firedAt])).to.deep.equal([
        [0, 100],
        [1, 200],
        [2, 300],
      ]);
    });

    it('takes the interval as a duration string', async () => {
      const svc = service();
      const fired: number[] = [];
      svc.addTimer('1.5s', (t) => void fired.push(t.firedAt));
      await svc.start();
      await clock.advance(3000);
      expect(fired).to.deep.equal([1500, 3000]);
    });

    it('runs at once on start with execFirst, then one interval later', async () => {
      const svc = service();
      const ticks: TimerTick[] = [];
      svc.addTimer(100, (t) => void ticks.push(plain(t)), { execFirst: true });
      await svc.start();
      expect(ticks).to.deep.equal([{ index: 0, scheduledAt: 0, firedAt: 0, driftMs: 0, overlaps: 0 }]);
      await clock.advance(100);
      expect(ticks.map((t) => [t.index, t.scheduledAt])).to.deep.equal([
        [0, 0],
        [1, 100],
      ]);
    });

    it('keeps a fixed rate (start + k × interval) whatever the body takes', async () => {
      scheduler.frame = 1000;
      const svc = service();
      const fired: number[] = [];
      svc.addTimer(100, async (t) => {
        fired.push(t.firedAt);
        await delay(scheduler, 30);
      });
      await svc.start();
      await clock.advance(450);
      expect(fired).to.deep.equal([1100, 1200, 1300, 1400]);
    });

    describe('when a body outlasts the interval', () => {
      it('skips the ticks that come meanwhile and counts them in overlaps', async () => {
        const svc = service();
        const ticks: TimerTick[] = [];
        svc.addTimer(100, async (t) => {
          ticks.push(plain(t));
          if (t.index === 0) await delay(scheduler, 250);
        });
        await svc.start();
        await clock.advance(500);
        expect(ticks).to.deep.equal([
          { index: 0, scheduledAt: 100, firedAt: 100, driftMs: 0, overlaps: 0 },
          { index: 1, scheduledAt: 400, firedAt: 400, driftMs: 0, overlaps: 2 },
          { index: 2, scheduledAt: 500, firedAt: 500, driftMs: 0, overlaps: 2 },
        ]);
      });

      it('emits one timer-overlap event per skipped tick', async () => {
        const svc = service('S');
        svc.addTimer(100, () => delay(scheduler, 250), { name: 'poll' });
        const rec = recordEvents(svc);
        await svc.start();
        await clock.advance(400);
        const overlaps = tickEvents(rec.events, 'timer-overlap');
        expect(overlaps.map((e) => ({ at: e.at, timer: e.timer, path: e.service.path }))).to.deep.equal([
          { at: 200, timer: 'poll', path: 'S' },
          { at: 300, timer: 'poll', path: 'S' },
        ]);
        rec.stop();
      });

      it('never runs the body concurrently with itself', async () => {
        const svc = service();
        let active = 0;
        let most = 0;
        let runs = 0;
        svc.addTimer(10, async () => {
          runs++;
          most = Math.max(most, ++active);
          await delay(scheduler, 25);
          active--;
        });
        await svc.start();
        await clock.advance(1000);
        expect(runs).to.be.greaterThan(10);
        expect(most).to.equal(1);
      });
    });

    describe('drift', () => {
      it('reports firedAt - scheduledAt in driftMs when the loop was blocked', async () => {
        const blockable = new BlockableScheduler();
        const svc = new Service({ scheduler: blockable });
        const ticks: TimerTick[] = [];
        svc.addTimer(100, (t) => void ticks.push(plain(t)));
        blockable.blockAt(150, 20);
        await svc.start();
        await createVirtualClock({ scheduler: blockable }).advanceTo(200);
        expect(ticks).to.deep.equal([
          { index: 0, scheduledAt: 100, firedAt: 100, driftMs: 0, overlaps: 0 },
          { index: 1, scheduledAt: 200, firedAt: 220, driftMs: 20, overlaps: 0 },
        ]);
        await svc.stop();
      });

      it('emits timer-drift only when the drift exceeds a quarter of the interval', async () => {
        const blockable = new BlockableScheduler();
        const svc = new Service({ name: 'S', scheduler: blockable });
        svc.addTimer(100, () => {}, { name: 'beat' });
        const rec = recordEvents(svc);
        blockable.blockAt(150, 25); // tick 200 fires at 225: exactly a quarter, no event
        blockable.blockAt(250, 80); // tick 300 fires at 380: 80 ms late
        await svc.start();
        await createVirtualClock({ scheduler: blockable }).advanceTo(300);
        const drift = tickEvents(rec.events, 'timer-drift');
        expect(drift.map((e) => ({ timer: e.timer, driftMs: e.driftMs, at: e.at }))).to.deep.equal([
          { timer: 'beat', driftMs: 80, at: 380 },
        ]);
        rec.stop();
        await svc.stop();
      });

      it('does not replay ticks missed while the loop was blocked', async () => {
        const blockable = new BlockableScheduler();
        const svc = new Service({ scheduler: blockable });
        const fired: [number, number][] = [];
        svc.addTimer(100, (t) => void fired.push([t.scheduledAt, t.firedAt]));
        blockable.blockAt(150, 250);
        await svc.start();
        await createVirtualClock({ scheduler: blockable }).advanceTo(400);
        // virtual 200 is 450 on the clock; the next due slot is 500 (virtual 250), then 600
        expect(fired).to.deep.equal([
          [100, 100],
          [200, 450],
          [500, 500],
          [600, 600],
        ]);
        await svc.stop();
      });
    });

    describe('at stop', () => {
      it('stops ticking and leaves no scheduled action behind', async () => {
        const svc = service();
        let runs = 0;
        svc.addTimer(100, () => void runs++);
        await svc.start();
        await clock.advance(250);
        await svc.stop();
        await clock.advance(1000);
        expect(runs).to.equal(2);
        expect(scheduler.actions).to.have.length(0);
      });

      it('awaits a body in flight', async () => {
        const svc = service();
        let finished = false;
        svc.addTimer(100, async () => {
          await delay(scheduler, 50);
          finished = true;
        });
        await svc.start();
        await clock.advance(120);
        let stopped = false;
        const stopping = svc.stop().then(() => (stopped = true));
        await clock.advance(29);
        expect(stopped).to.equal(false);
        expect(svc.state).to.equal('stopping');
        await clock.advance(1);
        await stopping;
        expect(finished).to.equal(true);
        expect(scheduler.frame).to.equal(150);
      });

      it("names a hung body as the 'timer:<name>' phase at the stop deadline", async () => {
        const svc = service('S', { stopTimeout: 1000 });
        svc.addTimer(100, () => new Promise<void>(() => {}), { name: 'poll' });
        const rec = recordEvents(svc);
        await svc.start();
        await clock.advance(100);
        const stopping = outcome(svc.stop());
        await clock.advance(1000);
        const result = await stopping;
        expect(!result.ok && result.error).to.be.instanceOf(StopTimeoutError);
        expect(rec.ofType('stop-timeout')[0]?.stuck).to.deep.equal([
          { path: 'S', phase: 'timer:poll', elapsedMs: 1000 },
        ]);
        rec.stop();
      });

      it('ignores a body that rejects with the abort reason', async () => {
        const svc = service();
        svc.addTimer(
          100,
          () =>
            new Promise<void>((_resolve, reject) =>
              svc.signal.addEventListener('abort', () => reject(svc.signal.reason), { once: true }),
            ),
        );
        await svc.start();
        await clock.advance(100);
        const result = await outcome(svc.stop());
        expect(result.ok, String(!result.ok && result.error)).to.equal(true);
        expect(svc.state).to.equal('stopped');
      });
    });

    describe('failures', () => {
      it('crashes the service when the body throws', async () => {
        const svc = service();
        const boom = new Error('tick failed');
        svc.addTimer(100, (t) => {
          if (t.index === 1) throw boom;
        });
        await svc.start();
        await clock.advance(200);
        expect(svc.state).to.equal('crashed');
        expect(svc.crashReason).to.equal(boom);
      });

      it('crashes the service when the body rejects', async () => {
        const svc = service();
        const boom = new Error('async tick failed');
        svc.addTimer(100, async () => {
          await delay(scheduler, 10);
          throw boom;
        });
        await svc.start();
        await clock.advance(110);
        expect(svc.state).to.equal('crashed');
        expect(svc.crashReason).to.equal(boom);
      });
    });

    describe('across restarts', () => {
      it('restarts the schedule, index and overlaps from each new start', async () => {
        const svc = service();
        const ticks: TimerTick[] = [];
        svc.addTimer(100, async (t) => {
          ticks.push(plain(t));
          if (t.index === 0) await delay(scheduler, 150);
        });
        await svc.start();
        await clock.advance(350);
        await svc.stop();
        await clock.advance(25);
        await svc.start();
        await clock.advance(100);
        expect(ticks).to.deep.equal([
          { index: 0, scheduledAt: 100, firedAt: 100, driftMs: 0, overlaps: 0 },
          { index: 1, scheduledAt: 300, firedAt: 300, driftMs: 0, overlaps: 1 },
          { index: 0, scheduledAt: 475, firedAt: 475, driftMs: 0, overlaps: 0 },
        ]);
      });

      it('drops a timer added in onStart when the run stops', async () => {
        const runs: number[] = [];
        class PerRun extends Service {
          n = 0;
          protected override onStart(): void {
            const n = ++this.n;
            this.addTimer(100, () => void runs.push(n));
          }
        }
        const svc = new PerRun({ scheduler });
        services.push(svc);
        await svc.start();
        await clock.advance(100);
        await svc.restart();
        await clock.advance(100);
        expect(runs).to.deep.equal([1, 2]);
      });
    });

    it('calls unnamed timers timer-1, timer-2, … in registration order', async () => {
      const svc = service();
      svc.addTimer(100, () => delay(scheduler, 150));
      svc.addTimer(100, () => delay(scheduler, 150), { name: 'named' });
      svc.addTimer(100, () => delay(scheduler, 150));
      const rec = recordEvents(svc);
      await svc.start();
      await clock.advance(200);
      const names = tickEvents(rec.events, 'timer-overlap').map((e) => e.timer);
      expect(names).to.deep.equal(['timer-1', 'named', 'timer-2']);
      rec.stop();
    });

    it('rejects an invalid interval or body with a TypeError naming them', () => {
      const svc = service();
      expect(() => svc.addTimer(0, () => {})).to.throw(TypeError, /interval.*0/);
      expect(() => svc.addTimer(-5, () => {})).to.throw(TypeError, /interval.*-5/);
      expect(() => svc.addTimer('5 sec' as any, () => {})).to.throw(TypeError, /interval.*"5 sec"/);
      expect(() => svc.addTimer(100, 'tick' as any)).to.throw(TypeError, /fn.*"tick"/);
    });
  });
});
