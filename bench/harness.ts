/**
 * The measuring side of the benchmarks, shared by every implementation (rxmode, the raw floor and the
 * peers): workload sizes, clocks, heap sampling after a full GC, and one driver per workload that
 * prints a single JSON line per measured variant. Each workload process runs one variant.
 */
import { performance } from 'node:perf_hooks';

// ─── sizes (the same for every implementation; environment overrides for quick checks) ──────────

/** An integer from the environment variable `name`, else `fallback` (sizes shrink for quick checks). */
export const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be an integer; got ${raw}`);
  return value;
};

/** W1: children under one root. */
export const FLAT_CHILDREN = envInt('BENCH_W1_N', 10_000);
/** W2/W7: depth of the tree (root at level 0). */
export const TREE_DEPTH = 7;
/** W2/W7: children of a node at `level`: 2 under the root, 4 below, none at the leaves. */
export const fanOut = (level: number): number => (level === 0 ? 2 : level < TREE_DEPTH ? 4 : 0);
/** W2/W7: nodes in the whole tree (10,923). */
export const TREE_NODES = ((): number => {
  let total = 1;
  let width = 1;
  for (let level = 0; level < TREE_DEPTH; level++) total += width *= fanOut(level);
  return total;
})();
/** W3: start/stop cycles, after the warm-up ones. */
export const CHURN_CYCLES = envInt('BENCH_W3_CYCLES', 100_000);
/** W3: cycles run before measuring (JIT, caches). */
export const CHURN_WARMUP = Math.min(2_000, CHURN_CYCLES);
/** W3: children of the churned root. */
export const CHURN_CHILDREN = 3;
/** W4: idle services alive at once. */
export const IDLE_SERVICES = envInt('BENCH_W4_N', 10_000);
/** W5: sends per measurement. */
export const SENDS = envInt('BENCH_W5_SENDS', 1_000_000);
/** W5: receivers connected to the emitter. */
export const RECEIVERS = 10;
/** W6: timers, their period and how long they run. */
export const TIMERS = 100;
export const TIMER_PERIOD_MS = 10;
export const TIMER_RUN_MS = envInt('BENCH_W6_MS', 2_000);
/** W1/W2/W7: timed rounds (the median is reported), warm-up rounds before them, heap rounds. */
export const ROUNDS = envInt('BENCH_ROUNDS', 7);
export const WARMUP_ROUNDS = envInt('BENCH_WARMUP', 3);
export const HEAP_ROUNDS = envInt('BENCH_HEAP_ROUNDS', 3);

// ─── clocks, statistics, heap ──────────────────────────────────────────────────────────────────

/** Milliseconds from a monotonic high-resolution clock. */
export const now = (): number => performance.now();

/** The middle value (mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The nearest-rank percentile `p` (0–100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** Rounds to `digits` decimals, for printing. */
export const round = (value: number, digits = 0): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') throw new Error('heap figures need a full GC: run node with --expose-gc');
  gc();
  gc();
}

/**
 * `heapUsed` after a full GC, taken from a fresh macrotask: a GC run from inside a promise
 * continuation can still see the previous graph through the microtask queue's frames.
 */
export function settledHeap(): Promise<number> {
  return new Promise((resolve) =>
    setImmediate(() => {
      collect();
      resolve(process.memoryUsage().heapUsed);
    }),
  );
}

/**
 * The lowest of several {@link settledHeap} samples. Right after a large graph dies, V8 sometimes
 * needs a few more full collections to release it (weakly held code and feedback): the lowest sample
 * drops that transient, while memory that is really retained stays in every sample.
 */
export async function retainedHeap(samples = 5): Promise<number> {
  let lowest = Infinity;
  for (let i = 0; i < samples; i++) lowest = Math.min(lowest, await settledHeap());
  return lowest;
}

/** Prints one result line (what the runner reads). */
export function report(row: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

/** Who is measured: implementation, variant, workload. */
export interface Subject {
  impl: string;
  variant: string;
}

// ─── W1, W2, W7: one tree, built, started, stopped ────────────────────────────────────────────

/** A tree under test; `build` constructs it, `start`/`stop` drive it, the checks walk it. */
export interface LifecycleUnderTest {
  /** Starts the tree; may return a promise. */
  start(): unknown;
  /** Stops the tree; may return a promise. */
  stop(): unknown;
  allRunning(): boolean;
  allStopped(): boolean;
  /** Extra figures to report, for instance events seen by a monitor. */
  extra?(): Record<string, number>;
}

interface RoundResult {
  startMs: number;
  stopMs: number;
  heap: number;
  extra: Record<string, number> | undefined;
}

// Each round lives in its own async frame so that nothing of the previous tree stays reachable.
async function lifecycleRound(
  what: string,
  build: () => LifecycleUnderTest,
  withHeap: boolean,
): Promise<RoundResult> {
  const before = withHeap ? await settledHeap() : 0;
  const t0 = now();
  const tree = build();
  await tree.start();
  const t1 = now();
  if (!tree.allRunning()) throw new Error(`${what}: not every node is running after start`);
  const running = withHeap ? await settledHeap() : 0;
  const t2 = now();
  await tree.stop();
  const t3 = now();
  if (!tree.allStopped()) throw new Error(`${what}: not every node is stopped after stop`);
  return { startMs: t1 - t0, stopMs: t3 - t2, heap: running - before, extra: tree.extra?.() };
}

/**
 * W1/W2/W7 driver. Start time covers construction and start until every node runs; stop time until
 * every node is stopped. Timed rounds never force a GC; the heap (bytes retained per running node)
 * comes from separate rounds, the largest of them (a sample can only be biased low).
 *
 * With `baseline` (W7: the same tree without a monitor), every timed round also runs the baseline,
 * alternating which goes first, so that the overhead ratio compares rounds measured side by side.
 */
export async function lifecycle(
  subject: Subject & { workload: string; nodes: number },
  build: () => LifecycleUnderTest,
  baseline?: () => LifecycleUnderTest,
): Promise<void> {
  const what = `${subject.impl}/${subject.variant}/${subject.workload}`;
  const heaps: number[] = [];
  for (let i = 0; i < HEAP_ROUNDS; i++) heaps.push((await lifecycleRound(what, build, true)).heap);
  const timed: RoundResult[] = [];
  const plain: RoundResult[] = [];
  for (let i = 0; i < WARMUP_ROUNDS + ROUNDS; i++) {
    const baseFirst = baseline !== undefined && i % 2 === 1;
    const before = baseFirst ? await lifecycleRound(`${what} (baseline)`, baseline, false) : undefined;
    const result = await lifecycleRound(what, build, false);
    const after =
      baseline && !baseFirst ? await lifecycleRound(`${what} (baseline)`, baseline, false) : undefined;
    if (i < WARMUP_ROUNDS) continue;
    timed.push(result);
    if (before ?? after) plain.push((before ?? after)!);
  }
  const perNode = (rounds: RoundResult[]): number =>
    ((median(rounds.map((r) => r.startMs)) + median(rounds.map((r) => r.stopMs))) * 1e6) / subject.nodes;
  const startMs = median(timed.map((r) => r.startMs));
  const stopMs = median(timed.map((r) => r.stopMs));
  report({
    ...subject,
    startMs: round(startMs, 3),
    stopMs: round(stopMs, 3),
    nsPerNode: round(perNode(timed)),
    heapBytesPerNode: heaps.length ? round(Math.max(...heaps) / subject.nodes) : undefined,
    rounds: timed.length,
    ...(plain.length
      ? { baselineNsPerNode: round(perNode(plain)), vsBaseline: round(perNode(timed) / perNode(plain), 3) }
      : {}),
    ...(timed[0]?.extra ?? {}),
  });
}

// ─── W3: churn ────────────────────────────────────────────────────────────────────────────────

/**
 * W3 driver: `cycle()` builds a root with three children, starts it, checks it runs, stops it and
 * checks it stopped. Reports ns per cycle and the heap retained over the second half (a leak keeps
 * growing there; one-off growth from JIT and caches happens early).
 */
export async function churn(subject: Subject, cycle: () => Promise<void>): Promise<void> {
  for (let i = 0; i < CHURN_WARMUP; i++) await cycle();
  const half = CHURN_CYCLES >> 1;
  const heapStart = await retainedHeap();
  let t0 = now();
  for (let i = 0; i < half; i++) await cycle();
  let elapsed = now() - t0;
  const heapMid = await retainedHeap();
  t0 = now();
  for (let i = half; i < CHURN_CYCLES; i++) await cycle();
  elapsed += now() - t0;
  const heapEnd = await retainedHeap();
  const secondHalf = CHURN_CYCLES - half;
  report({
    ...subject,
    workload: 'w3',
    cycles: CHURN_CYCLES,
    nsPerCycle: round((elapsed * 1e6) / CHURN_CYCLES),
    heapGrowthBytes: heapEnd - heapStart,
    heapGrowthSecondHalfBytes: heapEnd - heapMid,
    bytesPerCycleSecondHalf: round((heapEnd - heapMid) / secondHalf, 2),
  });
}

// ─── W4: idle services ───────────────────────────────────────────────────────────────────────

/** What `make(n)` returns: n running services with one state subscriber each. */
export interface IdleFleet {
  /** Stops every service; may return a promise. */
  stop(): unknown;
  /** State values the subscribers received so far. */
  delivered(): number;
}

/** W4 driver: heap per idle running service with one state subscriber, and what stays after stop. */
export async function idle(subject: Subject, make: (n: number) => Promise<IdleFleet>): Promise<void> {
  await (await make(100)).stop(); // code paths and lazily created module state, outside the count
  const base = await retainedHeap();
  const { running, delivered } = await idlePhase(make);
  // sampled after idlePhase returned: its (suspended) frame can no longer hold the fleet
  const after = await retainedHeap();
  report({
    ...subject,
    workload: 'w4',
    services: IDLE_SERVICES,
    heapBytesPerService: round((running - base) / IDLE_SERVICES),
    heapAfterStopBytesPerService: round((after - base) / IDLE_SERVICES, 1),
    deliveredPerService: round(delivered / IDLE_SERVICES, 2),
  });
}

async function idlePhase(
  make: (n: number) => Promise<IdleFleet>,
): Promise<{ running: number; delivered: number }> {
  const fleet = await make(IDLE_SERVICES);
  const running = await settledHeap();
  const delivered = fleet.delivered();
  await fleet.stop();
  return { running, delivered };
}

// ─── W5: sends ────────────────────────────────────────────────────────────────────────────────

/** W5 driver: `run(n)` makes n sends to the 10 receivers and returns how many calls they received. */
export async function sends(subject: Subject, run: (n: number) => number | Promise<number>): Promise<void> {
  await run(Math.min(100_000, Math.max(1, SENDS >> 3))); // warm-up
  collect();
  const t0 = now();
  const received = await run(SENDS);
  const elapsed = now() - t0;
  if (received !== SENDS * RECEIVERS) {
    throw new Error(
      `${subject.impl}/${subject.variant}: receivers got ${received}, expected ${SENDS * RECEIVERS}`,
    );
  }
  report({
    ...subject,
    workload: 'w5',
    sends: SENDS,
    receivers: RECEIVERS,
    nsPerSend: round((elapsed * 1e6) / SENDS, 1),
    sendsPerSec: Math.round(SENDS / (elapsed / 1000)),
  });
}

// ─── W6: timers ───────────────────────────────────────────────────────────────────────────────

/**
 * What a W6 implementation gets: `armed(i)` when timer i is armed (its ideal schedule is then
 * armed + k × period, k = 1, 2, …), `fired(i)` on every firing. `start` returns the stop function.
 */
export interface TimerProbe {
  armed(i: number): void;
  fired(i: number): void;
}

/**
 * W6 driver: 100 timers at 10 ms for 2 s. The run lasts 2 s plus half a period, so a timer that keeps
 * its schedule fires exactly 200 times. Drift of the k-th firing = its time − (armed + k × period):
 * measured on the monotonic clock, against the ideal schedule, so lost ticks show as growing drift.
 * A double fire is a firing less than half a period after the previous one.
 */
export async function timers(
  subject: Subject,
  start: (probe: TimerProbe) => Promise<() => unknown> | (() => unknown),
  extra?: () => Record<string, number>,
): Promise<void> {
  const armedAt: number[] = new Array<number>(TIMERS).fill(NaN);
  const firings: number[][] = Array.from({ length: TIMERS }, () => []);
  const probe: TimerProbe = {
    armed: (i) => void (armedAt[i] = now()),
    fired: (i) => void firings[i]!.push(now()),
  };
  // the garbage of loading the code (tsx transforms, source maps) is collected now, not as a
  // mark-compact pause of several ms in the middle of the run
  collect();
  const stop = await start(probe);
  await new Promise((resolve) => setTimeout(resolve, TIMER_RUN_MS + TIMER_PERIOD_MS / 2));
  await stop();
  const drift: number[] = [];
  const intervalError: number[] = [];
  let ticks = 0;
  let doubles = 0;
  for (let i = 0; i < TIMERS; i++) {
    const t0 = armedAt[i]!;
    if (Number.isNaN(t0)) throw new Error(`${subject.impl}/${subject.variant}: timer ${i} never armed`);
    let previous = t0;
    firings[i]!.forEach((t, k) => {
      drift.push(t - (t0 + (k + 1) * TIMER_PERIOD_MS));
      intervalError.push(t - previous - TIMER_PERIOD_MS);
      if (t - previous < TIMER_PERIOD_MS / 2) doubles++;
      previous = t;
    });
    ticks += firings[i]!.length;
  }
  report({
    ...subject,
    workload: 'w6',
    timers: TIMERS,
    periodMs: TIMER_PERIOD_MS,
    runMs: TIMER_RUN_MS,
    ticks,
    idealTicks: TIMERS * Math.floor(TIMER_RUN_MS / TIMER_PERIOD_MS),
    doubleFires: doubles,
    driftMeanMs: round(drift.reduce((a, b) => a + b, 0) / Math.max(1, drift.length), 3),
    driftP99Ms: round(percentile(drift, 99), 3),
    driftMaxMs: round(Math.max(...drift), 3),
    driftMinMs: round(Math.min(...drift), 3),
    intervalErrP99Ms: round(percentile(intervalError.map(Math.abs), 99), 3),
    ...(extra?.() ?? {}),
  });
}

// ─── command line of a workload process ─────────────────────────────────────────────────────────

/**
 * Runs the workload named on the command line (`<file> <workload> <variant>`), or prints the
 * variants per workload as JSON (`<file> list`).
 */
export async function main(
  variants: Record<string, readonly string[]>,
  run: (workload: string, variant: string) => Promise<void>,
): Promise<void> {
  const [workload, variant] = process.argv.slice(2);
  if (workload === 'list') {
    report(variants);
    return;
  }
  if (!workload || !variants[workload]) {
    throw new Error(`usage: node --expose-gc --import tsx <file> list | <w1..w8> [variant]`);
  }
  for (const v of variant ? [variant] : variants[workload]) await run(workload, v);
}
