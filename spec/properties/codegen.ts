/**
 * Turns a failing fuzz scenario into TypeScript a developer can paste into a regression spec: one
 * class per service with its hook behaviours and work, the tree with its edges between siblings
 * (`after`), the steps (virtual time) and the checks of the invariants it broke.
 */
import type { HookSpec, NodeSpec, RunSpec, Scenario, Violation, WorkSpec } from './model.js';
import type { Action, TraceStep } from './runner.js';

const cls = (label: string): string => `S${label.slice(1)}`;

function hookCode(hook: string, spec: HookSpec, label: string): string {
  const body = {
    sync: `return undefined;`,
    delay: `return after(${'ms' in spec ? spec.ms : 0});`,
    throw: `throw fail('${label}.${hook} threw');`,
    rejectLater: `const error = fail('${label}.${hook} rejected');\n      return after(${'ms' in spec ? spec.ms : 0}).then(() => Promise.reject(error));`,
    hangSignal: `return untilAborted(this.signal);`,
    hangRelease: `return gate();`,
  }[spec.kind];
  return `    protected override ${hook}(): any {\n      ${body}\n    }\n`;
}

function workCode(work: WorkSpec, label: string): string {
  if (work.kind === 'timer') {
    const body = {
      sync: '() => {}',
      slow: `() => after(${work.ms})`,
      throw: `() => {\n        throw fail('${label} timer threw');\n      }`,
    }[work.body];
    return `      this.addTimer(${work.interval}, ${body});\n`;
  }
  const failing =
    work.failAfter === undefined ? '' : ` (fails after ${work.failAfter} ms with an injected error)`;
  if (work.shape === 'observable') {
    const fail =
      work.failAfter === undefined
        ? ''
        : `\n          const failing = scheduler.schedule(() => subscriber.error(fail('${label} task failed')), ${work.failAfter});`;
    return (
      `      // an Observable task${failing}\n` +
      `      this.addTask(\n        () =>\n          new Observable<number>((subscriber) => {\n` +
      `          const tick = scheduler.schedule(() => subscriber.next(1), ${work.ms});${fail}\n` +
      `          return () => {\n            tick.unsubscribe();${work.failAfter === undefined ? '' : '\n            failing.unsubscribe();'}\n          };\n        }),\n` +
      `        { drain: ${work.drain} },\n      );\n`
    );
  }
  const fail =
    work.failAfter === undefined
      ? ''
      : `\n            const failing = scheduler.schedule(() => reject(fail('${label} task failed')), ${work.failAfter});`;
  return (
    `      // a Promise task that ends when the signal aborts${work.drain ? ` (draining for ${work.ms} ms)` : ''}${failing}\n` +
    `      this.addTask(\n        (signal) =>\n          new Promise<void>((resolve${work.failAfter === undefined ? '' : ', reject'}) => {${fail}\n` +
    `            void untilAborted(signal).then(() => {${work.failAfter === undefined ? '' : '\n              failing.unsubscribe();'}\n` +
    `              ${work.drain ? `scheduler.schedule(() => resolve(), ${work.ms});` : 'resolve();'}\n            });\n          }),\n` +
    `        { drain: ${work.drain} },\n      );\n`
  );
}

function runCode(run: RunSpec, label: string): string {
  const failAt =
    run.failAfter === undefined ? '' : `    const failAt = this.scheduler.now() + ${run.failAfter};\n`;
  const check =
    run.failAfter === undefined
      ? ''
      : `      if (this.scheduler.now() >= failAt) throw fail('${label}.run failed');\n`;
  const onAbort = run.rejectOnAbort ? `    throw signal.reason; // rejects because the signal aborted\n` : '';
  if (run.shape === 'observable') {
    const failing =
      run.failAfter === undefined
        ? ''
        : `\n        if (scheduler.now() >= failAt) return subscriber.error(fail('${label}.run failed'));`;
    return (
      `  protected override run(): Observable<number> {\n${failAt.replace(/^ {4}/, '    ')}` +
      `    return new Observable<number>((subscriber) => {\n      let n = 0;\n      let tick: Subscription | undefined;\n` +
      `      const next = (): void => {\n        tick = scheduler.schedule(() => {${failing}\n          subscriber.next(n++);\n          next();\n        }, ${run.ms});\n      };\n` +
      `      next();\n      return () => tick?.unsubscribe();\n    });\n  }\n`
    );
  }
  if (run.shape === 'generator') {
    return (
      `  protected override async *run(signal: AbortSignal): AsyncGenerator<number> {\n${failAt}` +
      `    for (let n = 0; !signal.aborted; n++) {\n${check}      yield n;\n      await this.sleep(${run.ms});\n    }\n${onAbort}  }\n`
    );
  }
  return (
    `  protected override async run(signal: AbortSignal): Promise<void> {\n${failAt}` +
    `    while (!signal.aborted) {\n${check}      await this.sleep(${run.ms});\n    }\n${onAbort}  }\n`
  );
}

function classCode(label: string, node: NodeSpec): string {
  const options = [
    `name: '${label}'`,
    'scheduler',
    ...(node.startConcurrency === 'parallel' ? [`startConcurrency: 'parallel'`] : []),
    ...(node.stopConcurrency === 'parallel' ? [`stopConcurrency: 'parallel'`] : []),
    ...(node.startTimeout === undefined ? [] : [`startTimeout: ${node.startTimeout}`]),
    ...(node.stopTimeout === undefined ? [] : [`stopTimeout: ${node.stopTimeout}`]),
  ];
  const hooks = Object.entries(node.hooks)
    .map(([hook, spec]) => hookCode(hook, spec, label).replace(/^ {2}/gm, ''))
    .join('');
  const work = node.work.map((w) => workCode(w, label)).join('');
  const body =
    `  constructor() {\n    super({ ${options.join(', ')} });\n${work.replace(/^ {2}/gm, '')}  }\n` +
    hooks +
    (node.run ? runCode(node.run, label) : '');
  return `    class ${cls(label)} extends Service<number> {\n${body.replace(/^(?=.)/gm, '    ')}    }\n`;
}

/** `{ after: [s1, s2] }`, or nothing when the list is empty. */
const afterOption = (after: readonly string[]): string =>
  after.length === 0 ? '' : `, { after: [${after.join(', ')}] }`;

function actionCode(action: Action, index: number): { code: string; promises: string[] } {
  const p = `p${index}`;
  switch (action.kind) {
    case 'call':
      return {
        code: `const ${p} = call([${action.svc}], () => ${action.svc}.${action.call}());`,
        promises: [p],
      };
    case 'crash':
      return { code: `${action.svc}.crash(fail('${action.svc} crashed by the scenario'));`, promises: [] };
    case 'addRuntime': {
      const declare =
        action.after.length === 0
          ? ''
          : `\n    if (${action.child}.parent === ${action.parent}) edges.set(${action.child}, [${action.after.join(', ')}]);`;
      return {
        code: `const ${action.child} = new ${cls(action.child)}();\n    all.push(${action.child});\n    watch(${action.child});\n    const ${p} = call([${action.child}], () => ${action.parent}.addRuntimeDependency(${action.child}${afterOption(action.after)}));${declare}`,
        promises: [p],
      };
    }
    case 'remove':
      return action.guarded
        ? {
            code: `// a sibling names ${action.child} in after: rejects with InvalidStateError, changes nothing\n    const ${p} = guarded(${action.parent}, ${action.child});`,
            promises: [p],
          }
        : {
            code: `const ${p} = call([${action.child}], () => ${action.parent}.removeDependency(${action.child}));`,
            promises: [p],
          };
    case 'startStop':
      return {
        code: `const ${p}a = call([${action.svc}], () => ${action.svc}.start());\n    const ${p}b = call([${action.svc}], () => ${action.svc}.stop());`,
        promises: [`${p}a`, `${p}b`],
      };
    case 'stopDuringStart':
      return {
        code: `const ${p}a = call([${action.svc}], () => ${action.svc}.start());\n    await settle([${p}a], ${action.after});\n    const ${p}b = call([${action.svc}], () => ${action.svc}.stop());`,
        promises: [`${p}a`, `${p}b`],
      };
    case 'release':
      return { code: 'release();', promises: [] };
    case 'skip':
      return { code: `// (skipped: ${action.why})`, promises: [] };
  }
}

const CHECKS: Record<string, string> = {
  'transition-table': `    expect(illegal, 'transitions outside API.md section 2').to.deep.equal([]);`,
  'events-match-state': `    for (const s of all) expect(reported.get(s) ?? [], s.name).to.deep.equal(seen.get(s) ?? []);`,
  'rejections-are-documented': `    expect(rejections.filter((e) => !documented(e)), 'rejections that are neither injected nor ServiceErrors').to.deep.equal([]);`,
  'final-stop-bounded': `    expect(finalStopSettled, 'root.stop() settled within stopTimeout').to.equal(true);`,
  'final-stop-stops-everything': `    for (const s of inTree()) expect(['stopped', 'crashed', 'init'], s.name).to.include(s.state);`,
  'no-orphans': `    for (const s of all.filter((x) => !inTree().includes(x))) expect(['running', 'starting', 'stopping'], s.name).not.to.include(s.state);`,
  'no-child-runs-under-idle-parent': `    for (const s of inTree()) if (s.parent && ['stopped', 'crashed', 'init'].includes(s.parent.state)) expect(['running', 'starting'], s.name).not.to.include(s.state);`,
  'operations-settle': `    expect(await settle(operations, 2000), 'every operation settled after the final stop').to.equal(true);`,
  'no-timers-left': `    expect(clock.pending, 'timers left after the final stop').to.equal(0);`,
  'state-equals-state$': `    for (const s of all) expect(s.state, s.name).to.equal(s.state$.value);`,
  'start-after-prerequisites': `    expect(startedEarly, 'children the parent started before their prerequisites ran').to.deep.equal([]);`,
  'stop-after-dependents': `    expect(stoppedEarly, 'children a parallel stop stopped before their dependents').to.deep.equal([]);`,
  'snapshot-after': `    expect(snapshotBroken, 'toJSON().after against the declared prerequisites').to.deep.equal([]);`,
  'remove-dependency-guard': `    expect([...guardBroken, ...rejections.filter(isGuard).map(String)], 'removeDependency of a named prerequisite').to.deep.equal([]);`,
};

/** TypeScript for a regression spec reproducing `scenario` (as run in virtual time) and its checks. */
export function toRegressionSpec(
  scenario: Scenario,
  trace: readonly TraceStep[],
  violations: readonly Violation[],
  origin: string,
): string {
  const { nodes, parents, after } = scenario.tree;
  const runtime = trace.flatMap((t) => (t.action.kind === 'addRuntime' ? [t.action] : []));
  const classes = [
    ...nodes.map((node, i) => classCode(`s${i}`, node)),
    ...runtime.map((a) => classCode(a.child, a.node)),
  ].join('\n');
  const tree = nodes
    .map((_, i) =>
      i === 0
        ? `    const s0 = new S0();`
        : `    const s${i} = s${parents[i - 1]}.addDependency(new S${i}()${afterOption((after[i - 1] ?? []).map((j) => `s${j}`))});`,
    )
    .join('\n');
  const edges = after
    .flatMap((list, k) =>
      list.length === 0 ? [] : [`[s${k + 1}, [${list.map((j) => `s${j}`).join(', ')}]]`],
    )
    .join(', ');
  const steps = trace
    .map((t, i) => {
      const { code, promises } = actionCode(t.action, i);
      return `    ${code}\n    await settle([${promises.join(', ')}], ${t.wait});\n    checkSnapshot();`;
    })
    .join('\n');
  const broken = [...new Set(violations.map((v) => v.invariant))];
  const checks = broken.map((b) => CHECKS[b] ?? `    // ${b}: see the fuzz report`).join('\n');
  const title = violations[0] ? violations[0].detail.replace(/'/g, '"') : 'keeps the lifecycle invariants';
  return `// Found by the lifecycle fuzz (${origin}). Broken: ${broken.join(', ')}.
${violations.map((v) => `//   step ${v.step}: [${v.invariant}] ${v.detail}`).join('\n')}
/* eslint-disable @typescript-eslint/no-unused-vars -- generated: not every helper is used */
import { expect } from 'chai';
import { Observable, type Subscription } from 'rxjs';
import { InvalidStateError, Service, isServiceError, type ServiceSnapshot, type ServiceState } from '../../lib/index.js';
import { createVirtualClock } from '../../lib/testing/index.js';

describe('regression: ${broken.join(', ')}', () => {
  it('${title}', async () => {
    const clock = createVirtualClock();
    const scheduler = clock.scheduler;
    const injected = new Set<unknown>();
    const fail = (label: string): Error => {
      const error = new Error(label);
      injected.add(error);
      return error;
    };
    const after = (ms: number): Promise<void> => new Promise((resolve) => scheduler.schedule(() => resolve(), ms));
    const untilAborted = (signal: AbortSignal): Promise<void> =>
      new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
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
    /** Services an operation in flight starts or stops directly (not through their parent). */
    const direct = new Map<Service<any>, number>();
    const call = (targets: Service<any>[], fn: () => Promise<unknown>): Promise<unknown> => {
      for (const t of targets) direct.set(t, (direct.get(t) ?? 0) + 1);
      const undirect = (): void => targets.forEach((t) => direct.set(t, direct.get(t)! - 1));
      return track(fn().then(undirect, (error: unknown) => {
        undirect();
        throw error;
      }));
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

${classes}
${tree}
    /** The prerequisites each child names in after. */
    const edges = new Map<Service<any>, Service<any>[]>([${edges}]);
    const all: Service<any>[] = [${nodes.map((_, i) => `s${i}`).join(', ')}];
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
    const startedEarly: string[] = [];
    const stoppedEarly: string[] = [];
    let seq = 0;
    const seqOf = new Map<Service<any>, number>();
    const at = (s: Service<any>): string => \`\${s.name} \${s.state} since #\${seqOf.get(s)}\`;
    const watch = (s: Service<any>): void => {
      let last = s.state;
      s.state$.subscribe((to) => {
        if (to === last) return;
        const from = last;
        last = to;
        seqOf.set(s, ++seq);
        if (!allowed[from].includes(to)) illegal.push(\`\${s.name}: \${from} -> \${to}\`);
        if (!inTree().includes(s)) return;
        seen.set(s, [...(seen.get(s) ?? []), \`\${from}->\${to}\`]);
        const parent = s.parent;
        if (!parent || (direct.get(s) ?? 0) > 0) return;
        if (to === 'starting' && parent.state === 'starting') {
          const waiting = (edges.get(s) ?? []).filter((p) => p.parent === parent && p.state !== 'running');
          if (waiting.length > 0) startedEarly.push(\`\${s.name} entered starting (#\${seq}) while \${waiting.map(at).join(', ')}\`);
        }
        if (from === 'running' && to === 'stopping' && parent.state === 'stopping') {
          const up = parent.children.filter((d) => (edges.get(d) ?? []).includes(s) && !['init', 'stopped', 'crashed'].includes(d.state));
          if (up.length > 0) stoppedEarly.push(\`\${s.name} left running (#\${seq}) while \${up.map(at).join(', ')}\`);
        }
      });
    };
    const snapshotBroken: string[] = [];
    const checkSnapshot = (): void => {
      const visit = (snapshot: ServiceSnapshot): void => {
        const s = all.find((x) => x.id === snapshot.id);
        const expected = (s ? (edges.get(s) ?? []) : []).map((p) => p.name).sort().join(', ');
        const listed = (snapshot.after ?? []).map((id) => all.find((x) => x.id === id)?.name ?? id).sort().join(', ');
        if (s && expected !== listed) snapshotBroken.push(\`\${s.name}: after [\${listed}], declared [\${expected}]\`);
        snapshot.children.forEach(visit);
      };
      visit(s0.toJSON());
    };
    const isGuard = (error: unknown): boolean =>
      error instanceof InvalidStateError && error.operation.startsWith('removeDependency');
    const guardBroken: string[] = [];
    /** removeDependency of a child a sibling names in after: must reject and change nothing. */
    const guarded = (parent: Service<any>, child: Service<any>): Promise<unknown> => {
      const state = child.state;
      const what = \`\${parent.name}.removeDependency(\${child.name})\`;
      const settled = parent.removeDependency(child).then(
        () => void guardBroken.push(\`\${what} resolved\`),
        (error: unknown) => {
          if (!isGuard(error)) guardBroken.push(\`\${what} rejected with \${String(error)}\`);
          if (child.parent !== parent) guardBroken.push(\`\${what} detached the child\`);
        },
      );
      if (child.parent !== parent || child.state !== state) guardBroken.push(\`\${what} changed the child at once\`);
      operations.push(settled);
      return settled;
    };
    all.forEach(watch);
    s0.events$.subscribe((event) => {
      if (event.type !== 'state') return;
      const s = all.find((x) => x.id === event.service.id)!;
      reported.set(s, [...(reported.get(s) ?? []), \`\${event.from}->\${event.to}\`]);
    });

${steps}
    release();
    await settle(operations, 200);
    const finalStopSettled = await settle([track(s0.stop())], ${(nodes[0]!.stopTimeout ?? 60_000) + 1});
    void finalStopSettled;
    checkSnapshot();
${checks}
  });
});
`;
}
