// Specs for Service#run() and run$ (API.md sections 3.3a, 3.4 and 3.5): async functions awaited at
// stop, Observables unsubscribed at stop, async generators, InvalidRunError, crashes of the run, and
// errors that only come from the stop's abort.
import { expect } from 'chai';
import { Observable, VirtualTimeScheduler, interval, map, timer } from 'rxjs';
import { InvalidRunError, Service, isServiceError } from '../../lib/index.js';
import { createVirtualClock } from '../../lib/testing/index.js';
import { deferred, flush, outcome, recordEvents, useFakeClock } from '../support/lifecycle.js';

/** A service whose run() is the function given. */
class Runner<T = never> extends Service<T> {
  readonly #body: (this: Runner<T>, signal: AbortSignal) => unknown;
  constructor(body: (this: Runner<T>, signal: AbortSignal) => unknown, scheduler?: VirtualTimeScheduler) {
    super(scheduler ? { scheduler } : {});
    this.#body = body;
  }
  protected override run(signal: AbortSignal): any {
    return this.#body.call(this, signal);
  }
}

describe('Service', () => {
  describe('#run()', () => {
    describe('as an async function', () => {
      const fake = useFakeClock();

      it('loops on sleep() until the service stops', async () => {
        let loops = 0;
        const svc = new Runner(async function () {
          while (!this.shouldStop) {
            loops++;
            await this.sleep(100);
          }
        });
        await svc.start();
        await fake.clock.tickAsync(350);
        expect(loops).to.equal(4);
        await svc.stop();
        expect(svc.state).to.equal('stopped');
        await fake.clock.tickAsync(1000);
        expect(loops).to.equal(4);
      });

      it('is awaited by stop() until its promise settles', async () => {
        const cleanup = deferred();
        let finished = false;
        const svc = new Runner(async function (signal) {
          while (!signal.aborted) await this.sleep(100);
          await cleanup.promise;
          finished = true;
        });
        await svc.start();
        let stopped = false;
        const stopping = svc.stop().then(() => (stopped = true));
        await flush();
        expect(svc.state).to.equal('stopping');
        expect(stopped).to.equal(false);
        cleanup.resolve();
        await stopping;
        expect(finished).to.equal(true);
        expect(svc.state).to.equal('stopped');
      });

      it('runs again on every start', async () => {
        let runs = 0;
        const svc = new Runner(async function () {
          runs++;
          while (!this.shouldStop) await this.sleep(100);
        });
        await svc.start();
        await svc.restart();
        await svc.stop();
        await svc.start();
        expect(runs).to.equal(3);
        await svc.stop();
      });

      it('crashes the service when its promise rejects', async () => {
        const boom = new Error('boom');
        const svc = new Runner(async function () {
          await this.sleep(100);
          throw boom;
        });
        await svc.start();
        await fake.clock.tickAsync(100);
        await svc.waitUntilStopped();
        expect(svc.state).to.equal('crashed');
        expect(svc.crashReason).to.equal(boom);
      });

      it('ignores a rejection with signal.reason once the stop began', async () => {
        const svc = new Runner(
          (signal) =>
            new Promise<void>((_resolve, reject) =>
              signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
            ),
        );
        await svc.start();
        const result = await outcome(svc.stop());
        expect(result.ok, String(!result.ok && result.error)).to.equal(true);
        expect(svc.state).to.equal('stopped');
      });

      it('ignores an AbortError thrown because of the stop', async () => {
        const svc = new Runner(async function () {
          while (!this.shouldStop) await this.sleep(100);
          await Promise.resolve();
          throw new DOMException('The operation was aborted', 'AbortError');
        });
        await svc.start();
        const result = await outcome(svc.stop());
        expect(result.ok, String(!result.ok && result.error)).to.equal(true);
        expect(svc.state).to.equal('stopped');
      });

      it('ignores signal.throwIfAborted() in the run once the stop began', async () => {
        const svc = new Runner(async function (signal) {
          for (;;) {
            await this.sleep(100);
            signal.throwIfAborted();
          }
        });
        await svc.start();
        await fake.clock.tickAsync(250);
        const result = await outcome(svc.stop());
        expect(result.ok, String(!result.ok && result.error)).to.equal(true);
        expect(svc.state).to.equal('stopped');
      });
    });

    describe('returning an Observable', () => {
      it('publishes its values on run$', async () => {
        const clock = createVirtualClock();
        const scheduler = clock.scheduler;
        const svc = new Runner<number>(() => interval(100, scheduler), scheduler);
        const seen: number[] = [];
        svc.run$.subscribe((v) => seen.push(v));
        await svc.start();
        await clock.advance(350);
        expect(seen).to.deep.equal([0, 1, 2]);
        await svc.stop();
      });

      it('is unsubscribed at stop and emits nothing after it', async () => {
        const clock = createVirtualClock();
        const scheduler = clock.scheduler;
        let unsubscribed = 0;
        const svc = new Runner<number>(
          () =>
            new Observable<number>((subscriber) => {
              const sub = interval(100, scheduler).subscribe(subscriber);
              return () => {
                unsubscribed++;
                sub.unsubscribe();
              };
            }),
          scheduler,
        );
        const seen: number[] = [];
        svc.run$.subscribe((v) => seen.push(v));
        await svc.start();
        await clock.advance(250);
        await svc.stop();
        expect(unsubscribed).to.equal(1);
        await clock.advance(1000);
        expect(seen).to.deep.equal([0, 1]);
        expect(scheduler.actions).to.have.length(0);
      });

      it('crashes the service when it errors, and run$ does not error', async () => {
        const clock = createVirtualClock();
        const scheduler = clock.scheduler;
        const boom = new Error('boom');
        const svc = new Runner<number>(
          () =>
            timer(100, scheduler).pipe(
              map(() => {
                throw boom;
              }),
            ),
          scheduler,
        );
        const runErrors: unknown[] = [];
        let completed = false;
        svc.run$.subscribe({ error: (e) => runErrors.push(e), complete: () => (completed = true) });
        await svc.start();
        await clock.advance(100);
        await svc.waitUntilStopped();
        expect(svc.state).to.equal('crashed');
        expect(svc.crashReason).to.equal(boom);
        expect(runErrors).to.deep.equal([]);
        expect(completed).to.equal(false);
      });

      it('makes start() reject when it errors while subscribed', async () => {
        const boom = new Error('at once');
        const svc = new Runner(
          () =>
            new Observable<never>((subscriber) => {
              subscriber.error(boom);
            }),
        );
        const result = await outcome(svc.start());
        expect(result.ok).to.equal(false);
        expect(!result.ok && result.error).to.equal(boom);
        expect(svc.state).to.equal('crashed');
      });
    });

    describe('as an async generator', () => {
      const fake = useFakeClock();

      it('publishes every yielded value on run$ and is awaited at stop', async () => {
        const cleanup = deferred();
        class Counter extends Service<number> {
          returned = false;
          protected override async *run(): AsyncGenerator<number> {
            try {
              for (let i = 0; !this.shouldStop; i++) {
                yield i;
                await this.sleep(100);
              }
            } finally {
              await cleanup.promise;
              this.returned = true;
            }
          }
        }
        const svc = new Counter();
        const seen: number[] = [];
        svc.run$.subscribe((v) => seen.push(v));
        await svc.start();
        await fake.clock.tickAsync(250);
        expect(seen).to.deep.equal([0, 1, 2]);
        let stopped = false;
        const stopping = svc.stop().then(() => (stopped = true));
        await flush();
        expect(stopped).to.equal(false);
        cleanup.resolve();
        await stopping;
        expect(svc.returned).to.equal(true);
        await fake.clock.tickAsync(500);
        expect(seen).to.deep.equal([0, 1, 2]);
      });

      it('crashes the service when it throws', async () => {
        const boom = new Error('generator failed');
        class Failing extends Service<number> {
          protected override async *run(): AsyncGenerator<number> {
            yield 1;
            await this.sleep(100);
            throw boom;
          }
        }
        const svc = new Failing();
        await svc.start();
        await fake.clock.tickAsync(100);
        await svc.waitUntilStopped();
        expect(svc.state).to.equal('crashed');
        expect(svc.crashReason).to.equal(boom);
      });
    });

    describe('returning something that is not an ObservableInput', () => {
      for (const [label, value] of [
        ['a number', 42],
        ['a string', 'hello'],
        ['a plain object', { value: 1 }],
      ] as const) {
        it(`makes start() reject with InvalidRunError for ${label}`, async () => {
          const svc = new Runner(() => value);
          const result = await outcome(svc.start());
          expect(result.ok).to.equal(false);
          const error = !result.ok && result.error;
          expect(error).to.be.instanceOf(InvalidRunError);
          expect(isServiceError(error)).to.equal(true);
          expect(error.code).to.equal('ERR_INVALID_RUN');
          expect(error.received).to.equal(value);
          expect(error.service).to.deep.equal({ id: svc.id, name: svc.name, path: svc.path });
          expect(svc.state).to.equal('crashed');
          expect(svc.crashReason).to.equal(error);
        });
      }

      it('accepts undefined: there is no ongoing work and the service keeps running', async () => {
        const svc = new Runner(() => undefined);
        await svc.start();
        expect(svc.state).to.equal('running');
        await svc.stop();
        expect(svc.state).to.equal('stopped');
      });
    });
  });

  describe('#run$', () => {
    it('is the same Observable across restarts and keeps delivering to its subscribers', async () => {
      const clock = createVirtualClock();
      const scheduler = clock.scheduler;
      let run = 0;
      const svc = new Runner<string>(() => {
        const r = ++run;
        return interval(100, scheduler).pipe(map((i) => `${r}:${i}`));
      }, scheduler);
      const run$ = svc.run$;
      const seen: string[] = [];
      run$.subscribe((v) => seen.push(v));
      await svc.start();
      await clock.advance(150);
      await svc.restart();
      expect(svc.run$).to.equal(run$);
      await clock.advance(150);
      await svc.stop();
      expect(seen).to.deep.equal(['1:0', '2:0']);
    });

    it('does not complete or error when the service stops or crashes', async () => {
      const svc = new Runner(() => Promise.reject(new Error('x')));
      const notes: string[] = [];
      svc.run$.subscribe({ error: () => notes.push('error'), complete: () => notes.push('complete') });
      await svc.start().catch(() => {});
      await svc.waitUntilStopped();
      expect(svc.state).to.equal('crashed');
      await svc.start().catch(() => {});
      await svc.waitUntilStopped();
      expect(notes).to.deep.equal([]);
    });

    it('emits run values before the crash event of a later failure', async () => {
      const clock = createVirtualClock();
      const scheduler = clock.scheduler;
      const svc = new Runner<number>(
        () =>
          interval(100, scheduler).pipe(
            map((i) => {
              if (i === 2) throw new Error('third');
              return i;
            }),
          ),
        scheduler,
      );
      const order: string[] = [];
      svc.run$.subscribe((v) => order.push(`value ${v}`));
      const rec = recordEvents(svc);
      svc.events$.subscribe((e) => {
        if (e.type === 'crash') order.push('crash');
      });
      await svc.start();
      await clock.advance(300);
      await svc.waitUntilStopped();
      expect(order).to.deep.equal(['value 0', 'value 1', 'crash']);
      rec.stop();
    });
  });
});
