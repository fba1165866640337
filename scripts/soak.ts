// `npm run soak` (node --expose-gc): long start/stop churn, heap sampled after full GCs, growth per
// cycle from a least-squares line over the samples after the warm-up; exit 1 above 1 byte per cycle.
//   phase 1: SOAK_CYCLES (default 1,000,000) start/stop cycles of one tree: root, 3 children, 1 grandchild;
//   phase 2: a tenth of that with timers, tasks, a teardown and a OneForOneSupervisor restarting a
//            child that crashes once per cycle.
// The same trees are reused for every cycle (a fresh tree per cycle is the leak spec's job).
import { filter, firstValueFrom } from 'rxjs';
import { OneForOneSupervisor, Service } from '../lib/index.js';

const LIMIT_BYTES_PER_CYCLE = 1;
const SAMPLES = 20;
/** Samples dropped from the fit (JIT, caches, pools filling up). */
const WARMUP_SAMPLES = 4;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('soak: run with node --expose-gc (npm run soak does)');
  process.exit(2);
}
const cycles = ((): number => {
  const raw = process.env['SOAK_CYCLES'];
  const n = raw === undefined || raw === '' ? 1_000_000 : Number(raw);
  if (!Number.isInteger(n) || n < SAMPLES * 10) {
    throw new TypeError(`SOAK_CYCLES must be a whole number ≥ ${SAMPLES * 10}; received ${raw}`);
  }
  return n;
})();

/** Heap after full collections, the lowest of a few readings (a turn of the event loop between). */
async function settledHeap(): Promise<number> {
  let low = Infinity;
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc!();
    gc!();
    low = Math.min(low, process.memoryUsage().heapUsed);
  }
  return low;
}

/** Least-squares slope of bytes over cycles. */
function slope(points: readonly [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function soak(name: string, total: number, cycle: () => Promise<void>): Promise<boolean> {
  const every = Math.floor(total / SAMPLES);
  const samples: [number, number][] = [];
  const t0 = Date.now();
  for (let i = 1; i <= total; i++) {
    await cycle();
    if (i % every === 0) samples.push([i, await settledHeap()]);
  }
  const fitted = samples.slice(WARMUP_SAMPLES);
  const perCycle = slope(fitted);
  const ok = perCycle <= LIMIT_BYTES_PER_CYCLE;
  console.log(`${name}: ${total} cycles in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`  heap samples (cycle: bytes): ${samples.map(([x, y]) => `${x}: ${y}`).join(', ')}`);
  console.log(
    `  growth after warm-up (${fitted.length} samples from cycle ${fitted[0]![0]}): ` +
      `${perCycle.toFixed(4)} B/cycle (limit ${LIMIT_BYTES_PER_CYCLE}) ${ok ? 'ok' : 'FAILED'}`,
  );
  return ok;
}

/** Phase 1: root, three children, one grandchild, no work. */
function plainTree(): () => Promise<void> {
  const root = new Service({ name: 'root' });
  const children = [0, 1, 2].map((i) => root.addDependency(new Service({ name: `child${i}` })));
  children[0]!.addDependency(new Service({ name: 'grandchild' }));
  return async () => {
    await root.start();
    if (root.state !== 'running') throw new Error(`root is ${root.state} after start()`);
    await root.stop();
    const after: string = root.state;
    if (after !== 'stopped') throw new Error(`root is ${after} after stop()`);
  };
}

/** Phase 2: timers, tasks, a teardown, and a supervised child that crashes once per cycle. */
function busyTree(): () => Promise<void> {
  const root = new Service({ name: 'root' });
  const worker = root.addDependency(new Service({ name: 'worker' }));
  worker.addTimer(60_000, () => {});
  worker.addTask(
    (signal) => new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true })),
  );
  worker.addTask(
    (signal) => new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true })),
    {
      drain: true,
    },
  );
  worker.addTeardown(() => {});
  const supervisor = root.addDependency(new OneForOneSupervisor({ name: 'supervisor', maxRestarts: 1_000 }));
  const flaky = new Service({ name: 'flaky' });
  flaky.addTimer(60_000, () => {});
  supervisor.add(flaky);
  return async () => {
    await root.start();
    flaky.crash(new Error('flaky crashed'));
    // subscribed after the crash: the next `running` is the supervisor's restart
    await firstValueFrom(flaky.state$.pipe(filter((state) => state === 'running')));
    await root.stop();
    if (root.state !== 'stopped' || flaky.state !== 'stopped') {
      throw new Error(`after stop(): root ${root.state}, flaky ${flaky.state}`);
    }
  };
}

const plain = await soak('soak 1 (root + 3 children + 1 grandchild)', cycles, plainTree());
const busy = await soak(
  'soak 2 (timers, tasks, OneForOneSupervisor restarting a crashing child)',
  Math.floor(cycles / 10),
  busyTree(),
);
process.exit(plain && busy ? 0 : 1);
