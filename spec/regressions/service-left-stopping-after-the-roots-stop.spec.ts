// Found by the lifecycle fuzz (seed 7 path 1713:0:1:1:1:1:3:0:0:2:0:0:3:0:2:0:9:13:12:16:18:21:21:21:25:25:25:25:25:25:25:25:28:28:28:28:28:28:31:31:31:31:31:31:31:34:34:35:35:39:39:42:42:42:42:42:42:42:44:44:44:44:44:46:46:46:51:54:12:46:53:53:53:53:54:53:70:62:64:65:68:70:70:70:70). Broken: final-stop-stops-everything.
//   step 3: [final-stop-stops-everything] s8 is stopping after the final root.stop()
/* eslint-disable @typescript-eslint/no-unused-vars -- generated: not every helper is used */
import { expect } from 'chai';
import { Observable, type Subscription } from 'rxjs';
import { Service, isServiceError, type ServiceState } from '../../lib/index.js';
import { createVirtualClock } from '../../lib/testing/index.js';

describe('regression: no service is left stopping after the root stop settles', () => {
  it('s8 is stopping after the final root.stop()', async () => {
    const clock = createVirtualClock();
    const scheduler = clock.scheduler;
    const injected = new Set<unknown>();
    const fail = (label: string): Error => {
      const error = new Error(label);
      injected.add(error);
      return error;
    };
    const after = (ms: number): Promise<void> =>
      new Promise((resolve) => scheduler.schedule(() => resolve(), ms));
    const untilAborted = (signal: AbortSignal): Promise<void> =>
      new Promise((resolve) =>
        signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    const gates: (() => void)[] = [];
    const gate = (): Promise<void> => new Promise((resolve) => gates.push(resolve));
    const release = (): void => gates.splice(0).forEach((open) => open());
    const operations: Promise<unknown>[] = [];
    const rejections: unknown[] = [];
    const track = (promise: Promise<unknown>): Promise<unknown> => {
      const settled = promise.catch((error: unknown) => void rejections.push(error));
      operations.push(settled);
      return settled;
    };
    const documented = (error: unknown): boolean =>
      injected.has(error) ||
      (isServiceError(error) && ((error as { errors?: unknown[] }).errors ?? []).every(documented));
    /** Moves virtual time until every promise settled or ms passed. */
    const settle = async (promises: Promise<unknown>[], ms: number): Promise<boolean> => {
      const limit = clock.now() + ms;
      let done = promises.length === 0;
      void Promise.allSettled(promises).then(() => (done = true));
      for (;;) {
        await clock.flush();
        if (done) return true;
        const next = scheduler.actions[0];
        const to = !next || next.delay > limit ? limit : next.delay;
        await clock.advanceTo(to);
        if (to === limit) {
          await clock.flush();
          return done;
        }
      }
    };

    class S0 extends Service<number> {
      constructor() {
        super({ name: 's0', scheduler, stopTimeout: 25 });
        this.addTimer(9, () => after(23));
      }
    }

    class S1 extends Service<number> {
      constructor() {
        super({ name: 's1', scheduler });
        // a Promise task that ends when the signal aborts (fails after 5 ms with an injected error)
        this.addTask(
          (signal) =>
            new Promise<void>((resolve, reject) => {
              const failing = scheduler.schedule(() => reject(fail('s1 task failed')), 5);
              void untilAborted(signal).then(() => {
                failing.unsubscribe();
                resolve();
              });
            }),
          { drain: false },
        );
      }
    }

    class S2 extends Service<number> {
      constructor() {
        super({ name: 's2', scheduler });
      }
    }

    class S3 extends Service<number> {
      constructor() {
        super({ name: 's3', scheduler });
      }
    }

    class S4 extends Service<number> {
      constructor() {
        super({ name: 's4', scheduler });
      }
    }

    class S5 extends Service<number> {
      constructor() {
        super({ name: 's5', scheduler });
        // a Promise task that ends when the signal aborts (fails after 7 ms with an injected error)
        this.addTask(
          (signal) =>
            new Promise<void>((resolve, reject) => {
              const failing = scheduler.schedule(() => reject(fail('s5 task failed')), 7);
              void untilAborted(signal).then(() => {
                failing.unsubscribe();
                resolve();
              });
            }),
          { drain: false },
        );
      }
    }

    class S6 extends Service<number> {
      constructor() {
        super({ name: 's6', scheduler });
      }
    }

    class S7 extends Service<number> {
      constructor() {
        super({ name: 's7', scheduler });
      }
    }

    class S8 extends Service<number> {
      constructor() {
        super({ name: 's8', scheduler });
        this.addTimer(4, () => after(23));
      }
      protected override onStop(): any {
        return after(4);
      }
    }

    const s0 = new S0();
    const s1 = s0.addDependency(new S1());
    const s2 = s0.addDependency(new S2());
    const s3 = s0.addDependency(new S3());
    const s4 = s0.addDependency(new S4());
    const s5 = s0.addDependency(new S5());
    const s6 = s0.addDependency(new S6());
    const s7 = s0.addDependency(new S7());
    const s8 = s1.addDependency(new S8());
    const all: Service<any>[] = [s0, s1, s2, s3, s4, s5, s6, s7, s8];
    const inTree = (): Service<any>[] =>
      all.filter((s) => {
        for (let p: Service<any> | undefined = s; p; p = p.parent) if (p === s0) return true;
        return false;
      });
    const allowed: Record<ServiceState, ServiceState[]> = {
      init: ['starting', 'stopped'],
      starting: ['running', 'stopping', 'crashed'],
      running: ['stopping', 'crashed'],
      stopping: ['stopped'],
      stopped: ['starting'],
      crashed: ['starting'],
    };
    const illegal: string[] = [];
    const seen = new Map<Service<any>, string[]>();
    const reported = new Map<Service<any>, string[]>();
    const watch = (s: Service<any>): void => {
      let last = s.state;
      s.state$.subscribe((to) => {
        if (to === last) return;
        if (!allowed[last].includes(to)) illegal.push(`${s.name}: ${last} -> ${to}`);
        if (inTree().includes(s)) seen.set(s, [...(seen.get(s) ?? []), `${last}->${to}`]);
        last = to;
      });
    };
    all.forEach(watch);
    s0.events$.subscribe((event) => {
      if (event.type !== 'state') return;
      const s = all.find((x) => x.id === event.service.id)!;
      reported.set(s, [...(reported.get(s) ?? []), `${event.from}->${event.to}`]);
    });

    const p0 = track(s0.start());
    await settle([p0], 20);
    const p1a = track(s1.start());
    await settle([p1a], 0);
    const p1b = track(s1.stop());
    await settle([p1a, p1b], 0);
    const p2a = track(s1.start());
    await settle([p2a], 0);
    const p2b = track(s1.stop());
    await settle([p2a, p2b], 1);
    release();
    await settle(operations, 200);
    const finalStopSettled = await settle([track(s0.stop())], 26);
    void finalStopSettled;
    for (const s of inTree()) expect(['stopped', 'crashed', 'init'], s.name).to.include(s.state);
  });
});
