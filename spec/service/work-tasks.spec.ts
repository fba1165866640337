// Specs for Service#addTask() (API.md sections 3.2, 3.3a, 3.4 and 3.5): tasks unsubscribed or drained
// at stop, failures that crash, default names, and which registrations last across restarts.
import { expect } from 'chai';
import { NEVER, Observable, finalize, interval, tap } from 'rxjs';
import { Service, StopTimeoutError } from '../../lib/index.js';
import { deferred, flush, outcome, recordEvents, useFakeClock } from '../support/lifecycle.js';

/** A task that never ends by itself (it ignores the signal). */
const hung = (): Promise<void> => new Promise<void>(() => {});

describe('Service', () => {
  describe('#addTask()', () => {
    const fake = useFakeClock();

    /** Stops `svc` (stop budget 1s) and returns the phases named at the deadline. */
    async function stuckPhases(svc: Service): Promise<string[]> {
      const rec = recordEvents(svc);
      await svc.start();
      const stopping = outcome(svc.stop());
      await fake.clock.tickAsync(1000);
      await stopping;
      rec.stop();
      return rec.ofType('stop-timeout').flatMap((e) => e.stuck.map((s) => s.phase));
    }
    /** A drain task that ends when the signal aborts. */
    const polite = (signal: AbortSignal): Promise<void> =>
      new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));

    it('subscribes the task on start, after the children run, with the service signal', async () => {
      const svc = new Service({ name: 'P' });
      const child = svc.addDependency(new Service({ name: 'C' }));
      let seen: { childState: string; signal: AbortSignal } | undefined;
      svc.addTask((signal) => {
        seen = { childState: child.state, signal };
        return NEVER;
      });
      expect(seen).to.equal(undefined);
      await svc.start();
      expect(seen?.childState).to.equal('running');
      expect(seen?.signal).to.equal(svc.signal);
      await svc.stop();
    });

    describe('with drain: false (the default)', () => {
      it('unsubscribes an Observable task at stop without waiting for it', async () => {
        let ticks = 0;
        let finalized = 0;
        const svc = new Service();
        svc.addTask(() =>
          interval(100).pipe(
            tap(() => ticks++),
            finalize(() => finalized++),
          ),
        );
        await svc.start();
        await fake.clock.tickAsync(250);
        expect(ticks).to.equal(2);
        await svc.stop();
        expect(finalized).to.equal(1);
        await fake.clock.tickAsync(1000);
        expect(ticks).to.equal(2);
        expect(fake.clock.countTimers()).to.equal(0);
      });

      it('does not wait for a promise task', async () => {
        const svc = new Service({ stopTimeout: '1s' });
        svc.addTask(hung);
        await svc.start();
        await svc.stop();
        expect(svc.state).to.equal('stopped');
      });
    });

    describe('with drain: true', () => {
      it('awaits a promise task at stop; the task sees the signal abort first', async () => {
        const done = deferred();
        let abortedWhenAsked = false;
        const svc = new Service();
        svc.addTask(
          async (signal) => {
            await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
            abortedWhenAsked = signal.aborted;
            await done.promise;
          },
          { drain: true },
        );
        await svc.start();
        let stopped = false;
        const stopping = svc.stop().then(() => (stopped = true));
        await flush();
        expect(abortedWhenAsked).to.equal(true);
        expect(svc.state).to.equal('stopping');
        expect(stopped).to.equal(false);
        done.resolve();
        await stopping;
        expect(svc.state).to.equal('stopped');
      });

      it('keeps an Observable task subscribed until it completes by itself', async () => {
        const emitted: string[] = [];
        const svc = new Service();
        svc.addTask(
          (signal) =>
            new Observable<void>((subscriber) => {
              signal.addEventListener('abort', () => {
                const t = setTimeout(() => {
                  emitted.push('flushed');
                  subscriber.complete();
                }, 300);
                subscriber.add(() => clearTimeout(t));
              });
            }),
          { drain: true },
        );
        await svc.start();
        let stopped = false;
        const stopping = svc.stop().then(() => (stopped = true));
        await fake.clock.tickAsync(299);
        expect(stopped).to.equal(false);
        await fake.clock.tickAsync(1);
        await stopping;
        expect(emitted).to.deep.equal(['flushed']);
      });

      it("is awaited in the 'task:<name>' phase, named at the stop deadline", async () => {
        const svc = new Service({ name: 'S', stopTimeout: '1s' });
        svc.addTask(hung, { name: 'flush', drain: true });
        const rec = recordEvents(svc);
        await svc.start();
        const stopping = outcome(svc.stop());
        await fake.clock.tickAsync(1000);
        const result = await stopping;
        expect(result.ok).to.equal(false);
        expect(!result.ok && result.error).to.be.instanceOf(StopTimeoutError);
        const [timeout] = rec.ofType('stop-timeout');
        expect(timeout?.stuck).to.deep.equal([{ path: 'S', phase: 'task:flush', elapsedMs: 1000 }]);
        expect(svc.state).to.equal('stopped');
        rec.stop();
      });

      it('names every drain task still pending at the stop deadline', async () => {
        const svc = new Service({ stopTimeout: '1s' });
        svc.addTask(hung, { drain: true });
        svc.addTask(hung, { name: 'named', drain: true });
        svc.addTask(hung, { drain: true });
        expect(await stuckPhases(svc)).to.have.members(['task:task-1', 'task:named', 'task:task-2']);
      });
    });

    describe('names', () => {
      it('calls unnamed tasks task-1, task-2, … in registration order', async () => {
        const first = new Service({ stopTimeout: '1s' });
        first.addTask(hung, { drain: true });
        first.addTask(polite, { drain: true });
        expect(await stuckPhases(first)).to.deep.equal(['task:task-1']);

        const second = new Service({ stopTimeout: '1s' });
        second.addTask(polite, { drain: true });
        second.addTask(polite, { name: 'named', drain: true });
        second.addTask(hung, { drain: true });
        expect(await stuckPhases(second)).to.deep.equal(['task:task-2']);
      });
    });

    describe('failures', () => {
      const boom = new Error('task failed');
      const cases: [string, () => unknown][] = [
        [
          'throws',
          () => {
            throw boom;
          },
        ],
        ['returns a rejecting promise', () => Promise.reject(boom)],
        [
          'returns an Observable that errors',
          () =>
            new Observable<never>((s) => {
              const t = setTimeout(() => s.error(boom), 100);
              return () => clearTimeout(t);
            }),
        ],
      ];
      for (const [label, fn] of cases) {
        it(`crashes the service when the task ${label}`, async () => {
          const svc = new Service();
          svc.addTask(fn as () => Promise<void>);
          await svc.start().catch(() => {});
          await fake.clock.tickAsync(100);
          await svc.waitUntilStopped();
          expect(svc.state).to.equal('crashed');
          expect(svc.crashReason).to.equal(boom);
        });
      }

      it('crashes a running service when a task fails later', async () => {
        const svc = new Service();
        svc.addTask(async () => {
          await new Promise((resolve) => setTimeout(resolve, 500));
          throw boom;
        });
        await svc.start();
        expect(svc.state).to.equal('running');
        await fake.clock.tickAsync(500);
        await svc.waitUntilStopped();
        expect(svc.state).to.equal('crashed');
        expect(svc.crashReason).to.equal(boom);
      });
    });

    describe('across restarts', () => {
      it('runs a task registered in the constructor on every start', async () => {
        class Registered extends Service {
          starts = 0;
          constructor() {
            super();
            this.addTask(async () => void this.starts++);
          }
        }
        const svc = new Registered();
        await svc.start();
        await svc.restart();
        await svc.stop();
        await svc.start();
        expect(svc.starts).to.equal(3);
        await svc.stop();
      });

      it('runs a task registered while stopped on every later start', async () => {
        const svc = new Service();
        let runs = 0;
        await svc.start();
        await svc.stop();
        svc.addTask(async () => void runs++);
        await svc.start();
        await svc.restart();
        expect(runs).to.equal(2);
        await svc.stop();
      });

      it('drops tasks registered in onStart when the run stops (no duplicates)', async () => {
        const perStart: number[] = [];
        class PerRun extends Service {
          starts = 0;
          protected override onStart(): void {
            const n = ++this.starts;
            this.addTask(async () => void perStart.push(n));
          }
        }
        const svc = new PerRun();
        await svc.start();
        await svc.restart();
        await svc.stop();
        await svc.start();
        expect(perStart).to.deep.equal([1, 2, 3]);
        await svc.stop();
      });

      it('starts a task registered by a running task at once and drops it with the run', async () => {
        const svc = new Service();
        let inner = 0;
        let outer = 0;
        svc.addTask(async () => {
          outer++;
          await new Promise((resolve) => setTimeout(resolve, 100));
          svc.addTask(async () => void inner++);
        });
        await svc.start();
        await fake.clock.tickAsync(100);
        expect(inner).to.equal(1);
        await svc.restart();
        await fake.clock.tickAsync(100);
        expect(outer).to.equal(2);
        expect(inner).to.equal(2);
        await svc.stop();
      });
    });

    it('rejects invalid arguments with a TypeError naming them', () => {
      const svc = new Service();
      expect(() => svc.addTask(42 as any)).to.throw(TypeError, /fn.*42/);
      expect(() => svc.addTask(hung, { name: '' })).to.throw(TypeError, /name/);
      expect(() => svc.addTask(hung, { drain: 'yes' as any })).to.throw(TypeError, /drain.*"yes"/);
    });
  });
});
