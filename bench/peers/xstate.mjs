// XState (5.33.3) on the same workloads. A service is an actor of a small machine (starting → running,
// then stopped with the actor). A parent spawns its children on entering `starting`; each child tells
// its parent when it runs, and the parent moves to `running` once all of them did. Stop = the root
// actor's stop(), which stops the children first. W7 monitors the tree with the `inspect` option.
import { assign, createActor, emit, enqueueActions, setup, waitFor } from 'xstate';
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
  sends,
  timers,
} from '../harness.ts';

const service = setup({
  actions: {
    spawnChildren: enqueueActions(({ context, enqueue }) => {
      for (let i = 0; i < context.expected; i++) {
        enqueue.spawnChild(service, {
          id: `child-${i}`,
          input: { level: context.level + 1, childrenAt: context.childrenAt },
        });
      }
    }),
    tellParent: enqueueActions(({ context, enqueue }) => {
      if (context.level > 0) enqueue.sendParent({ type: 'child.running' });
    }),
    countChild: assign({ running: ({ context }) => context.running + 1 }),
  },
  guards: { allChildrenRunning: ({ context }) => context.running === context.expected },
}).createMachine({
  context: ({ input }) => ({
    level: input.level,
    childrenAt: input.childrenAt,
    expected: input.childrenAt(input.level),
    running: 0,
  }),
  initial: 'starting',
  states: {
    starting: {
      entry: 'spawnChildren',
      on: { 'child.running': { actions: 'countChild' } },
      always: { guard: 'allChildrenRunning', target: 'running' },
    },
    running: { entry: 'tellParent' },
  },
});

/** Every actor of the tree under `root`, depth first. */
const actorsOf = (root) => {
  const all = [];
  const stack = [root];
  for (let actor = stack.pop(); actor; actor = stack.pop()) {
    all.push(actor);
    for (const child of Object.values(actor.getSnapshot().children)) stack.push(child);
  }
  return all;
};

function underTest(childrenAt, expected, inspect) {
  let root;
  let all = [];
  return {
    start: async () => {
      root = createActor(service, { input: { level: 0, childrenAt }, inspect }).start();
      await waitFor(root, (snapshot) => snapshot.value === 'running');
      all = actorsOf(root);
    },
    stop: () => root.stop(),
    allRunning: () => all.length === expected && all.every((a) => a.getSnapshot().value === 'running'),
    allStopped: () => all.length === expected && all.every((a) => a.getSnapshot().status === 'stopped'),
  };
}

const pinger = setup({}).createMachine({
  on: { ping: { actions: emit(({ event }) => ({ type: 'pong', value: event.value })) } },
});
const ticker = setup({
  actions: { tick: ({ context }) => context.fired(context.i) },
}).createMachine({
  context: ({ input }) => input,
  initial: 'waiting',
  states: {
    waiting: { after: { [TIMER_PERIOD_MS]: { target: 'waiting', reenter: true, actions: 'tick' } } },
  },
});

const VARIANTS = {
  w1: ['actor'],
  w2: ['actor'],
  w3: ['actor'],
  w4: ['actor'],
  w5: ['emit'],
  w6: ['after'],
  w7: ['inspect'],
};

async function run(workload, variant) {
  const subject = { impl: 'xstate', variant };
  switch (workload) {
    case 'w1':
      return lifecycle({ ...subject, workload, nodes: FLAT_CHILDREN + 1 }, () =>
        underTest((level) => (level === 0 ? FLAT_CHILDREN : 0), FLAT_CHILDREN + 1),
      );
    case 'w2':
      return lifecycle({ ...subject, workload, nodes: TREE_NODES }, () => underTest(fanOut, TREE_NODES));
    case 'w7':
      return lifecycle({ ...subject, workload, nodes: TREE_NODES }, () => {
        let seen = 0;
        const tree = underTest(fanOut, TREE_NODES, () => void seen++);
        return { ...tree, extra: () => ({ eventsSeen: seen }) };
      });
    case 'w3':
      return churn(subject, async () => {
        const tree = underTest((level) => (level === 0 ? CHURN_CHILDREN : 0), 4);
        await tree.start();
        if (!tree.allRunning()) throw new Error('not running');
        tree.stop();
        if (!tree.allStopped()) throw new Error('not stopped');
      });
    case 'w4':
      // one root actor per service, observed with actor.subscribe()
      return idle(subject, async (n) => {
        let delivered = 0;
        const actors = new Array(n);
        const handles = new Array(n);
        for (let i = 0; i < n; i++) {
          const actor = createActor(service, { input: { level: 0, childrenAt: () => 0 } });
          handles[i] = actor.subscribe(() => void delivered++);
          actors[i] = actor.start();
        }
        return {
          delivered: () => delivered,
          stop: () => {
            for (let i = 0; i < n; i++) {
              actors[i].stop();
              handles[i].unsubscribe();
            }
          },
        };
      });
    case 'w5':
      // an actor whose `ping` event emits `pong`; 10 listeners through actor.on()
      return sends(subject, (n) => {
        let received = 0;
        const actor = createActor(pinger).start();
        for (let j = 0; j < RECEIVERS; j++) actor.on('pong', () => void received++);
        for (let i = 0; i < n; i++) actor.send({ type: 'ping', value: i });
        actor.stop();
        return received;
      });
    case 'w6':
      // delayed transitions: each actor re-enters its state every period
      return timers(subject, (probe) => {
        const actors = [];
        for (let i = 0; i < TIMERS; i++) {
          probe.armed(i);
          actors.push(createActor(ticker, { input: { i, fired: probe.fired } }).start());
        }
        return () => actors.forEach((actor) => actor.stop());
      });
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}

await main(VARIANTS, run);
