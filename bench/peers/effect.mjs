// Effect (4.1.0) on the same workloads. A service is a scoped resource: `Effect.acquireRelease` of its
// state object in a Scope. Children are acquired into the parent's scope after the parent, so closing
// the scope releases them (last in, first out) before the parent. Start = run the tree into a fresh
// Scope; stop = `Scope.close`. `scope` starts children concurrently (one fiber each) and releases them
// in parallel from a forked child scope; `scope-seq` does both one at a time. W8 is a `Layer` graph:
// one `Layer.effect` per service, its prerequisites fed in with `Layer.provide`, all merged.
import {
  Context,
  Effect,
  Exit,
  Fiber,
  Layer,
  PubSub,
  Schedule,
  Scope,
  Stream,
  SubscriptionRef,
} from 'effect';
import { applicationBoot } from '../graph.ts';
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

const times = (n) => Array.from({ length: n }, (_, i) => i);

/** The effect that acquires one node and its subtree; `seen` collects every node's state object. */
function serviceTree(childrenAt, concurrent, seen, level = 0) {
  return Effect.gen(function* () {
    const self = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const node = { state: 'starting' };
        seen.push(node);
        return node;
      }),
      (node) =>
        Effect.sync(() => {
          node.state = 'stopped';
        }),
    );
    const n = childrenAt(level);
    if (n > 0) {
      const child = () => serviceTree(childrenAt, concurrent, seen, level + 1);
      if (concurrent) {
        const kids = yield* Scope.fork(yield* Effect.scope, 'parallel');
        yield* Effect.forEach(times(n), () => Scope.provide(child(), kids), {
          concurrency: 'unbounded',
          discard: true,
        });
      } else {
        yield* Effect.forEach(times(n), child, { discard: true });
      }
    }
    self.state = 'running';
    return self;
  });
}

function underTest(childrenAt, concurrent, expected) {
  const seen = [];
  let scope;
  const all = (state) => seen.length === expected && seen.every((node) => node.state === state);
  return {
    start: () => {
      scope = Effect.runSync(Scope.make());
      return Effect.runPromise(Scope.provide(serviceTree(childrenAt, concurrent, seen), scope));
    },
    stop: () => Effect.runPromise(Scope.close(scope, Exit.void)),
    allRunning: () => all('running'),
    allStopped: () => all('stopped'),
  };
}

/**
 * W8 `layer`: service i is `Layer.effect(key i, …)` that reads its prerequisites' keys and acquires
 * itself with `Effect.acquireRelease` (acquire sleeps the start time, release the stop time); its
 * prerequisites' layers (the same objects, so each is built once) are provided to it, and the
 * application is every layer merged. Start = `Layer.buildWithScope` into a fresh scope (whose
 * finalizers run as `strategy` says); stop = `Scope.close`.
 */
function layerGraph(graph, probe, strategy) {
  const keys = graph.map((_, i) => Context.Service(`s${i}`));
  const timed = (i, ms, began, ended) =>
    Effect.sync(() => began(i)).pipe(
      Effect.andThen(Effect.sleep(ms)),
      Effect.andThen(Effect.sync(() => ended(i))),
    );
  const layers = [];
  graph.forEach((s, i) => {
    const own = Layer.effect(
      keys[i],
      Effect.gen(function* () {
        for (const p of s.after) yield* keys[p];
        return yield* Effect.acquireRelease(
          timed(i, s.startMs, probe.startBegan, probe.startEnded).pipe(Effect.as({ index: i })),
          () => timed(i, s.stopMs, probe.stopBegan, probe.stopEnded),
        );
      }),
    );
    const needs = s.after.map((p) => layers[p]);
    layers[i] =
      needs.length === 0
        ? own
        : own.pipe(Layer.provide(needs.length === 1 ? needs[0] : Layer.mergeAll(...needs)));
  });
  const app = Layer.mergeAll(...layers);
  let scope;
  return {
    start: () => {
      scope = Effect.runSync(Scope.make(strategy));
      return Effect.runPromise(Layer.buildWithScope(app, scope));
    },
    stop: () => Effect.runPromise(Scope.close(scope, Exit.void)),
  };
}

const VARIANTS = {
  w1: ['scope', 'scope-seq'],
  w2: ['scope', 'scope-seq'],
  w3: ['scope', 'scope-seq'],
  w4: ['scope', 'ref'],
  w5: ['pubsub'],
  w6: ['fixed', 'spaced'],
  w8: ['layer', 'layer-parallel-scope'],
};

async function run(workload, variant) {
  const subject = { impl: 'effect', variant };
  const concurrent = variant === 'scope';
  switch (workload) {
    case 'w1':
      return lifecycle({ ...subject, workload, nodes: FLAT_CHILDREN + 1 }, () =>
        underTest((level) => (level === 0 ? FLAT_CHILDREN : 0), concurrent, FLAT_CHILDREN + 1),
      );
    case 'w2':
      return lifecycle({ ...subject, workload, nodes: TREE_NODES }, () =>
        underTest(fanOut, concurrent, TREE_NODES),
      );
    case 'w3':
      return churn(subject, async () => {
        const tree = underTest((level) => (level === 0 ? CHURN_CHILDREN : 0), concurrent, 4);
        await tree.start();
        if (!tree.allRunning()) throw new Error('not running');
        await tree.stop();
        if (!tree.allStopped()) throw new Error('not stopped');
      });
    case 'w4':
      // one closeable Scope per service. `scope`: the resource is a plain state object with one
      // listener; `ref`: the state is a SubscriptionRef observed by a fiber forked into the scope.
      return idle(subject, async (n) => {
        let delivered = 0;
        const plain = Effect.gen(function* () {
          const scope = yield* Scope.make();
          yield* Scope.provide(
            Effect.acquireRelease(
              Effect.sync(() => {
                const node = { state: 'running', listeners: [() => void delivered++] };
                for (const listener of node.listeners) listener(node.state);
                return node;
              }),
              (node) =>
                Effect.sync(() => {
                  node.state = 'stopped';
                }),
            ),
            scope,
          );
          return scope;
        });
        const observed = Effect.gen(function* () {
          const scope = yield* Scope.make();
          yield* Scope.provide(
            Effect.gen(function* () {
              const state = yield* Effect.acquireRelease(SubscriptionRef.make('starting'), (ref) =>
                SubscriptionRef.set(ref, 'stopped'),
              );
              yield* Effect.forkScoped(
                Stream.runForEach(SubscriptionRef.changes(state), () => Effect.sync(() => void delivered++)),
              );
              yield* SubscriptionRef.set(state, 'running');
            }),
            scope,
          );
          return scope;
        });
        const scopes = await Effect.runPromise(
          Effect.forEach(times(n), () => (variant === 'ref' ? observed : plain)),
        );
        await new Promise((resolve) => setImmediate(resolve)); // observer fibers reach their first wait
        return {
          delivered: () => delivered,
          stop: () =>
            Effect.runPromise(
              Effect.forEach(scopes, (scope) => Scope.close(scope, Exit.void), { discard: true }),
            ),
        };
      });
    case 'w5':
      // a PubSub with 10 subscriptions, each drained by its own fiber
      return sends(subject, (n) =>
        Effect.runPromise(
          Effect.scoped(
            Effect.gen(function* () {
              const hub = yield* PubSub.unbounded();
              let received = 0;
              const subscriptions = yield* Effect.forEach(times(RECEIVERS), () => PubSub.subscribe(hub));
              const readers = yield* Effect.forEach(subscriptions, (subscription) =>
                Effect.forkChild(
                  Effect.gen(function* () {
                    for (let i = 0; i < n; i++) {
                      yield* PubSub.take(subscription);
                      received++;
                    }
                  }),
                ),
              );
              for (let i = 0; i < n; i++) yield* PubSub.publish(hub, i);
              yield* Fiber.joinAll(readers);
              return received;
            }),
          ),
        ),
      );
    case 'w6':
      // Effect.repeat with Schedule.fixed or Schedule.spaced; the first run is immediate and arms the
      // ideal schedule of its timer
      return timers(subject, (probe) => {
        const schedule =
          variant === 'fixed'
            ? Schedule.fixed(`${TIMER_PERIOD_MS} millis`)
            : Schedule.spaced(`${TIMER_PERIOD_MS} millis`);
        const fibers = times(TIMERS).map((i) => {
          let first = true;
          const body = Effect.sync(() => {
            if (first) probe.armed(i);
            else probe.fired(i);
            first = false;
          });
          return Effect.runFork(Effect.repeat(body, schedule));
        });
        return () => Effect.runPromise(Fiber.interruptAll(fibers));
      });
    case 'w8':
      return applicationBoot(subject, (graph, probe) =>
        layerGraph(graph, probe, variant === 'layer' ? 'sequential' : 'parallel'),
      );
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}

await main(VARIANTS, run);
