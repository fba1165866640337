/**
 * fast-check generators of fuzz scenarios: random trees (1-30 services, depth at most 5) with random
 * concurrency, timeouts, hook behaviours and work, edges between siblings (`after`, API.md section
 * 3.6), and random operation sequences on any node.
 */
import fc from 'fast-check';
import type { HookSpec, NodeSpec, Op, RunSpec, Scenario, TreeSpec, WorkSpec } from './model.js';
import { HOOKS } from './model.js';

/** Deepest level below the root (the root is level 0), so at most five levels in all. */
export const MAX_LEVEL = 4;

const hookSpec: fc.Arbitrary<HookSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'sync' as const }) },
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('delay' as const), ms: fc.integer({ min: 1, max: 8 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'throw' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('rejectLater' as const), ms: fc.integer({ min: 1, max: 8 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'hangSignal' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'hangRelease' as const }) },
);

const hooks = fc
  .array(fc.tuple(fc.constantFrom(...HOOKS), hookSpec), { maxLength: 4 })
  .map((pairs) => Object.fromEntries(pairs) as NodeSpec['hooks']);

const workSpec: fc.Arbitrary<WorkSpec> = fc.oneof(
  fc.record(
    {
      kind: fc.constant('task' as const),
      shape: fc.constantFrom('promise' as const, 'observable' as const),
      drain: fc.boolean(),
      failAfter: fc.integer({ min: 1, max: 40 }),
      ms: fc.integer({ min: 1, max: 8 }),
    },
    { requiredKeys: ['kind', 'shape', 'drain', 'ms'] },
  ),
  fc.record({
    kind: fc.constant('timer' as const),
    interval: fc.integer({ min: 3, max: 30 }),
    body: fc.constantFrom(
      'sync' as const,
      'sync' as const,
      'slow' as const,
      'slow' as const,
      'throw' as const,
    ),
    ms: fc.integer({ min: 1, max: 40 }),
  }),
);

const runSpec: fc.Arbitrary<RunSpec> = fc.record(
  {
    shape: fc.constantFrom('async' as const, 'observable' as const, 'generator' as const),
    ms: fc.integer({ min: 1, max: 10 }),
    failAfter: fc.integer({ min: 1, max: 60 }),
    rejectOnAbort: fc.boolean(),
  },
  { requiredKeys: ['shape', 'ms', 'rejectOnAbort'] },
);

/** One service; `isRoot` always gets a stopTimeout so every stop of the tree is bounded. */
export const nodeSpec = (isRoot: boolean): fc.Arbitrary<NodeSpec> =>
  fc
    .record(
      {
        startConcurrency: fc.constantFrom('sequential' as const, 'parallel' as const),
        stopConcurrency: fc.constantFrom('sequential' as const, 'parallel' as const),
        startTimeout: fc.integer({ min: 20, max: 200 }),
        stopTimeout: fc.integer({ min: 20, max: 200 }),
        hooks,
        work: fc.array(workSpec, { maxLength: 2 }),
        run: runSpec,
      },
      {
        requiredKeys: isRoot
          ? ['startConcurrency', 'stopConcurrency', 'stopTimeout', 'hooks', 'work']
          : ['startConcurrency', 'stopConcurrency', 'hooks', 'work'],
      },
    )
    .map((node) => node as NodeSpec);

/** Level of node `i` given the parents so far. */
function levelOf(parents: number[], i: number): number {
  let level = 0;
  for (let n = i; n > 0; n = parents[n - 1]!) level++;
  return level;
}

/** Turns raw parent picks into a tree no deeper than {@link MAX_LEVEL}. */
export function shapeParents(raw: number[]): number[] {
  const parents: number[] = [];
  raw.forEach((pick, k) => {
    let parent = pick % (k + 1);
    while (levelOf(parents, parent) >= MAX_LEVEL) parent = parents[parent - 1]!;
    parents.push(parent);
  });
  return parents;
}

/** Raw picks of prerequisites for one node: 0-3 of its earlier siblings (see {@link shapeAfter}). */
const afterPicks = fc.array(fc.nat(), { maxLength: 3 });

/**
 * Turns raw picks into `after` lists: node `i` names earlier siblings only (so the graph is acyclic
 * and every prerequisite is a child already when node `i` is added), without duplicates.
 */
export function shapeAfter(parents: readonly number[], picks: readonly number[][]): number[][] {
  return picks.map((raw, k) => {
    const earlier: number[] = [];
    for (let j = 1; j <= k; j++) if (parents[j - 1] === parents[k]) earlier.push(j);
    if (earlier.length === 0) return [];
    return [...new Set(raw.map((pick) => earlier[pick % earlier.length]!))];
  });
}

/**
 * A node whose children have edges takes the parallel modes more often (where the edges matter):
 * a bias of 1-3 (three times in four) overrides its own pick with `'parallel'`.
 */
interface Bias {
  start: number;
  stop: number;
}
const bias: fc.Arbitrary<Bias> = fc.record({ start: fc.nat({ max: 3 }), stop: fc.nat({ max: 3 }) });

function biased(node: NodeSpec, b: Bias, hasEdges: boolean): NodeSpec {
  if (!hasEdges || (b.start === 0 && b.stop === 0)) return node;
  return {
    ...node,
    ...(b.start === 0 ? {} : { startConcurrency: 'parallel' as const }),
    ...(b.stop === 0 ? {} : { stopConcurrency: 'parallel' as const }),
  };
}

export const treeSpec: fc.Arbitrary<TreeSpec> = fc
  .tuple(
    nodeSpec(true),
    bias,
    fc.array(fc.tuple(nodeSpec(false), fc.nat(), afterPicks, bias), { maxLength: 29, size: 'medium' }),
  )
  .map(([root, rootBias, rest]) => {
    const parents = shapeParents(rest.map(([, pick]) => pick));
    const after = shapeAfter(
      parents,
      rest.map(([, , picks]) => picks),
    );
    const withEdges = new Set(parents.filter((_, k) => after[k]!.length > 0));
    const biases = [rootBias, ...rest.map(([, , , b]) => b)];
    const nodes = [root, ...rest.map(([node]) => node)].map((node, i) =>
      biased(node, biases[i]!, withEdges.has(i)),
    );
    return { nodes, parents, after };
  });

const target = fc.nat({ max: 40 });
const wait = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 10, max: 300 }));

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('call' as const),
      call: fc.constantFrom('start' as const, 'stop' as const, 'restart' as const, 'maybeStart' as const),
      target,
      wait,
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('crash' as const), target, wait }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('addRuntime' as const),
      target,
      node: nodeSpec(false),
      after: afterPicks,
      wait,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('remove' as const), target, child: fc.nat({ max: 5 }), wait }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('startStop' as const), target, wait }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('stopDuringStart' as const),
      target,
      after: fc.integer({ min: 0, max: 10 }),
      wait,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('release' as const), wait }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('sleep' as const), wait }) },
);

/** A scenario: a tree and up to 12 steps, always beginning with a start of the root. */
export const scenario: fc.Arbitrary<Scenario> = fc.record({
  tree: treeSpec,
  ops: fc
    .array(op, { maxLength: 12 })
    .map((ops): Op[] => [{ op: 'call', call: 'start', target: 0, wait: 20 }, ...ops]),
});
