// Compares two revisions of rxmode in one process, their rounds alternated, so that the machine's
// load hits both alike: separate processes on a shared machine move the same revision's figures by
// up to 2×, which hides any change smaller than that. Each revision's lib/ is exported with
// `git archive` into a temporary folder and loaded from source (tsx), as the benchmarks load it.
// usage: node bench/ab.mjs <rev-a> <rev-b> [--workload w1|w1-par|w2|w2-par|w7|w7-par]
//                                          [--rounds 80] [--skip 10]
// A revision is anything git names (a commit, a branch, HEAD~2) or `.` for the working tree.
// Prints, per revision, the median and the minimum over the rounds after the first `--skip` ones.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const option = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const WORKLOADS = ['w1', 'w1-par', 'w2', 'w2-par', 'w7', 'w7-par'];

if (process.env.RXMODE_AB_CHILD) {
  await measure(JSON.parse(process.env.RXMODE_AB_CHILD));
} else {
  const revisions = process.argv.slice(2, 4);
  const workload = option('--workload', 'w1');
  const rounds = Number(option('--rounds', 80));
  const skip = Number(option('--skip', 10));
  if (revisions.length < 2 || revisions.some((r) => r.startsWith('--')) || !WORKLOADS.includes(workload)) {
    console.error(
      `usage: node bench/ab.mjs <rev-a> <rev-b> [--workload ${WORKLOADS.join('|')}] [--rounds 80] [--skip 10]`,
    );
    process.exit(2);
  }
  if (!(Number.isInteger(rounds) && Number.isInteger(skip) && rounds > skip && skip >= 0)) {
    console.error(
      `--rounds must be an integer above --skip (a non-negative integer); got ${rounds} and ${skip}`,
    );
    process.exit(2);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rxmode-ab-'));
  try {
    const dirs = revisions.map((revision, i) => {
      if (revision === '.') return root;
      const into = path.join(dir, `${i}`);
      mkdirSync(into);
      const archive = execFileSync('git', ['archive', revision, 'lib', 'package.json', 'tsconfig.json'], {
        cwd: root,
        maxBuffer: 256 * 1024 * 1024,
      });
      execFileSync('tar', ['-x', '-C', into], { input: archive });
      symlinkSync(path.join(root, 'node_modules'), path.join(into, 'node_modules'));
      return into;
    });
    execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url)], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, RXMODE_AB_CHILD: JSON.stringify({ revisions, dirs, workload, rounds, skip }) },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The child process: loads both revisions, alternates their rounds, prints the medians. */
async function measure({ revisions, dirs, workload, rounds, skip }) {
  const modules = await Promise.all(
    dirs.map((d) => import(pathToFileURL(path.join(d, 'lib/index.ts')).href)),
  );
  const parallel = workload.endsWith('-par');
  const options = parallel ? { startConcurrency: 'parallel', stopConcurrency: 'parallel' } : undefined;
  const fanOut = (level) => (level === 0 ? 2 : level < 7 ? 4 : 0); // bench/harness.ts: W2 and W7
  const tree = (Service, level = 0) => {
    const node = new Service(options);
    for (let i = fanOut(level); i > 0; i--) node.addDependency(tree(Service, level + 1));
    return node;
  };
  const flat = (Service) => {
    const node = new Service(options);
    for (let i = 0; i < 10_000; i++) node.addDependency(new Service(options));
    return node;
  };
  /** One round: build (not timed), start and stop; ns per node. */
  const round = async ({ Service }) => {
    const root = workload.startsWith('w1') ? flat(Service) : tree(Service);
    let nodes = 0;
    const count = (s) => {
      nodes++;
      for (const child of s.children) count(child);
    };
    count(root);
    if (workload.startsWith('w7')) root.events$.subscribe(() => {});
    const t0 = performance.now();
    await root.start();
    await root.stop();
    return ((performance.now() - t0) * 1e6) / nodes;
  };
  const figures = modules.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < modules.length; i++) figures[i].push(await round(modules[i]));
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  console.log(`${workload}: ${rounds} rounds per revision, alternated, the first ${skip} left out`);
  revisions.forEach((revision, i) => {
    const kept = figures[i].slice(skip);
    console.log(
      `${revision.padEnd(12)} median ${Math.round(median(kept))} ns/node · min ${Math.round(Math.min(...kept))} ns/node`,
    );
  });
}
