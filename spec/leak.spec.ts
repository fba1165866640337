// The W3 leak check of the benchmarks as an ordinary test: a few thousand start/stop cycles of a root
// with three children, then the heap growth over the second half, after a full GC. It runs in a child
// `node --expose-gc --import tsx` process so that the GC is real and nothing else shares the heap.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);
const LIB = new URL('../lib/index.ts', import.meta.url).href;

/** Cycles per measured half; a warm-up of a fifth of it comes first. */
const HALF = 2_500;
/**
 * Retained bytes per cycle over the second half that count as a leak. Generous on purpose: the noise
 * of a few thousand cycles is a few bytes per cycle, while one forgotten service alone holds
 * several hundred bytes.
 */
const BOUND = 64;

/** What a cycle builds besides the plain tree. */
type Shape = 'plain' | 'busy';

interface Growth {
  cycles: number;
  firstHalfBytes: number;
  secondHalfBytes: number;
  bytesPerCycle: number;
}

/** The child process: cycles, heap sampled after full GCs (lowest of several samples), one JSON line. */
const script = (shape: Shape, keepEveryRoot: boolean): string => `
const { Service } = await import(${JSON.stringify(LIB)});
const heap = () => new Promise((resolve) => setImmediate(() => { gc(); gc(); resolve(process.memoryUsage().heapUsed); }));
const settled = async () => { let low = Infinity; for (let i = 0; i < 5; i++) low = Math.min(low, await heap()); return low; };
const kept = [];
let events = 0;
async function cycle() {
  const root = new Service({ name: 'root' });
  for (let i = 0; i < 3; i++) {
    const child = root.addDependency(new Service({ name: 'child' + i }));
    if (${JSON.stringify(shape)} === 'busy') {
      child.addTimer(60_000, () => {});
      child.addTask((signal) => new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true })));
      child.addTeardown(() => {});
      child.stop$.subscribe(() => {});
    }
  }
  if (${JSON.stringify(shape)} === 'busy') root.events$.subscribe(() => void events++);
  await root.start();
  if (root.state !== 'running' || root.children.some((c) => c.state !== 'running')) throw new Error('not running');
  await root.stop();
  if (root.state !== 'stopped' || root.children.some((c) => c.state !== 'stopped')) throw new Error('not stopped');
  if (${keepEveryRoot}) kept.push(root);
}
for (let i = 0; i < ${HALF / 5}; i++) await cycle();
const h0 = await settled();
for (let i = 0; i < ${HALF}; i++) await cycle();
const h1 = await settled();
for (let i = 0; i < ${HALF}; i++) await cycle();
const h2 = await settled();
console.log(JSON.stringify({ cycles: ${HALF}, firstHalfBytes: h1 - h0, secondHalfBytes: h2 - h1, bytesPerCycle: (h2 - h1) / ${HALF}, kept: kept.length }));
`;

async function measure(shape: Shape, keepEveryRoot = false): Promise<Growth> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script(shape, keepEveryRoot)],
    { timeout: 120_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Growth;
}

describe('Service', () => {
  describe('start/stop cycles (the W3 leak check)', function () {
    this.timeout(180_000);

    it('returns the heap to its baseline after thousands of cycles of a root with 3 children', async () => {
      const growth = await measure('plain');
      expect(growth.bytesPerCycle, JSON.stringify(growth)).to.be.below(BOUND);
    });

    it('returns the heap to its baseline when the children have a timer, a task, a teardown and stop$ subscribers', async () => {
      const growth = await measure('busy');
      expect(growth.bytesPerCycle, JSON.stringify(growth)).to.be.below(BOUND);
    });

    it('detects a leak of one stopped tree per cycle (the check can fail)', async () => {
      const growth = await measure('plain', true);
      expect(growth.bytesPerCycle, JSON.stringify(growth)).to.be.above(BOUND);
    });
  });
});
