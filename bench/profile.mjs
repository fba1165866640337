// Profiles one workload process with V8's sampling profilers and prints where the time goes (the
// functions with the most self time, and the rxmode functions with their inclusive time) or, with
// --heap, which functions allocate the most.
// usage: node bench/profile.mjs <w1..w7> <variant> [--impl rxmode] [--heap] [--top 25] [--keep]
//        (BENCH_* environment variables shrink the workload as for the benchmarks themselves)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [workload, variant] = process.argv.slice(2);
const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
if (!workload || !variant) {
  console.error(
    'usage: node bench/profile.mjs <w1..w7> <variant> [--impl rxmode] [--heap] [--top 25] [--keep]',
  );
  process.exit(2);
}
const impl = option('--impl', 'rxmode');
const file = impl === 'floor' || impl === 'rxmode' ? `bench/${impl}.ts` : `bench/peers/${impl}.mjs`;
const top = Number(option('--top', 25));
const dir = mkdtempSync(path.join(os.tmpdir(), 'rxmode-prof-'));
const heap = process.argv.includes('--heap');
// --heap-prof keeps only what is still alive at exit; the sampler preload also counts collected objects
const profiler = heap
  ? ['--import', './bench/alloc-sampler.mjs']
  : ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '100'];
execFileSync(process.execPath, ['--expose-gc', ...profiler, '--import', 'tsx', file, workload, variant], {
  cwd: root,
  env: { ...process.env, RXMODE_ALLOC_PROFILE: path.join(dir, 'alloc.heapprofile') },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const profileFile = readdirSync(dir).find((f) => f.endsWith(heap ? '.heapprofile' : '.cpuprofile'));
const profile = JSON.parse(readFileSync(path.join(dir, profileFile), 'utf8'));
const label = (n) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const file = url.replace(/^file:\/\//, '').replace(`${root}/`, '');
  // sources loaded through tsx arrive as one line: their line numbers mean nothing
  const where = file && lineNumber > 0 ? `${file}:${lineNumber + 1}` : file;
  return `${functionName || '(anonymous)'} ${where}`.trim();
};
const pctOf = (part, whole) => `${((100 * part) / whole).toFixed(1).padStart(5)}%`;

if (heap) {
  // sampled allocations still live at the end, and every sample: selfSize per function
  const bySelf = new Map();
  const walk = (node) => {
    bySelf.set(label(node), (bySelf.get(label(node)) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const total = [...bySelf.values()].reduce((a, b) => a + b, 0);
  console.log(
    `\n${impl} ${workload} ${variant}: ${(total / 1e6).toFixed(1)} MB allocated (sampled, collected objects included)\n`,
  );
  for (const [l, bytes] of [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${pctOf(bytes, total)}  ${(bytes / 1e6).toFixed(1).padStart(7)} MB  ${l}`);
  }
  if (process.argv.includes('--keep')) console.log(`\nprofile: ${path.join(dir, profileFile)}`);
  else rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

// every node's self time from its samples
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// the workload itself: leave out idle time and module loading (tsx, the ESM loader, compilation)
const loading = /node:internal\/(modules|bootstrap|main)|tsx\/dist|node:internal\/source_map/;
const stackOf = (id) => {
  const frames = [];
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) frames.push(label(byId.get(cur)));
  return frames;
};
let total = 0;
const self = new Map();
const inclusive = new Map();
for (const [id, us] of selfUs) {
  const frames = stackOf(id);
  const leaf = frames[0];
  if (leaf.startsWith('(idle)') || leaf.startsWith('(program)') || leaf.startsWith('(root)')) continue;
  if (frames.some((f) => loading.test(f))) continue;
  total += us;
  self.set(leaf, (self.get(leaf) ?? 0) + us);
  // inclusive: once per distinct function on the stack of this sample
  for (const l of new Set(frames)) inclusive.set(l, (inclusive.get(l) ?? 0) + us);
}
const pct = (us) => pctOf(us, total);
console.log(
  `\n${impl} ${workload} ${variant}: ${(total / 1000).toFixed(0)} ms of workload sampled (idle and module loading left out)\n\nself time:`,
);
for (const [l, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${l}`);
console.log('\ninclusive time of rxmode functions (lib/):');
for (const [l, us] of [...inclusive]
  .filter(([l]) => l.includes(' lib/'))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)) {
  console.log(`${pct(us)}  ${l}`);
}
if (process.argv.includes('--keep')) console.log(`\nprofile: ${path.join(dir, profileFile)}`);
else rmSync(dir, { recursive: true, force: true });
