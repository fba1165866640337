// Found by the lifecycle fuzz (shrunk by hand from seed 1, run 203). Broken: rejections-are-documented.
//   step 3: [rejections-are-documented] s0.start() rejected with undefined undefined
/* eslint-disable @typescript-eslint/no-unused-vars -- generated: not every helper is used */
import { expect } from 'chai';
import { Observable, type Subscription } from 'rxjs';
import { Service, isServiceError, type ServiceState } from '../../lib/index.js';
import { createVirtualClock } from '../../lib/testing/index.js';

describe('regression: start() after a crash and a restart never rejects with undefined', () => {
  it('s0.start() rejected with undefined undefined', async () => {
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
        super({ name: 's0', scheduler, startConcurrency: 'parallel', stopTimeout: 20 });
      }
    }

    class S1 extends Service<number> {
      constructor() {
        super({ name: 's1', scheduler });
        // an Observable task
        this.addTask(
          () =>
            new Observable<number>((subscriber) => {
              const tick = scheduler.schedule(() => subscriber.next(1), 1);
              return () => {
                tick.unsubscribe();
              };
            }),
          { drain: true },
        );
      }
      protected override onStarted(): any {
        const error = fail('s1.onStarted rejected');
        return after(1).then(() => Promise.reject(error));
      }
    }

    const s0 = new S0();
    const s1 = s0.addDependency(new S1());
    const all: Service<any>[] = [s0, s1];
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
    const p1 = track(s0.restart());
    await settle([p1], 0);
    const p2a = track(s0.start());
    const p2b = track(s0.stop());
    await settle([p2a, p2b], 0);
    release();
    await settle(operations, 200);
    const finalStopSettled = await settle([track(s0.stop())], 21);
    void finalStopSettled;
    expect(
      rejections.filter((e) => !documented(e)),
      'rejections that are neither injected nor ServiceErrors',
    ).to.deep.equal([]);
  });
});
