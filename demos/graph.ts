/**
 * Boot in the time of the longest chain: a small application whose services name their
 * prerequisites among their siblings (`addDependency(child, { after })`). With parallel start and
 * stop, each service starts as soon as its prerequisites run and stops once its dependents stopped.
 * The boot and the shutdown are drawn from `events$` as a timeline, next to the critical path.
 *
 *   npm run demo:graph        (or: npx tsx demos/graph.ts)
 */
import { Service, type LifecycleEvent } from '../lib/index.js';

/** What each service needs and how long its start and stop take (connecting, warming, draining). */
const PLAN = [
  { name: 'config', after: [], startMs: 20, stopMs: 5 },
  { name: 'metrics', after: [], startMs: 15, stopMs: 10 },
  { name: 'db', after: ['config'], startMs: 60, stopMs: 25 },
  { name: 'cache', after: ['db'], startMs: 30, stopMs: 10 },
  { name: 'repository', after: ['db'], startMs: 40, stopMs: 5 },
  { name: 'broker', after: ['config'], startMs: 45, stopMs: 20 },
  { name: 'consumerA', after: ['broker'], startMs: 20, stopMs: 30 },
  { name: 'consumerB', after: ['broker', 'repository'], startMs: 35, stopMs: 15 },
  { name: 'api', after: ['cache', 'repository'], startMs: 25, stopMs: 40 },
] as const;
type Step = (typeof PLAN)[number];

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A service that waits on I/O: a few tens of milliseconds to start, a few to stop. */
class Component extends Service {
  constructor(readonly step: Step) {
    super({ name: step.name });
  }
  protected override async onStart(): Promise<void> {
    await this.sleep(this.step.startMs); // connect, load, warm up
  }
  protected override async onStop(): Promise<void> {
    // a stopping service's sleep() returns at once, so draining waits on a plain timer
    await pause(this.step.stopMs);
  }
}

const app = new Service({ name: 'app', startConcurrency: 'parallel', stopConcurrency: 'parallel' });
const byName = new Map<string, Component>();
for (const step of PLAN) {
  const after = step.after.map((name) => byName.get(name)!);
  byName.set(step.name, app.addDependency(new Component(step), { after }));
}

// ─── the timeline, from events$ ──────────────────────────────────────────────────────────────────

/** The services that name `step` in their `after`: a shutdown stops them first. */
const dependentsOf = (step: Step): string[] =>
  PLAN.filter((other) => (other.after as readonly string[]).includes(step.name)).map((other) => other.name);

/** What each phase shows: its title, what a service waits for, how long its hook takes. */
const PHASES = {
  boot: {
    title: 'boot: each service starts once everything in its `after` is running',
    waitsFor: (step: Step): readonly string[] => step.after,
    ms: (step: Step): number => step.startMs,
  },
  shutdown: {
    title: 'shutdown: each service stops once every service naming it has stopped',
    waitsFor: dependentsOf,
    ms: (step: Step): number => step.stopMs,
  },
};
type Phase = keyof typeof PHASES;

interface Bar {
  from?: number;
  to?: number;
}
const bars: Record<Phase, Map<string, Bar>> = { boot: new Map(), shutdown: new Map() };
let phase: Phase = 'boot';
app.events$.subscribe((event: LifecycleEvent) => {
  if (event.type !== 'state' || event.service.name === 'app') return;
  const bar = bars[phase].get(event.service.name) ?? {};
  if (event.to === 'starting' || event.to === 'stopping') bar.from = event.at;
  if (event.to === 'running' || event.to === 'stopped') bar.to = event.at;
  bars[phase].set(event.service.name, bar);
});

const MS_PER_CHAR = 5;

/** One line per service: when it began and ended, relative to `t0`, as a bar. */
function draw(which: Phase, t0: number, totalMs: number): void {
  const { title, waitsFor } = PHASES[which];
  const width = Math.ceil(totalMs / MS_PER_CHAR);
  console.log(`\n${title} (one character = ${MS_PER_CHAR} ms)`);
  for (const step of PLAN) {
    const { from = t0, to = t0 } = bars[which].get(step.name) ?? {};
    const start = Math.round((from - t0) / MS_PER_CHAR);
    const length = Math.max(1, Math.round((to - from) / MS_PER_CHAR));
    const bar = ' '.repeat(start) + '#'.repeat(length);
    const times = `${String(from - t0).padStart(4)} → ${String(to - t0).padStart(4)} ms`;
    const waits = waitsFor(step).length ? `  (after ${waitsFor(step).join(', ')})` : '';
    console.log(`  ${step.name.padEnd(11)}|${bar.padEnd(width)}| ${times}${waits}`);
  }
}

/** The longest chain of hook times through what each service waits for, with its services. */
function criticalPath(which: Phase): { ms: number; chain: string[] } {
  const { waitsFor, ms } = PHASES[which];
  const best = new Map<string, { ms: number; chain: string[] }>();
  // a service's prerequisites come before it in PLAN, its dependents after it
  for (const step of which === 'boot' ? PLAN : [...PLAN].reverse()) {
    const longest = waitsFor(step)
      .map((name) => best.get(name)!)
      .reduce((a, b) => (b.ms > a.ms ? b : a), { ms: 0, chain: [] as string[] });
    best.set(step.name, { ms: longest.ms + ms(step), chain: [...longest.chain, step.name] });
  }
  return [...best.values()].reduce((a, b) => (b.ms > a.ms ? b : a));
}

/** Runs one phase, then draws it and compares it with its critical path and with the sum. */
async function timeline(which: Phase, action: () => Promise<void>): Promise<void> {
  phase = which;
  const t0 = app.scheduler.now();
  await action();
  const tookMs = app.scheduler.now() - t0;
  draw(which, t0, tookMs);
  const { ms } = PHASES[which];
  const path = criticalPath(which);
  const sum = PLAN.reduce((total, step) => total + ms(step), 0);
  const steps = path.chain.map((name) => `${name} ${ms(PLAN.find((s) => s.name === name)!)}`).join(' → ');
  console.log(`  ${which} took ${tookMs} ms`);
  console.log(`  critical path ${path.ms} ms: ${steps}`);
  console.log(
    `  one service at a time it would take the sum, ${sum} ms (${(sum / tookMs).toFixed(1)}× longer)`,
  );
}

// ─── boot, a moment of running, shutdown ──────────────────────────────────────────────────────

await timeline('boot', () => app.start());
await pause(50);
await timeline('shutdown', () => app.stop());
