// Specs for expectNoLeaks (rxmode/testing): a clean tree (timers, tasks, waits, sleep, itertimer,
// signals given to start() and waitFor()) passes in real and in virtual time; each kind of leftover
// (an action never cancelled, a subscription outside untilStopped(), a live listener, a service not
// stopped) fails the check, named with where it comes from.
import { expect } from 'chai';
import { interval, map, take, timer } from 'rxjs';
import { Service, type ServiceOptions } from '../../lib/index.js';
import { createVirtualClock, expectNoLeaks, type LeakError, type Leftover } from '../../lib/testing/index.js';

/** A child that the Clean root waits for with a signal of its own. */
class Store extends Service {
  constructor() {
    super({ name: 'store' });
    this.addTimer('10ms', () => {}, { name: 'flush' });
  }
}

/** Uses every kind of work rxmode cleans up: timers, tasks, waits, sleep, itertimer. */
class Clean extends Service<number> {
  readonly store = this.addDependency(new Store());
  readonly outside = new AbortController(); // a long-lived signal handed to rxmode, never aborted
  ticks = 0;

  constructor(options: ServiceOptions = {}) {
    super({ name: 'clean', ...options });
    this.addTimer('5ms', () => void this.ticks++, { name: 'tick' });
    this.addTask(() => interval(3, this.scheduler).pipe(map((i) => i * 2)));
    this.addTask(async (signal) => {
      for await (const tick of this.itertimer('4ms')) if (signal.aborted || tick.index > 1_000) return;
    });
  }
  protected override async onStarted(): Promise<void> {
    await this.store.waitFor('running', { signal: this.outside.signal, timeout: '1s' });
  }
  protected override async *run(): AsyncGenerator<number> {
    for (let i = 0; await this.sleep(2); i++) {
      await this.wait(timer(1, this.scheduler), { timeout: '1s' });
      await this.waitFirst(timer(1, this.scheduler), this.stop$);
      yield i;
    }
  }
}

/** Leaves behind what its options ask for. */
class Leaky extends Service {
  readonly longLived = new AbortController();
  constructor(
    readonly leak: 'schedule' | 'interval' | 'state$' | 'listener',
    options: ServiceOptions = {},
  ) {
    super({ name: 'leaky', ...options });
  }
  protected override onStarted(): void {
    if (this.leak === 'schedule') this.scheduler.schedule(() => {}, 60_000);
    if (this.leak === 'interval') interval(1_000, this.scheduler).subscribe(); // not untilStopped()
    if (this.leak === 'state$') this.parent!.state$.subscribe();
    if (this.leak === 'listener') this.longLived.signal.addEventListener('abort', () => {});
  }
}

/** Starts, lets the tree work for `ms` of real time, stops. */
const lifecycle =
  (ms = 30) =>
  async (root: Service<any>): Promise<void> => {
    await root.start();
    await new Promise((resolve) => setTimeout(resolve, ms));
    await root.stop();
  };

/** The error `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<LeakError> {
  try {
    await promise;
  } catch (error) {
    return error as LeakError;
  }
  throw new Error('expected the check to fail');
}

/** A root holding a Leaky child. */
function leakyTree(leak: Leaky['leak']): (scheduler: ServiceOptions['scheduler']) => Service {
  return (scheduler) => {
    const root = new Service({ name: 'app', scheduler });
    root.addDependency(new Leaky(leak));
    return root;
  };
}

describe('expectNoLeaks', function () {
  this.timeout(5_000);

  describe('a clean tree', () => {
    it('passes in real time, through start, work and stop', async () => {
      const clean = await expectNoLeaks((scheduler) => new Clean({ scheduler }), lifecycle());
      expect(clean.state).to.equal('stopped');
      expect(clean.ticks).to.be.greaterThan(0);
    });

    it('passes in virtual time, with a virtual clock behind the tracking scheduler', async () => {
      const clock = createVirtualClock();
      const clean = await expectNoLeaks(
        (scheduler) => new Clean({ scheduler }),
        async (root) => {
          await clock.until(root.start());
          await clock.advance('1s');
          await clock.until(root.restart());
          await clock.advance('100ms');
          await clock.until(root.stop());
        },
        { scheduler: clock.scheduler },
      );
      expect(clean.ticks).to.equal(200 + 20);
    });

    it('passes for a root built on a virtual clock', async () => {
      const clock = createVirtualClock();
      const clean = new Clean({ scheduler: clock.scheduler });
      await expectNoLeaks(clean, async () => {
        await clock.until(clean.start());
        await clock.advance('50ms');
        await clock.until(clean.stop());
      });
    });

    it('passes after a crash that tears the tree down', async () => {
      await expectNoLeaks(
        (scheduler) => new Clean({ scheduler }),
        async (root) => {
          await root.start();
          root.store.crash(new Error('disk gone'));
          await root.waitUntilStopped();
          expect(root.state).to.equal('crashed');
        },
      );
    });

    it('does not count subscriptions the test made before the check', async () => {
      const clean = new Clean({ scheduler: createVirtualClock().scheduler });
      const kept = clean.events$.subscribe();
      await expectNoLeaks(clean, () => {});
      kept.unsubscribe();
    });
  });

  describe('a leaking tree', () => {
    it('fails naming an action scheduled directly on the scheduler and never cancelled', async () => {
      const error = await rejection(expectNoLeaks(leakyTree('schedule'), lifecycle(5)));
      expect(error.leftovers.map((l) => l.kind)).to.deep.equal(['timer']);
      expect(error.message).to.match(
        /the lifecycle of app left 1 thing\(s\) behind:\n {2}- timer: a 60000 ms action on the tree's scheduler, from Leaky\.onStarted \(.*spec[\\/]testing[\\/]leaks\.spec\.ts:\d+:\d+\)$/,
      );
    });

    it('fails naming an interval subscribed outside untilStopped()', async () => {
      const error = await rejection(expectNoLeaks(leakyTree('interval'), lifecycle(5)));
      expect(error.leftovers).to.have.length(1);
      expect(error.leftovers[0]!.description).to.match(
        /^a 1000 ms action .*, from Leaky\.onStarted .*leaks\.spec\.ts/,
      );
    });

    it("fails naming another service's stream subscribed outside untilStopped()", async () => {
      const error = await rejection(expectNoLeaks(leakyTree('state$'), lifecycle(5)));
      expect(error.leftovers).to.deep.equal([
        { kind: 'subscription', description: '1 more subscriber(s) on app.state$ (0 before)' },
      ]);
    });

    it('fails naming a listener left on a signal that never aborts', async () => {
      const error = await rejection(expectNoLeaks(leakyTree('listener'), lifecycle(5)));
      expect(error.leftovers.map((l) => l.kind)).to.deep.equal(['listener']);
      expect(error.leftovers[0]!.description).to.match(
        /^a listener for "abort" on an AbortSignal that has not aborted, added from Leaky\.onStarted .*leaks\.spec\.ts/,
      );
    });

    it('fails naming the services a lifecycle left running, and their timers', async () => {
      const clock = createVirtualClock();
      const clean = new Clean({ scheduler: clock.scheduler });
      const error = await rejection(expectNoLeaks(clean, () => clock.until(clean.start())));
      const kinds = error.leftovers.map((l: Leftover) => l.kind);
      expect(error.leftovers.slice(0, 2)).to.deep.equal([
        { kind: 'service', description: 'clean is running' },
        { kind: 'service', description: 'clean/store is running' },
      ]);
      expect(kinds.filter((k) => k === 'timer').length).to.be.greaterThan(1);
      expect(error.leftovers.find((l) => l.kind === 'timer')!.description).to.match(
        /^an action due at \d+ ms on the virtual clock \(now 0 ms\)$/,
      );
      await clock.until(clean.stop());
    });
  });

  describe('arguments and errors', () => {
    it('rethrows the error of fn unchanged, and unwraps AbortSignal again', async () => {
      const boom = new Error('boom');
      const error = await rejection(
        expectNoLeaks(
          (scheduler) => new Service({ scheduler }),
          () => {
            throw boom;
          },
        ),
      );
      expect(error).to.equal(boom);
      expect(Object.getOwnPropertyNames(AbortSignal.prototype)).not.to.include('addEventListener');
    });

    it('refuses a built root whose timers it cannot see', async () => {
      const error = await rejection(expectNoLeaks(new Service({ name: 'app' }), () => {}));
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.match(/cannot see the timers of app: pass a factory/);
    });

    it('refuses invalid arguments with a TypeError naming them', async () => {
      const service = new Service({ scheduler: createVirtualClock().scheduler });
      const bad: [unknown, unknown, unknown, RegExp][] = [
        [{}, () => {}, undefined, /root must be a Service or a function building one; received \{\}/],
        [service, 'go', undefined, /fn must be a function; received "go"/],
        [() => service, () => {}, { scheduler: 5 }, /scheduler must be an rxjs SchedulerLike; received 5/],
        [
          service,
          () => {},
          { scheduler: createVirtualClock().scheduler },
          /scheduler applies to a factory root only/,
        ],
        [() => 'app', () => {}, undefined, /root\(\) must return a Service; it returned "app"/],
      ];
      for (const [root, fn, options, message] of bad) {
        const call = expectNoLeaks(root as Service, fn as () => void, options as object);
        const error = await rejection(call);
        expect(error, String(message)).to.be.instanceOf(TypeError);
        expect(error.message).to.match(message);
      }
    });
  });

  it('is used with take() of run$ like any subscription', async () => {
    // a test that reads run$ and lets take() end its subscription leaves nothing behind
    await expectNoLeaks(
      (scheduler) => new Clean({ scheduler }),
      async (root) => {
        const values: number[] = [];
        root.run$.pipe(take(2)).subscribe((v) => values.push(v));
        await lifecycle(40)(root);
        expect(values).to.deep.equal([0, 1]);
      },
    );
  });
});
