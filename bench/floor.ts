/**
 * The raw floor: the cheapest code that could still be called a service tree with an observable
 * state. Plain objects with async start/stop and one rxjs BehaviorSubject each (variant `rx`, the
 * reference every ratio is taken against), plus cheaper and sequential variants for context. W8's
 * floor is one promise per service chained on its prerequisites' promises.
 */
import { BehaviorSubject, Subject } from 'rxjs';
import {
  CHURN_CHILDREN,
  FLAT_CHILDREN,
  RECEIVERS,
  TIMERS,
  TIMER_PERIOD_MS,
  TREE_NODES,
  churn,
  fanOut,
  idle,
  lifecycle,
  main,
  now,
  sends,
  timers,
  type LifecycleUnderTest,
} from './harness.js';
import { applicationBoot, pause, type GraphProbe, type GraphService, type GraphUnderTest } from './graph.js';

type State = 'init' | 'starting' | 'running' | 'stopping' | 'stopped';

/** What every floor node offers to the drivers. */
interface FloorNode {
  readonly kids: FloorNode[];
  readonly state: State;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** `sync`: no promise at all; only the bookkeeping. */
class SyncNode implements FloorNode {
  state: State = 'init';
  constructor(readonly kids: FloorNode[]) {}
  start(): void {
    this.state = 'starting';
    for (const kid of this.kids) void kid.start();
    this.state = 'running';
  }
  stop(): void {
    this.state = 'stopping';
    for (const kid of this.kids) void kid.stop();
    this.state = 'stopped';
  }
}

/** `async`: async start/stop, children together through `Promise.all`, no observable state. */
class AsyncNode implements FloorNode {
  state: State = 'init';
  constructor(readonly kids: AsyncNode[]) {}
  async start(): Promise<void> {
    this.state = 'starting';
    if (this.kids.length > 0) await Promise.all(this.kids.map((kid) => kid.start()));
    this.state = 'running';
  }
  async stop(): Promise<void> {
    this.state = 'stopping';
    if (this.kids.length > 0) await Promise.all(this.kids.map((kid) => kid.stop()));
    this.state = 'stopped';
  }
}

/** Where an `rx` node reports its transitions when the tree is monitored (W7). */
interface Transition {
  node: RxNode;
  to: State;
}

/** `rx`: as `async`, plus one BehaviorSubject `state$` per node, next() on every transition. */
class RxNode implements FloorNode {
  readonly state$ = new BehaviorSubject<State>('init');
  constructor(
    readonly kids: RxNode[],
    readonly monitor?: Subject<Transition>,
  ) {}
  get state(): State {
    return this.state$.value;
  }
  protected move(to: State): void {
    this.state$.next(to);
    this.monitor?.next({ node: this, to });
  }
  async start(): Promise<void> {
    this.move('starting');
    if (this.kids.length > 0) await Promise.all(this.kids.map((kid) => kid.start()));
    this.move('running');
  }
  async stop(): Promise<void> {
    this.move('stopping');
    if (this.kids.length > 0) await Promise.all(this.kids.map((kid) => kid.stop()));
    this.move('stopped');
  }
}

/** `rx-seq`: as `rx`, children one after the other (started in order, stopped in reverse). */
class RxSeqNode extends RxNode {
  override async start(): Promise<void> {
    this.move('starting');
    for (const kid of this.kids) await kid.start();
    this.move('running');
  }
  override async stop(): Promise<void> {
    this.move('stopping');
    for (let i = this.kids.length - 1; i >= 0; i--) await this.kids[i]!.stop();
    this.move('stopped');
  }
}

type Make = (kids: FloorNode[], monitor?: Subject<Transition>) => FloorNode;
const MAKE: Record<string, Make> = {
  sync: (kids) => new SyncNode(kids),
  async: (kids) => new AsyncNode(kids as AsyncNode[]),
  rx: (kids, monitor) => new RxNode(kids as RxNode[], monitor),
  'rx-seq': (kids, monitor) => new RxSeqNode(kids as RxNode[], monitor),
};

const flat = (make: Make, n: number): FloorNode => {
  const kids = new Array<FloorNode>(n);
  for (let i = 0; i < n; i++) kids[i] = make([]);
  return make(kids);
};
const tree = (make: Make, monitor?: Subject<Transition>, level = 0): FloorNode => {
  const kids = new Array<FloorNode>(fanOut(level));
  for (let i = 0; i < kids.length; i++) kids[i] = tree(make, monitor, level + 1);
  return make(kids, monitor);
};
const every = (root: FloorNode, state: State): boolean => {
  const stack = [root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.state !== state) return false;
    for (const kid of node.kids) stack.push(kid);
  }
  return true;
};
const underTest = (root: FloorNode, extra?: () => Record<string, number>): LifecycleUnderTest => ({
  start: () => root.start(),
  stop: () => root.stop(),
  allRunning: () => every(root, 'running'),
  allStopped: () => every(root, 'stopped'),
  extra,
});

/**
 * W8 `promises`: each service starts once the promises of its prerequisites resolve and stops once
 * the stop promises of its dependents resolve; nothing but the timers and the promise chains.
 */
const promiseGraph = (graph: readonly GraphService[], probe: GraphProbe): GraphUnderTest => {
  const dependents: number[][] = graph.map(() => []);
  graph.forEach((s, i) => s.after.forEach((p) => dependents[p]!.push(i)));
  const hook = async (i: number, ms: number, stopping: boolean): Promise<void> => {
    if (stopping) probe.stopBegan(i);
    else probe.startBegan(i);
    await pause(ms);
    if (stopping) probe.stopEnded(i);
    else probe.startEnded(i);
  };
  return {
    start: async () => {
      const started: Promise<void>[] = [];
      graph.forEach((s, i) => {
        started[i] = Promise.all(s.after.map((p) => started[p]!)).then(() => hook(i, s.startMs, false));
      });
      await Promise.all(started);
    },
    stop: async () => {
      const stopped: Promise<void>[] = [];
      for (let i = graph.length - 1; i >= 0; i--) {
        stopped[i] = Promise.all(dependents[i]!.map((d) => stopped[d]!)).then(() =>
          hook(i, graph[i]!.stopMs, true),
        );
      }
      await Promise.all(stopped);
    },
  };
};

const VARIANTS = {
  w1: ['rx', 'rx-seq', 'async', 'sync'],
  w2: ['rx', 'rx-seq', 'async', 'sync'],
  w3: ['rx', 'rx-seq', 'async'],
  w4: ['rx', 'plain'],
  w5: ['subject', 'array', 'async-loop'],
  w6: ['setTimeout-corrected', 'setInterval'],
  w7: ['rx', 'rx-seq'],
  w8: ['promises'],
} as const;

async function run(workload: string, variant: string): Promise<void> {
  const subject = { impl: 'floor', variant };
  switch (workload) {
    case 'w1':
      return lifecycle({ ...subject, workload, nodes: FLAT_CHILDREN + 1 }, () =>
        underTest(flat(MAKE[variant]!, FLAT_CHILDREN)),
      );
    case 'w2':
      return lifecycle({ ...subject, workload, nodes: TREE_NODES }, () => underTest(tree(MAKE[variant]!)));
    case 'w7':
      // monitoring the whole tree: every node reports each transition to one Subject the monitor reads
      return lifecycle(
        { ...subject, workload, nodes: TREE_NODES },
        () => {
          const monitor = new Subject<Transition>();
          let seen = 0;
          monitor.subscribe(() => void seen++);
          return underTest(tree(MAKE[variant]!, monitor), () => ({ eventsSeen: seen }));
        },
        () => underTest(tree(MAKE[variant]!)),
      );
    case 'w3': {
      const make = MAKE[variant]!;
      return churn(subject, async () => {
        const root = flat(make, CHURN_CHILDREN);
        await root.start();
        if (!every(root, 'running')) throw new Error('tree not running');
        await root.stop();
        if (!every(root, 'stopped')) throw new Error('tree not stopped');
      });
    }
    case 'w4':
      // each service and the handle to its subscription are kept, as an application would keep them
      return idle(subject, async (n) => {
        let delivered = 0;
        const onState = (): void => void delivered++;
        const nodes = new Array<FloorNode>(n);
        const handles = new Array<{ unsubscribe(): void }>(n);
        for (let i = 0; i < n; i++) {
          if (variant === 'rx') {
            const node = new RxNode([]);
            handles[i] = node.state$.subscribe(onState);
            await node.start();
            nodes[i] = node;
          } else {
            // a plain object with one listener array, told about each transition by hand
            const node = new AsyncNode([]);
            const listeners = [onState];
            handles[i] = { unsubscribe: () => void listeners.pop() };
            await node.start();
            for (const listener of listeners) listener();
            nodes[i] = node;
          }
        }
        return {
          delivered: () => delivered,
          stop: async () => {
            for (let i = 0; i < n; i++) {
              await nodes[i]!.stop();
              handles[i]!.unsubscribe();
            }
          },
        };
      });
    case 'w5': {
      let received = 0;
      const receivers = Array.from(
        { length: RECEIVERS },
        () =>
          (_value: number): void =>
            void received++,
      );
      if (variant === 'subject') {
        return sends(subject, (n) => {
          received = 0;
          const subject$ = new Subject<number>();
          const subscriptions = receivers.map((fn) => subject$.subscribe(fn));
          for (let i = 0; i < n; i++) subject$.next(i);
          for (const s of subscriptions) s.unsubscribe();
          return received;
        });
      }
      if (variant === 'array') {
        return sends(subject, (n) => {
          received = 0;
          const list = receivers.slice();
          for (let i = 0; i < n; i++) for (let j = 0; j < list.length; j++) list[j]!(i);
          return received;
        });
      }
      // async-loop: an async send that calls each receiver and awaits it when it returns a promise
      return sends(subject, async (n) => {
        received = 0;
        const list: ((value: number) => unknown)[] = receivers.slice();
        const send = async (value: number): Promise<void> => {
          for (const fn of list) {
            const result = fn(value);
            if (result instanceof Promise) await result;
          }
        };
        for (let i = 0; i < n; i++) await send(i);
        return received;
      });
    }
    case 'w6':
      return timers(subject, (probe) => {
        const handles: ReturnType<typeof setTimeout>[] = [];
        if (variant === 'setInterval') {
          for (let i = 0; i < TIMERS; i++) {
            probe.armed(i);
            handles.push(setInterval(() => probe.fired(i), TIMER_PERIOD_MS));
          }
          return () => handles.forEach((h) => clearInterval(h));
        }
        // re-armed each time for the next slot of its ideal schedule (drift-corrected)
        for (let i = 0; i < TIMERS; i++) {
          probe.armed(i);
          const t0 = now();
          let slot = 0;
          const arm = (): void => {
            slot++;
            handles[i] = setTimeout(fire, Math.max(0, t0 + slot * TIMER_PERIOD_MS - now()));
          };
          const fire = (): void => {
            probe.fired(i);
            arm();
          };
          arm();
        }
        return () => handles.forEach((h) => clearTimeout(h));
      });
    case 'w8':
      return applicationBoot(subject, promiseGraph);
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}

await main(VARIANTS, run);
