/**
 * The workloads on rxmode itself, through its public API only: plain `Service` instances as tree
 * nodes, `addTimer` for W6, `SyncSignal`/`Signal` for W5, a root `events$` subscriber for W7 and
 * sibling edges (`addDependency(child, { after })`) for W8.
 */
import {
  Service,
  Signal,
  SyncSignal,
  type LifecycleEvent,
  type ServiceOptions,
  type ServiceState,
  type TimerTick,
} from '../lib/index.js';
import type { Subscription } from 'rxjs';
import {
  CHURN_CHILDREN,
  FLAT_CHILDREN,
  RECEIVERS,
  TIMERS,
  TIMER_PERIOD_MS,
  TIMER_RUN_MS,
  TREE_NODES,
  churn,
  fanOut,
  idle,
  lifecycle,
  main,
  now,
  percentile,
  round,
  sends,
  timers,
  type LifecycleUnderTest,
} from './harness.js';
import { applicationBoot, pause, type GraphProbe, type GraphService } from './graph.js';

const PARALLEL: ServiceOptions = { startConcurrency: 'parallel', stopConcurrency: 'parallel' };
/** `seq`: the defaults (children started in order, stopped in reverse); `par`: both parallel. */
const optionsOf = (variant: string): ServiceOptions | undefined =>
  variant.startsWith('par') ? PARALLEL : undefined;

/** A service whose hooks are async no-ops, as a typical user service has (variant `*-hooks`). */
class Hooked extends Service {
  protected override async onStart(): Promise<void> {}
  protected override async onStop(): Promise<void> {}
}
const makeNode = (variant: string): Service =>
  variant.endsWith('-hooks') ? new Hooked(optionsOf(variant)) : new Service(optionsOf(variant));

const flat = (variant: string, n: number): Service => {
  const root = makeNode(variant);
  for (let i = 0; i < n; i++) root.addDependency(makeNode(variant));
  return root;
};
const tree = (variant: string, level = 0): Service => {
  const node = makeNode(variant);
  for (let i = fanOut(level); i > 0; i--) node.addDependency(tree(variant, level + 1));
  return node;
};
const every = (root: Service, state: ServiceState): boolean => {
  const stack: Service<any>[] = [root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.state !== state) return false;
    for (const child of node.children) stack.push(child);
  }
  return true;
};
const underTest = (root: Service, extra?: () => Record<string, number>): LifecycleUnderTest => ({
  start: () => root.start(),
  stop: () => root.stop(),
  allRunning: () => every(root, 'running'),
  allStopped: () => every(root, 'stopped'),
  extra,
});

/** A W8 service: its start waits on `this.sleep()`, its stop on a timer (a stopping service's sleep ends at once). */
class Timed extends Service {
  constructor(
    readonly index: number,
    readonly spec: GraphService,
    readonly probe: GraphProbe,
  ) {
    super({ name: `s${index}` });
  }
  protected override async onStart(): Promise<void> {
    this.probe.startBegan(this.index);
    await this.sleep(this.spec.startMs);
    this.probe.startEnded(this.index);
  }
  protected override async onStop(): Promise<void> {
    this.probe.stopBegan(this.index);
    await pause(this.spec.stopMs);
    this.probe.stopEnded(this.index);
  }
}
/** W8: the application as one root with 60 children and their edges (`par`) or without (`seq`). */
const application = (variant: string, graph: readonly GraphService[], probe: GraphProbe): Service => {
  const root = new Service({ name: 'app', ...optionsOf(variant) });
  const nodes: Timed[] = [];
  graph.forEach((spec, i) => {
    const node = new Timed(i, spec, probe);
    nodes.push(root.addDependency(node, { after: spec.after.map((p) => nodes[p]!) }));
  });
  return root;
};

const VARIANTS = {
  w1: ['seq', 'par'],
  w2: ['seq', 'par', 'seq-hooks'],
  w3: ['seq', 'par'],
  w4: ['service'],
  w5: ['sync-signal', 'signal'],
  w6: ['addTimer'],
  w7: ['seq', 'par'],
  w8: ['par', 'seq'],
} as const;

async function run(workload: string, variant: string): Promise<void> {
  const subject = { impl: 'rxmode', variant };
  switch (workload) {
    case 'w1':
      return lifecycle({ ...subject, workload, nodes: FLAT_CHILDREN + 1 }, () =>
        underTest(flat(variant, FLAT_CHILDREN)),
      );
    case 'w2':
      return lifecycle({ ...subject, workload, nodes: TREE_NODES }, () => underTest(tree(variant)));
    case 'w7':
      // the same tree with and without the monitor, round after round (vsBaseline = W7 / W2)
      return lifecycle(
        { ...subject, workload, nodes: TREE_NODES },
        () => {
          const root = tree(variant);
          let seen = 0;
          root.events$.subscribe((_event: LifecycleEvent) => void seen++);
          return underTest(root, () => ({ eventsSeen: seen }));
        },
        () => underTest(tree(variant)),
      );
    case 'w3':
      return churn(subject, async () => {
        const root = flat(variant, CHURN_CHILDREN);
        await root.start();
        if (!every(root, 'running')) throw new Error('tree not running');
        await root.stop();
        if (!every(root, 'stopped')) throw new Error('tree not stopped');
      });
    case 'w4':
      // each service and the handle to its subscription are kept, as an application would keep them
      return idle(subject, async (n) => {
        let delivered = 0;
        const onState = (): void => void delivered++;
        const fleet = new Array<Service>(n);
        const handles = new Array<Subscription>(n);
        for (let i = 0; i < n; i++) {
          const service = new Service();
          handles[i] = service.state$.subscribe(onState);
          await service.start();
          fleet[i] = service;
        }
        return {
          delivered: () => delivered,
          stop: async () => {
            for (let i = 0; i < n; i++) {
              await fleet[i]!.stop();
              handles[i]!.unsubscribe();
            }
          },
        };
      });
    case 'w5': {
      let received = 0;
      const receivers = Array.from({ length: RECEIVERS }, () => (_sender: unknown, _value: number): void => {
        received++;
      });
      const sender = {};
      if (variant === 'sync-signal') {
        return sends(subject, (n) => {
          received = 0;
          const signal = new SyncSignal<[number]>();
          const offs = receivers.map((fn) => signal.connect(fn));
          for (let i = 0; i < n; i++) signal.send(sender, i);
          for (const off of offs) off();
          return received;
        });
      }
      return sends(subject, async (n) => {
        received = 0;
        const signal = new Signal<[number]>();
        const offs = receivers.map((fn) => signal.connect(fn));
        for (let i = 0; i < n; i++) await signal.send(sender, i);
        for (const off of offs) off();
        return received;
      });
    }
    case 'w6': {
      // one service, 100 timers registered before start: they are armed inside start()
      // Preallocated, so that the bookkeeping of this file allocates nothing while the timers run
      // (growing arrays would lengthen the collections that the floor does not pay for).
      const capacity = TIMERS * (Math.ceil(TIMER_RUN_MS / TIMER_PERIOD_MS) + 2);
      const drifts = new Float64Array(capacity);
      const fromCall = new Float64Array(capacity);
      let recorded = 0;
      const counts = new Array<number>(TIMERS).fill(0);
      let calledAt = NaN;
      let overlaps = 0;
      return timers(
        subject,
        async (probe) => {
          const service = new Service({ name: 'timers' });
          for (let i = 0; i < TIMERS; i++) {
            service.addTimer(TIMER_PERIOD_MS, (tick: TimerTick) => {
              probe.fired(i);
              const firedAt = now();
              if (recorded < capacity) {
                fromCall[recorded] = firedAt - (calledAt + ++counts[i]! * TIMER_PERIOD_MS);
                drifts[recorded++] = tick.driftMs;
              }
              overlaps = Math.max(overlaps, tick.overlaps);
            });
          }
          // A run's timers keep the grid of the instant its work starts (API.md 3.5), which comes
          // after the `starting` transition: marking them armed there counts the rest of the start
          // (arming included) as drift, but not the start() call's work before the run begins
          // (that is in driftFromCallP99Ms, measured from the call).
          const marking = service.state$.subscribe((state) => {
            if (state === 'starting') for (let i = 0; i < TIMERS; i++) probe.armed(i);
          });
          calledAt = now();
          await service.start();
          marking.unsubscribe();
          return () => service.stop();
        },
        () => ({
          tickDriftP99Ms: round(percentile([...drifts.subarray(0, recorded)], 99), 3),
          driftFromCallP99Ms: round(percentile([...fromCall.subarray(0, recorded)], 99), 3),
          maxOverlaps: overlaps,
        }),
      );
    }
    case 'w8':
      return applicationBoot(subject, (graph, probe) => application(variant, graph, probe));
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}

await main(VARIANTS, run);
