/**
 * W8, shared by every implementation: a 60-service application graph drawn from a fixed seed (each
 * service needs 0–3 of the earlier ones, starts in 5–50 ms and stops in 1–10 ms on a timer), its two
 * critical paths (the physical limits of a boot and of a shutdown), and the driver that times a boot
 * and a shutdown and checks that no edge was crossed.
 */
import { envInt, median, now, report, round, type Subject } from './harness.js';

/** W8: services in the graph. */
export const GRAPH_SERVICES = envInt('BENCH_W8_N', 60);
/** W8: the seed every implementation draws the same graph from. */
export const GRAPH_SEED = 20_240_613;
/** W8: timed rounds (the median is reported) and warm-up rounds before them. */
export const GRAPH_ROUNDS = envInt('BENCH_W8_ROUNDS', 5);
export const GRAPH_WARMUP = envInt('BENCH_W8_WARMUP', 1);

/** One service of the graph: its prerequisites (indices of earlier services) and its hook times. */
export interface GraphService {
  readonly after: readonly number[];
  readonly startMs: number;
  readonly stopMs: number;
}

/** A small deterministic generator (xorshift32): the same seed gives the same graph everywhere. */
function generator(seed: number): (below: number) => number {
  let x = seed >>> 0 || 1;
  return (below) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % below;
  };
}

/** The W8 graph: service i names 0–3 distinct services among 0…i−1 as prerequisites. */
export function applicationGraph(size = GRAPH_SERVICES, seed = GRAPH_SEED): GraphService[] {
  const draw = generator(seed);
  const services: GraphService[] = [];
  for (let i = 0; i < size; i++) {
    const wanted = Math.min(i, draw(4));
    const after: number[] = [];
    while (after.length < wanted) {
      const candidate = draw(i);
      if (!after.includes(candidate)) after.push(candidate);
    }
    services.push({ after: after.sort((a, b) => a - b), startMs: 5 + draw(46), stopMs: 1 + draw(10) });
  }
  return services;
}

/** The physical limits of the graph and what a one-by-one start and stop would take. */
export interface GraphLimits {
  /** Longest chain of start times along the edges: no boot can be shorter. */
  criticalBootMs: number;
  /** Longest chain of stop times against the edges (a service stops after its dependents). */
  criticalShutdownMs: number;
  /** Sum of every start time: a sequential boot. */
  sumStartMs: number;
  /** Sum of every stop time: a sequential shutdown. */
  sumStopMs: number;
  /** Services on the longest boot chain. */
  chainLength: number;
  edges: number;
}

/** Critical paths and sums of `graph` (services are in topological order by construction). */
export function graphLimits(graph: readonly GraphService[]): GraphLimits {
  const bootEnd: number[] = [];
  const chain: number[] = [];
  graph.forEach((s, i) => {
    const ready = Math.max(0, ...s.after.map((p) => bootEnd[p]!));
    const via = s.after.find((p) => bootEnd[p] === ready);
    bootEnd[i] = ready + s.startMs;
    chain[i] = (via === undefined ? 0 : chain[via]!) + 1;
  });
  const dependents: number[][] = graph.map(() => []);
  graph.forEach((s, i) => s.after.forEach((p) => dependents[p]!.push(i)));
  const stopEnd: number[] = [];
  for (let i = graph.length - 1; i >= 0; i--) {
    stopEnd[i] = Math.max(0, ...dependents[i]!.map((d) => stopEnd[d]!)) + graph[i]!.stopMs;
  }
  const last = bootEnd.indexOf(Math.max(...bootEnd));
  return {
    criticalBootMs: Math.max(...bootEnd),
    criticalShutdownMs: Math.max(...stopEnd),
    sumStartMs: graph.reduce((sum, s) => sum + s.startMs, 0),
    sumStopMs: graph.reduce((sum, s) => sum + s.stopMs, 0),
    chainLength: chain[last]!,
    edges: graph.reduce((sum, s) => sum + s.after.length, 0),
  };
}

/** What each implementation reports from inside its hooks, so the driver can check the edges. */
export interface GraphProbe {
  startBegan(i: number): void;
  startEnded(i: number): void;
  stopBegan(i: number): void;
  stopEnded(i: number): void;
}

/** A graph under test: `start`/`stop` drive the whole application. */
export interface GraphUnderTest {
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
}

/** A promise resolved after `ms` on a plain `setTimeout` (what a hook waiting on I/O looks like). */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface GraphRound {
  bootMs: number;
  shutdownMs: number;
}

async function graphRound(
  what: string,
  graph: readonly GraphService[],
  build: (graph: readonly GraphService[], probe: GraphProbe) => GraphUnderTest,
): Promise<GraphRound> {
  const n = graph.length;
  const began = new Array<number>(n).fill(NaN);
  const ended = new Array<number>(n).fill(NaN);
  const stopBegan = new Array<number>(n).fill(NaN);
  const stopEnded = new Array<number>(n).fill(NaN);
  const probe: GraphProbe = {
    startBegan: (i) => void (began[i] = now()),
    startEnded: (i) => void (ended[i] = now()),
    stopBegan: (i) => void (stopBegan[i] = now()),
    stopEnded: (i) => void (stopEnded[i] = now()),
  };
  const app = build(graph, probe);
  const t0 = now();
  await app.start();
  const t1 = now();
  await app.stop();
  const t2 = now();
  graph.forEach((s, i) => {
    if ([began[i], ended[i], stopBegan[i], stopEnded[i]].some(Number.isNaN)) {
      throw new Error(`${what}: service ${i} did not run both hooks`);
    }
    for (const p of s.after) {
      if (began[i]! < ended[p]!)
        throw new Error(`${what}: service ${i} began before its prerequisite ${p} ran`);
      if (stopBegan[p]! < stopEnded[i]!)
        throw new Error(`${what}: service ${p} stopped before its dependent ${i}`);
    }
  });
  return { bootMs: t1 - t0, shutdownMs: t2 - t1 };
}

/**
 * W8 driver. Boot time is `start()` of the whole application until it resolves; shutdown time is
 * `stop()` until it resolves. Every round checks that each service's start hook began after its
 * prerequisites' ended and that its stop hook ended before theirs began.
 */
export async function applicationBoot(
  subject: Subject,
  build: (graph: readonly GraphService[], probe: GraphProbe) => GraphUnderTest,
): Promise<void> {
  const what = `${subject.impl}/${subject.variant}/w8`;
  const graph = applicationGraph();
  const limits = graphLimits(graph);
  const rounds: GraphRound[] = [];
  for (let i = 0; i < GRAPH_WARMUP + GRAPH_ROUNDS; i++) {
    const result = await graphRound(what, graph, build);
    if (i >= GRAPH_WARMUP) rounds.push(result);
  }
  const bootMs = median(rounds.map((r) => r.bootMs));
  const shutdownMs = median(rounds.map((r) => r.shutdownMs));
  report({
    ...subject,
    workload: 'w8',
    services: graph.length,
    ...limits,
    bootMs: round(bootMs, 2),
    shutdownMs: round(shutdownMs, 2),
    bootVsCritical: round(bootMs / limits.criticalBootMs, 3),
    shutdownVsCritical: round(shutdownMs / limits.criticalShutdownMs, 3),
    rounds: rounds.length,
  });
}
