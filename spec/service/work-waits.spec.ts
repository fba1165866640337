// Specs for the waiting helpers of Service (API.md sections 3 and 3.5): sleep, wait, waitMany,
// waitFirst, itertimer, untilStopped, stop$ and signal; they wake early on stop and leave no timer.
import { expect } from 'chai';
import { EMPTY, NEVER, Subject, delay, finalize, interval, map, of, take, throwError, timer } from 'rxjs';
import { Service, type StopReason, type TimerTick } from '../../lib/index.js';
import { flush, useFakeClock } from '../support/lifecycle.js';

/** Tracks whether a promise settled, and how. */
function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

/** A service whose onStop runs `fn` (to call helpers while stopping). */
class OnStop extends Service {
  readonly #fn: (svc: Service) => void;
  constructor(fn: (svc: Service) => void) {
    super();
    this.#fn = fn;
  }
  protected override onStop(): void {
    this.#fn(this);
  }
}

describe('Service', () => {
  const fake = useFakeClock();
  let svc: Service;
  beforeEach(async () => {
    svc = new Service({ name: 'S' });
    await svc.start();
  });
  afterEach(async () => {
    await svc.stop().catch(() => {});
  });

  describe('#sleep()', () => {
    it('resolves true once the duration has passed', async () => {
      const slept = track(svc.sleep('1s'));
      await fake.clock.tickAsync(999);
      expect(slept.settled).to.equal(false);
      await fake.clock.tickAsync(1);
      expect(slept).to.deep.equal({ settled: true, value: true });
    });

    it('resolves false as soon as a stop begins, leaving no timer behind', async () => {
      const slept = track(svc.sleep('1h'));
      await flush();
      await svc.stop();
      expect(slept).to.deep.equal({ settled: true, value: false });
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('resolves false when the service crashes', async () => {
      const slept = track(svc.sleep('1h'));
      svc.crash(new Error('boom'));
      await flush();
      expect(slept).to.deep.equal({ settled: true, value: false });
      await svc.waitUntilStopped();
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('resolves false at once when the service is already stopping', async () => {
      let slept: { settled: boolean; value?: boolean } | undefined;
      const stopping = new OnStop((s) => (slept = track(s.sleep('1h'))));
      await stopping.start();
      await stopping.stop();
      expect(slept).to.deep.equal({ settled: true, value: false });
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('resolves false at once when the service is stopped', async () => {
      await svc.stop();
      expect(await svc.sleep(10)).to.equal(false);
    });

    it('rejects an invalid duration with a TypeError naming it', () => {
      expect(() => svc.sleep('soon' as any)).to.throw(TypeError, /duration.*"soon"/);
    });
  });

  describe('#wait()', () => {
    it("resolves with an Observable's last value when it completes", async () => {
      const waited = track(svc.wait(interval(100).pipe(take(3))));
      await fake.clock.tickAsync(300);
      expect(waited.value).to.deep.equal({ result: 2, stopped: false, timedOut: false });
    });

    it('resolves with undefined for an Observable that completes empty', async () => {
      expect(await svc.wait(EMPTY)).to.deep.equal({ result: undefined, stopped: false, timedOut: false });
    });

    it("resolves with a promise's value", async () => {
      expect(await svc.wait(Promise.resolve('ok'))).to.deep.equal({
        result: 'ok',
        stopped: false,
        timedOut: false,
      });
    });

    it('rejects with the error of the input', async () => {
      const boom = new Error('input failed');
      const waited = track(svc.wait(throwError(() => boom)));
      await flush();
      expect(waited.error).to.equal(boom);
    });

    it('resolves stopped when the service stops first, unsubscribing the input', async () => {
      let unsubscribed = false;
      const waited = track(svc.wait(NEVER.pipe(finalize(() => (unsubscribed = true)))));
      await svc.stop();
      await flush();
      expect(waited.value).to.deep.equal({ result: undefined, stopped: true, timedOut: false });
      expect(unsubscribed).to.equal(true);
    });

    it('resolves stopped at once when the service is already stopping', async () => {
      let waited: ReturnType<typeof track> | undefined;
      const stopping = new OnStop((s) => (waited = track(s.wait(NEVER))));
      await stopping.start();
      await stopping.stop();
      await flush();
      expect(waited?.value).to.deep.equal({ result: undefined, stopped: true, timedOut: false });
    });

    it('resolves timedOut when the timeout passes first, leaving no timer behind', async () => {
      let unsubscribed = false;
      const waited = track(svc.wait(NEVER.pipe(finalize(() => (unsubscribed = true))), { timeout: '1s' }));
      await fake.clock.tickAsync(999);
      expect(waited.settled).to.equal(false);
      await fake.clock.tickAsync(1);
      expect(waited.value).to.deep.equal({ result: undefined, stopped: false, timedOut: true });
      expect(unsubscribed).to.equal(true);
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('clears its timeout when the input finishes first', async () => {
      const waited = track(svc.wait(timer(100).pipe(map(() => 'done')), { timeout: '1s' }));
      await fake.clock.tickAsync(100);
      expect(waited.value).to.deep.equal({ result: 'done', stopped: false, timedOut: false });
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('rejects an invalid timeout with a TypeError naming it', () => {
      expect(() => svc.wait(NEVER, { timeout: -1 })).to.throw(TypeError, /timeout.*-1/);
    });
  });

  describe('#waitMany()', () => {
    it('resolves with the results in input order, whatever order they finish in', async () => {
      const waited = track(
        svc.waitMany([of('slow').pipe(delay(300)), Promise.resolve('promise'), of('fast').pipe(delay(100))]),
      );
      await fake.clock.tickAsync(300);
      expect(waited.value).to.deep.equal({
        result: ['slow', 'promise', 'fast'],
        stopped: false,
        timedOut: false,
      });
    });

    it('resolves with an empty array for no inputs', async () => {
      expect(await svc.waitMany([])).to.deep.equal({ result: [], stopped: false, timedOut: false });
    });

    it('resolves timedOut when one input is still running at the timeout', async () => {
      const waited = track(svc.waitMany([of(1), NEVER], { timeout: 500 }));
      await fake.clock.tickAsync(500);
      expect(waited.value).to.deep.equal({ result: undefined, stopped: false, timedOut: true });
    });

    it('resolves stopped when the service stops first', async () => {
      const waited = track(svc.waitMany([of(1), NEVER]));
      await svc.stop();
      await flush();
      expect(waited.value).to.deep.equal({ result: undefined, stopped: true, timedOut: false });
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('rejects with the first error', async () => {
      const boom = new Error('second failed');
      const waited = track(svc.waitMany([NEVER, throwError(() => boom).pipe(delay(10))]));
      await fake.clock.tickAsync(10);
      expect(waited.error).to.equal(boom);
    });
  });

  describe('#waitFirst()', () => {
    it('resolves with the index and result of the first input to finish', async () => {
      let slowUnsubscribed = false;
      const waited = track(
        svc.waitFirst(
          of('slow').pipe(
            delay(300),
            finalize(() => (slowUnsubscribed = true)),
          ),
          of('fast').pipe(delay(100)),
        ),
      );
      await fake.clock.tickAsync(100);
      expect(waited.value).to.deep.equal({ index: 1, result: 'fast', stopped: false });
      expect(slowUnsubscribed).to.equal(true);
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('resolves index -1 when the service stops first', async () => {
      const waited = track(svc.waitFirst(NEVER, timer(1000)));
      await svc.stop();
      await flush();
      expect(waited.value).to.deep.equal({ index: -1, result: undefined, stopped: true });
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('rejects when the first input to finish fails', async () => {
      const boom = new Error('failed first');
      const waited = track(svc.waitFirst(timer(100), throwError(() => boom).pipe(delay(50))));
      await fake.clock.tickAsync(50);
      expect(waited.error).to.equal(boom);
    });
  });

  describe('#itertimer()', () => {
    it('yields fixed-rate ticks and clears its timer when the loop breaks', async () => {
      const ticks: TimerTick[] = [];
      const loop = (async () => {
        for await (const tick of svc.itertimer(100)) {
          ticks.push({ ...tick });
          if (ticks.length === 3) break;
        }
      })();
      await fake.clock.tickAsync(300);
      await loop;
      expect(ticks.map((t) => [t.index, t.scheduledAt, t.overlaps])).to.deep.equal([
        [0, 100, 0],
        [1, 200, 0],
        [2, 300, 0],
      ]);
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('yields at once with execFirst', async () => {
      const ticks: number[] = [];
      const loop = (async () => {
        for await (const tick of svc.itertimer(100, { execFirst: true })) {
          ticks.push(tick.scheduledAt);
          if (ticks.length === 2) break;
        }
      })();
      await flush();
      expect(ticks).to.deep.equal([0]);
      await fake.clock.tickAsync(100);
      await loop;
      expect(ticks).to.deep.equal([0, 100]);
    });

    it('ends when the service stops, leaving no timer behind', async () => {
      let count = 0;
      let ended = false;
      void (async () => {
        for await (const _tick of svc.itertimer(100)) count++;
        ended = true;
      })();
      await fake.clock.tickAsync(250);
      await svc.stop();
      await flush();
      expect(ended).to.equal(true);
      expect(count).to.equal(2);
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('skips the ticks that come while the loop body runs, counting them in overlaps', async () => {
      const ticks: TimerTick[] = [];
      void (async () => {
        for await (const tick of svc.itertimer(100)) {
          ticks.push({ ...tick });
          if (tick.index === 0) await svc.sleep(250);
        }
      })();
      await fake.clock.tickAsync(500);
      expect(ticks.map((t) => [t.index, t.scheduledAt, t.overlaps])).to.deep.equal([
        [0, 100, 0],
        [1, 400, 2],
        [2, 500, 2],
      ]);
    });

    it('ends at once on a service that is not running any more', async () => {
      await svc.stop();
      const seen: TimerTick[] = [];
      for await (const tick of svc.itertimer(100)) seen.push(tick);
      expect(seen).to.deep.equal([]);
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('drives a run() loop that ends at stop', async () => {
      class Beat extends Service<number> {
        protected override async *run(): AsyncGenerator<number> {
          for await (const tick of this.itertimer(100)) yield tick.index;
        }
      }
      const beat = new Beat();
      const seen: number[] = [];
      beat.run$.subscribe((n) => seen.push(n));
      await beat.start();
      await fake.clock.tickAsync(300);
      await beat.stop();
      expect(seen).to.deep.equal([0, 1, 2]);
      expect(beat.state).to.equal('stopped');
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('rejects an invalid interval with a TypeError naming it', () => {
      expect(() => svc.itertimer(0)).to.throw(TypeError, /interval.*0/);
    });
  });

  describe('#untilStopped()', () => {
    it('completes the source when a stop begins', async () => {
      const seen: number[] = [];
      let completedIn: string | undefined;
      interval(100)
        .pipe(svc.untilStopped())
        .subscribe({ next: (n) => seen.push(n), complete: () => (completedIn = svc.state) });
      await fake.clock.tickAsync(250);
      await svc.stop();
      expect(seen).to.deep.equal([0, 1]);
      expect(completedIn).to.equal('stopping');
      expect(fake.clock.countTimers()).to.equal(0);
    });

    it('completes a late subscriber at once, without a value', async () => {
      await svc.stop();
      const notes: string[] = [];
      of(1, 2)
        .pipe(svc.untilStopped())
        .subscribe({ next: (n) => notes.push(`next ${n}`), complete: () => notes.push('complete') });
      expect(notes).to.deep.equal(['complete']);
    });
  });

  describe('#stop$', () => {
    it('emits the reason once when a stop begins, then completes', async () => {
      const notes: string[] = [];
      svc.stop$.subscribe({
        next: (r) => notes.push(`${r.type} while ${svc.state}`),
        complete: () => notes.push('complete'),
      });
      await svc.stop({ type: 'signal', signal: 'SIGTERM' });
      expect(notes).to.deep.equal(['signal while stopping', 'complete']);
    });

    it('emits a crash reason with the error', async () => {
      const reasons: StopReason[] = [];
      svc.stop$.subscribe((r) => reasons.push(r));
      const boom = new Error('boom');
      svc.crash(boom);
      expect(reasons).to.deep.equal([{ type: 'crash', error: boom }]);
      await svc.waitUntilStopped();
    });

    it('gives a late subscriber the reason at once while stopping, stopped or crashed', async () => {
      const late = (service: Service): StopReason[] => {
        const got: StopReason[] = [];
        let completed = false;
        service.stop$.subscribe({ next: (r) => got.push(r), complete: () => (completed = true) });
        expect(completed).to.equal(true);
        return got;
      };
      let whileStopping: StopReason[] = [];
      const stopping = new OnStop((s) => (whileStopping = late(s)));
      await stopping.start();
      await stopping.stop({ type: 'signal', signal: 'SIGINT' });
      expect(whileStopping).to.deep.equal([{ type: 'signal', signal: 'SIGINT' }]);
      expect(late(stopping)).to.deep.equal([{ type: 'signal', signal: 'SIGINT' }]);
      await stopping.start();
      const boom = new Error('boom');
      stopping.crash(boom);
      expect(late(stopping)).to.deep.equal([{ type: 'crash', error: boom }]);
      await stopping.waitUntilStopped();
    });

    it('emits once per stop: a subscriber of the next run waits for the next stop', async () => {
      const first: string[] = [];
      svc.stop$.subscribe({ next: (r) => first.push(r.type), complete: () => first.push('complete') });
      await svc.restart();
      const second: string[] = [];
      svc.stop$.subscribe({ next: (r) => second.push(r.type), complete: () => second.push('complete') });
      expect(second).to.deep.equal([]);
      await svc.stop();
      expect(first).to.deep.equal(['restart', 'complete']);
      expect(second).to.deep.equal(['manual', 'complete']);
    });

    it('waits for the first stop when subscribed before the first start', async () => {
      const fresh = new Service();
      const reasons = new Subject<StopReason>();
      const got: string[] = [];
      reasons.subscribe((r) => got.push(r.type));
      fresh.stop$.subscribe(reasons);
      expect(got).to.deep.equal([]);
      await fresh.start();
      expect(got).to.deep.equal([]);
      await fresh.stop();
      expect(got).to.deep.equal(['manual']);
    });
  });

  describe('#signal', () => {
    it('is aborted when a stop begins, before onStop runs', async () => {
      let abortedInOnStop: boolean | undefined;
      const watched = new OnStop((s) => (abortedInOnStop = s.signal.aborted));
      await watched.start();
      const signal = watched.signal;
      expect(signal.aborted).to.equal(false);
      const events: string[] = [];
      signal.addEventListener('abort', () => events.push(`abort while ${watched.state}`));
      await watched.stop();
      expect(events).to.deep.equal(['abort while stopping']);
      expect(abortedInOnStop).to.equal(true);
      expect(signal.reason).to.be.instanceOf(Error);
      expect((signal.reason as Error).name).to.equal('AbortError');
    });

    it('is aborted when the service crashes', async () => {
      const signal = svc.signal;
      svc.crash(new Error('boom'));
      expect(signal.aborted).to.equal(true);
      await svc.waitUntilStopped();
    });

    it('is a new, live signal for every run', async () => {
      const first = svc.signal;
      await svc.restart();
      const second = svc.signal;
      expect(second).to.not.equal(first);
      expect(first.aborted).to.equal(true);
      expect(second.aborted).to.equal(false);
      await svc.stop();
      expect(second.aborted).to.equal(true);
    });

    it('is already aborted when read after the service stopped', async () => {
      const fresh = new Service();
      await fresh.start();
      await fresh.stop();
      expect(fresh.signal.aborted).to.equal(true);
    });
  });
});
