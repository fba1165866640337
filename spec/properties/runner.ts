/**
 * Runs one fuzz scenario: builds the tree, applies the steps, checks the invariants after each
 * step and after a final `root.stop()`, and returns the violations with a trace of what was done
 * (the input of the code generator).
 */
import type { Service } from '../../lib/index.js';
import { createDriver, type Driver } from './clocks.js';
import { Checker, describe, isRemoveGuard, isUnder } from './invariants.js';
import type { CallName, Mode, NodeSpec, Op, Scenario, Violation } from './model.js';
import { FuzzService, type FuzzEnv } from './services.js';

/** What a step actually did, with services named by label (`s0` is the root). */
export type Action =
  | { kind: 'call'; call: CallName; svc: string }
  | { kind: 'crash'; svc: string }
  | { kind: 'addRuntime'; parent: string; child: string; node: NodeSpec; after: string[] }
  /** `guarded`: a remaining sibling names the child in `after`, so the call must reject. */
  | { kind: 'remove'; parent: string; child: string; guarded: boolean }
  | { kind: 'startStop'; svc: string }
  | { kind: 'stopDuringStart'; svc: string; after: number }
  | { kind: 'release' }
  | { kind: 'skip'; why: string };

export interface TraceStep {
  action: Action;
  wait: number;
}

export interface RunResult {
  violations: Violation[];
  trace: TraceStep[];
}

/** Extra virtual/real time a final stop may take beyond the root's stopTimeout. */
const FINAL_SLACK = { virtual: 1, real: 100 } as const;
/** Time given to in-flight operations before the final stop, and after it. */
const SETTLE_BEFORE = { virtual: 200, real: 100 } as const;
const SETTLE_AFTER = { virtual: 2000, real: 300 } as const;
/** Real runs cap each step's wait to keep the suite short. */
const REAL_WAIT_CAP = 40;

interface InFlight {
  label: string;
  settled: boolean;
  /** Settles (never rejects) when the operation settled. */
  done: Promise<unknown>;
}

/** Runs `scenario` in `mode` and reports what broke. */
export async function runScenario(scenario: Scenario, mode: Mode): Promise<RunResult> {
  const driver: Driver & { thrown?: unknown[] } = createDriver(mode);
  const injected = new Set<unknown>();
  let gates: (() => void)[] = [];
  const env: FuzzEnv = {
    scheduler: driver.scheduler,
    after: (ms, fn) => driver.after(ms, fn),
    inject: (label) => {
      const error = new Error(label);
      injected.add(error);
      return error;
    },
    gate: () => new Promise<void>((resolve) => gates.push(resolve)),
  };
  const release = (): void => {
    const open = gates;
    gates = [];
    for (const resolve of open) resolve();
  };
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);

  const { nodes, parents } = scenario.tree;
  const services: FuzzService[] = [];
  const labels = new Map<Service<any>, string>();
  /** Set right after the root exists; services created later are watched from birth. */
  const watching: { checker?: Checker } = {};
  const modes = (node: NodeSpec): Pick<NodeSpec, 'startConcurrency' | 'stopConcurrency'> => ({
    startConcurrency: node.startConcurrency,
    stopConcurrency: node.stopConcurrency,
  });
  const create = (node: NodeSpec): FuzzService => {
    const label = `s${services.length}`;
    const service = new FuzzService(env, label, node);
    services.push(service);
    labels.set(service, label);
    watching.checker?.watch(service, label, modes(node));
    return service;
  };
  const root = create(nodes[0]!);
  const checker = new Checker(root, injected);
  watching.checker = checker;
  checker.watch(root, 's0', modes(nodes[0]!));
  for (let i = 1; i < nodes.length; i++) {
    const after = (scenario.tree.after[i - 1] ?? []).map((j) => services[j]!);
    const child = create(nodes[i]!);
    services[parents[i - 1]!]!.addDependency(child, after.length > 0 ? { after } : undefined);
    checker.declare(child, after);
  }

  const inFlight: InFlight[] = [];
  /** `targets`: services the operation starts or stops directly (not through their parent). */
  const track = (
    label: string,
    promise: Promise<unknown>,
    targets: readonly Service<any>[],
    onRejection = (error: unknown): void => checker.checkRejection(label, error),
  ): Promise<unknown> => {
    const entry: InFlight = { label, settled: false, done: Promise.resolve() };
    inFlight.push(entry);
    const settled = (): void => {
      entry.settled = true;
      for (const target of targets) checker.direct(target, -1);
    };
    return (entry.done = promise.then(settled, (error: unknown) => {
      settled();
      onRejection(error);
    }));
  };
  const attempt = (
    label: string,
    call: () => Promise<unknown>,
    targets: readonly Service<any>[],
  ): Promise<unknown> => {
    for (const target of targets) checker.direct(target, 1);
    try {
      return track(label, call(), targets);
    } catch (error) {
      for (const target of targets) checker.direct(target, -1);
      checker.checkRejection(`${label} (thrown)`, error);
      return Promise.resolve();
    }
  };
  const stillInFlight = (): InFlight[] => inFlight.filter((f) => !f.settled);
  const waitFor = (promises: Promise<unknown>[], ms: number): Promise<boolean> =>
    driver.settle(promises, mode === 'real' ? Math.min(ms, REAL_WAIT_CAP) : ms);

  const trace: TraceStep[] = [];
  const name = (s: Service<any>): string => labels.get(s) ?? s.path;
  const canStart = (s: Service<any>): boolean => s === root || s.parent?.state === 'running';

  const apply = async (op: Op): Promise<{ action: Action; promises: Promise<unknown>[] }> => {
    if (op.op === 'release') {
      release();
      return { action: { kind: 'release' }, promises: [] };
    }
    if (op.op === 'sleep') return { action: { kind: 'skip', why: 'sleep' }, promises: [] };
    const alive = services.filter((s) => isUnder(s, root));
    const svc = alive[op.target % alive.length]!;
    const label = name(svc);
    switch (op.op) {
      case 'call': {
        if (op.call !== 'stop' && !canStart(svc)) {
          return {
            action: { kind: 'skip', why: `${op.call} ${label}: its parent is not running` },
            promises: [],
          };
        }
        return {
          action: { kind: 'call', call: op.call, svc: label },
          promises: [attempt(`${label}.${op.call}()`, () => svc[op.call](), [svc])],
        };
      }
      case 'crash':
        svc.crash(env.inject(`${label} crashed by the scenario`));
        return { action: { kind: 'crash', svc: label }, promises: [] };
      case 'addRuntime': {
        const siblings = svc.children;
        const after =
          siblings.length === 0
            ? []
            : [...new Set(op.after.map((pick) => siblings[pick % siblings.length]!))];
        const child = create(op.node);
        const childLabel = name(child);
        const call = `${label}.addRuntimeDependency(${childLabel}${after.length > 0 ? `, { after: [${after.map(name).join(', ')}] }` : ''})`;
        const promise = attempt(
          call,
          () => svc.addRuntimeDependency(child, after.length > 0 ? { after } : undefined),
          [child],
        );
        // added synchronously, or not at all (a stopping parent rejects)
        if (child.parent === svc) checker.declare(child, after);
        return {
          action: {
            kind: 'addRuntime',
            parent: label,
            child: childLabel,
            node: op.node,
            after: after.map(name),
          },
          promises: [promise],
        };
      }
      case 'remove': {
        if (svc.children.length === 0)
          return { action: { kind: 'skip', why: `${label} has no child` }, promises: [] };
        const child = svc.children[op.child % svc.children.length]!;
        const call = `${label}.removeDependency(${name(child)})`;
        const dependents = svc.children.filter((s) => checker.prerequisitesOf(s).includes(child));
        const action: Action = {
          kind: 'remove',
          parent: label,
          child: name(child),
          guarded: dependents.length > 0,
        };
        if (dependents.length === 0) {
          const removed = (): Promise<unknown> =>
            svc.removeDependency(child).catch((error: unknown) => {
              if (isRemoveGuard(error))
                checker.report(
                  'remove-dependency-guard',
                  `${call} rejected although no sibling names ${name(child)}: ${describe(error)}`,
                );
              throw error;
            });
          return { action, promises: [attempt(call, removed, [child])] };
        }
        // a remaining sibling names the child: rejects with InvalidStateError and changes nothing
        const why = `${dependents.map(name).join(', ')} name(s) ${name(child)} in after`;
        const before = child.state;
        const broken = (what: string): void =>
          checker.report('remove-dependency-guard', `${call} (${why}) ${what}`);
        const promise = svc.removeDependency(child);
        if (child.parent !== svc) broken('detached the child');
        if (child.state !== before) broken(`moved the child from ${before} to ${child.state}`);
        const settled = track(
          call,
          promise.then(() => broken('resolved')),
          [],
          (error) => {
            if (!isRemoveGuard(error))
              broken(`rejected with ${describe(error)}, not InvalidStateError (removeDependency)`);
            if (child.parent !== svc) broken('rejected but detached the child');
          },
        );
        return { action, promises: [settled] };
      }
      case 'startStop': {
        if (!canStart(svc))
          return { action: { kind: 'skip', why: `start ${label}: parent not running` }, promises: [] };
        const started = attempt(`${label}.start()`, () => svc.start(), [svc]);
        const stopped = attempt(`${label}.stop()`, () => svc.stop(), [svc]);
        return { action: { kind: 'startStop', svc: label }, promises: [started, stopped] };
      }
      case 'stopDuringStart': {
        if (!canStart(svc))
          return { action: { kind: 'skip', why: `start ${label}: parent not running` }, promises: [] };
        const started = attempt(`${label}.start()`, () => svc.start(), [svc]);
        await waitFor([started], op.after);
        const stopped = attempt(`${label}.stop()`, () => svc.stop(), [svc]);
        return {
          action: { kind: 'stopDuringStart', svc: label, after: op.after },
          promises: [started, stopped],
        };
      }
    }
  };

  /** No operation in flight, nothing starting or stopping, every crash teardown finished. */
  const quiescent = async (): Promise<boolean> => {
    if (stillInFlight().length > 0) return false;
    const tree = services.filter((s) => isUnder(s, root));
    if (tree.some((s) => s.state === 'starting' || s.state === 'stopping')) return false;
    let tornDown = 0;
    const crashed = tree.filter((s) => s.state === 'crashed');
    for (const s of crashed) void s.waitUntilStopped().then(() => void tornDown++);
    await driver.flush();
    await driver.flush();
    return tornDown === crashed.length;
  };

  try {
    for (let i = 0; i < scenario.ops.length; i++) {
      const op = scenario.ops[i]!;
      checker.step = i;
      const { action, promises } = await apply(op);
      await waitFor(promises, op.wait);
      trace.push({ action, wait: op.wait });
      checker.checkEvents();
      checker.checkSnapshot();
      if (await quiescent()) checker.checkQuiescent();
    }

    // the end: let work in flight finish, stop the root within its budget, check the remains
    checker.step = scenario.ops.length;
    release();
    await settleInFlight(driver, inFlight, SETTLE_BEFORE[mode]);
    const budget = (nodes[0]!.stopTimeout ?? 60_000) + FINAL_SLACK[mode];
    const t0 = driver.now();
    const stopped = attempt('final s0.stop()', () => root.stop(), [root]);
    if (!(await driver.settle([stopped], budget))) {
      checker.report(
        'final-stop-bounded',
        `root.stop() still pending after ${driver.now() - t0} ms (stopTimeout ${nodes[0]!.stopTimeout} ms)`,
      );
    }
    checker.checkFinal();
    release();
    const left = await settleInFlight(driver, inFlight, SETTLE_AFTER[mode]);
    if (left.length > 0) {
      checker.report(
        'operations-settle',
        `still pending after the final stop: ${left.map((f) => f.label).join(', ')}`,
      );
    }
    checker.checkEvents();
    checker.checkSnapshot();
    const everythingIdle = services.every((s) => ['init', 'stopped', 'crashed'].includes(s.state));
    if (everythingIdle && (await quiescent())) {
      checker.checkQuiescent();
      const timers = driver.libraryTimers();
      if (timers > 0)
        checker.report('no-timers-left', `${timers} library timer(s) still active after the final stop`);
    }
    for (const error of driver.thrown ?? []) checker.report('scheduler-action-threw', describe(error));
    await driver.flush();
    for (const reason of unhandled) checker.report('no-unhandled-rejection', describe(reason));
  } finally {
    process.off('unhandledRejection', onUnhandled);
    checker.dispose();
    release();
  }
  return { violations: checker.violations, trace };
}

async function settleInFlight(driver: Driver, inFlight: InFlight[], ms: number): Promise<InFlight[]> {
  const open = inFlight.filter((f) => !f.settled);
  await driver.settle(
    open.map((f) => f.done),
    ms,
  );
  return inFlight.filter((f) => !f.settled);
}
