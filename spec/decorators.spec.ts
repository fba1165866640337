// Specs for @task, @timer, @crontab and @transitionsTo under standard decorators (the project's
// default tsconfig), and for diag (API.md sections 3 and 3.5). The experimentalDecorators variant
// runs in a child process: see legacy-decorators.spec.ts.
import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { Service, crontab, task, timer, transitionsTo, type TimerTick } from '../lib/index.js';
import { createVirtualClock, type VirtualClock } from '../lib/testing/index.js';
import { deferred, flush, outcome, recordEvents } from './support/lifecycle.js';

describe('decorators (standard)', () => {
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
  /** Remembers a service so that it is stopped after the test. */
  function track<S extends Service<any>>(svc: S): S {
    services.push(svc);
    return svc;
  }

  describe('@task', () => {
    it('runs the method as a task on every start, with the service as this and its signal', async () => {
      class Consumer extends Service {
        readonly calls: { self: unknown; signal: AbortSignal }[] = [];
        @task
        consume(signal: AbortSignal): Promise<void> {
          this.calls.push({ self: this, signal });
          return new Promise<void>(() => {});
        }
      }
      const svc = track(new Consumer({ scheduler }));
      expect(svc.calls).to.deep.equal([]);
      await svc.start();
      expect(svc.calls).to.have.length(1);
      expect(svc.calls[0]?.self).to.equal(svc);
      expect(svc.calls[0]?.signal).to.equal(svc.signal);
      await svc.restart();
      await svc.restart();
      expect(svc.calls).to.have.length(3);
    });

    it('keeps the registrations of each instance apart', async () => {
      class Counter extends Service {
        runs = 0;
        @task
        async count(): Promise<void> {
          this.runs++;
        }
      }
      const a = track(new Counter({ scheduler }));
      const b = track(new Counter({ scheduler }));
      await a.start();
      await b.start();
      await b.restart();
      expect([a.runs, b.runs]).to.deep.equal([1, 2]);
    });

    it('is unsubscribed at stop without drain', async () => {
      class Hung extends Service {
        @task
        hang(): Promise<void> {
          return new Promise<void>(() => {});
        }
      }
      const svc = track(new Hung({ scheduler }));
      await svc.start();
      await svc.stop();
      expect(svc.state).to.equal('stopped');
    });

    it('with { drain: true } is awaited at stop, in the task:<method> phase', async () => {
      const gate = deferred();
      class Flusher extends Service {
        flushed = false;
        @task({ drain: true })
        async flush(signal: AbortSignal): Promise<void> {
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
          await gate.promise;
          this.flushed = true;
        }
      }
      const svc = track(new Flusher({ name: 'F', scheduler, stopTimeout: 1000 }));
      const rec = recordEvents(svc);
      await svc.start();
      const stopping = outcome(svc.stop());
      await clock.advance(1000);
      const first = await stopping;
      expect(first.ok).to.equal(false);
      expect(rec.ofType('stop-timeout')[0]?.stuck).to.deep.equal([
        { path: 'F', phase: 'task:flush', elapsedMs: 1000 },
      ]);
      rec.stop();

      await svc.start();
      let stopped = false;
      const again = svc.stop().then(() => (stopped = true));
      await flush();
      expect(stopped).to.equal(false);
      gate.resolve();
      await again;
      expect(svc.flushed).to.equal(true);
    });
  });

  describe('@timer', () => {
    it('runs the method at a fixed rate with the tick, named after the method', async () => {
      class Beat extends Service {
        readonly ticks: TimerTick[] = [];
        @timer('10ms')
        beat(tick: TimerTick): Promise<void> {
          this.ticks.push({ ...tick });
          return new Promise<void>((resolve) =>
            scheduler.schedule(() => resolve(), tick.index === 0 ? 15 : 0),
          );
        }
      }
      const svc = track(new Beat({ scheduler }));
      const rec = recordEvents(svc);
      await svc.start();
      await clock.advance(40);
      expect(svc.ticks.map((t) => [t.index, t.scheduledAt])).to.deep.equal([
        [0, 10],
        [1, 30],
        [2, 40],
      ]);
      expect(rec.events.flatMap((e) => (e.type === 'timer-overlap' ? [e.timer] : []))).to.deep.equal([
        'beat',
      ]);
      rec.stop();
    });

    it('takes TimerOptions such as execFirst', async () => {
      class Eager extends Service {
        readonly at: number[] = [];
        @timer('10ms', { execFirst: true })
        beat(tick: TimerTick): void {
          this.at.push(tick.scheduledAt);
        }
      }
      const svc = track(new Eager({ scheduler }));
      await svc.start();
      await clock.advance(20);
      expect(svc.at).to.deep.equal([0, 10, 20]);
    });

    it('rejects an invalid interval with a TypeError when the class is defined', () => {
      expect(() => timer(0)).to.throw(TypeError, /interval/);
      expect(() => timer('often' as any)).to.throw(TypeError, /interval.*"often"/);
    });
  });

  describe('@crontab', () => {
    it('runs the method on the cron schedule (6 fields)', async () => {
      scheduler.frame = Date.UTC(2024, 0, 1, 0, 0, 0);
      class Cron extends Service {
        readonly fired: string[] = [];
        @crontab('* * * * * *')
        everySecond(): void {
          this.fired.push(new Date(scheduler.now()).toISOString());
        }
      }
      const svc = track(new Cron({ scheduler }));
      await svc.start();
      await clock.advance(3000);
      expect(svc.fired).to.deep.equal([
        '2024-01-01T00:00:01.000Z',
        '2024-01-01T00:00:02.000Z',
        '2024-01-01T00:00:03.000Z',
      ]);
    });

    it('takes a time zone', async () => {
      scheduler.frame = Date.UTC(2024, 0, 1, 0, 0, 0);
      class Daily extends Service {
        readonly fired: string[] = [];
        @crontab('0 9 * * *', { timezone: 'Asia/Tokyo' })
        morning(): void {
          this.fired.push(new Date(scheduler.now()).toISOString());
        }
      }
      const svc = track(new Daily({ scheduler }));
      await svc.start();
      await clock.advance(86_400_000);
      expect(svc.fired).to.deep.equal(['2024-01-02T00:00:00.000Z']);
    });

    it('rejects an invalid expression or time zone with a TypeError when the class is defined', () => {
      expect(() => crontab('every day')).to.throw(TypeError, /expression.*"every day"/);
      expect(() => crontab('* * * * *', { timezone: 'Nowhere/City' })).to.throw(
        TypeError,
        /timezone.*"Nowhere\/City"/,
      );
    });
  });

  describe('@transitionsTo', () => {
    it('sets the flag while a synchronous method runs', () => {
      class Sync extends Service {
        seen: boolean | undefined;
        @transitionsTo('compacting')
        compact(): string {
          this.seen = this.diag.flags.has('compacting');
          return 'done';
        }
      }
      const svc = new Sync({ scheduler });
      expect(svc.compact()).to.equal('done');
      expect(svc.seen).to.equal(true);
      expect(svc.diag.flags.has('compacting')).to.equal(false);
    });

    it('keeps the flag until the promise of an async method settles, with scheduler times', async () => {
      const gate = deferred<number>();
      class Async extends Service {
        @transitionsTo('syncing')
        async sync(): Promise<number> {
          return gate.promise;
        }
      }
      const svc = new Async({ scheduler });
      scheduler.frame = 500;
      const result = svc.sync();
      expect([...svc.diag.flags]).to.deep.equal(['syncing']);
      expect(svc.diag.lastTransition.get('syncing')).to.equal(500);
      expect(svc.toJSON().flags).to.deep.equal(['syncing']);
      scheduler.frame = 750;
      gate.resolve(7);
      expect(await result).to.equal(7);
      expect(svc.diag.flags.has('syncing')).to.equal(false);
      expect(svc.diag.lastTransition.get('syncing')).to.equal(750);
    });

    it('unsets the flag when the method throws or rejects, passing the error on', async () => {
      const boom = new Error('boom');
      class Failing extends Service {
        @transitionsTo('sync-fail')
        syncFail(): void {
          throw boom;
        }
        @transitionsTo('async-fail')
        async asyncFail(): Promise<void> {
          await Promise.resolve();
          throw boom;
        }
      }
      const svc = new Failing({ scheduler });
      expect(() => svc.syncFail()).to.throw(boom);
      const result = await outcome(svc.asyncFail());
      expect(!result.ok && result.error).to.equal(boom);
      expect([...svc.diag.flags]).to.deep.equal([]);
    });

    it('rejects an empty flag with a TypeError', () => {
      expect(() => transitionsTo('')).to.throw(TypeError, /flag/);
    });
  });

  describe('diag', () => {
    it('records setFlag and unsetFlag with the scheduler time', () => {
      const svc = new Service({ scheduler });
      scheduler.frame = 100;
      svc.diag.setFlag('a');
      scheduler.frame = 200;
      svc.diag.setFlag('b');
      scheduler.frame = 300;
      svc.diag.unsetFlag('a');
      expect([...svc.diag.flags]).to.deep.equal(['b']);
      expect([...svc.diag.lastTransition]).to.deep.equal([
        ['a', 300],
        ['b', 200],
      ]);
    });
  });

  describe('subclasses', () => {
    it('run an overriding decorated method once, instead of the base one', async () => {
      const log: string[] = [];
      class Base extends Service {
        @task
        async work(): Promise<void> {
          log.push('base');
        }
      }
      class Derived extends Base {
        @task
        override async work(): Promise<void> {
          log.push('derived');
        }
      }
      const svc = track(new Derived({ scheduler }));
      await svc.start();
      expect(log).to.deep.equal(['derived']);
    });

    it('replace the schedule of an overridden @timer method', async () => {
      class Base extends Service {
        readonly at: number[] = [];
        @timer('10ms')
        beat(tick: TimerTick): void {
          this.at.push(tick.scheduledAt);
        }
      }
      class Slower extends Base {
        @timer('25ms')
        override beat(tick: TimerTick): void {
          this.at.push(-tick.scheduledAt);
        }
      }
      const svc = track(new Slower({ scheduler }));
      await svc.start();
      await clock.advance(50);
      expect(svc.at).to.deep.equal([-25, -50]);
    });

    it('inherit decorated methods they do not override', async () => {
      const log: string[] = [];
      class Base extends Service {
        @task
        async inherited(): Promise<void> {
          log.push('inherited');
        }
      }
      class Derived extends Base {
        @task
        async own(): Promise<void> {
          log.push('own');
        }
      }
      const svc = track(new Derived({ scheduler }));
      await svc.start();
      expect(log).to.have.members(['inherited', 'own']);
    });
  });

  it('reject a static method with a TypeError', () => {
    expect(() => {
      class Static extends Service {
        @task
        static helper(): void {}
      }
      return Static;
    }).to.throw(TypeError, /instance methods/);
  });
});
