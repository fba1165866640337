// Runs the benchmarks: every workload (W1–W8) for the raw floor and rxmode (and, with --peers, Effect,
// XState and avvio), each measurement in a fresh `node --expose-gc --import tsx` process, several runs
// interleaved, medians; then the bundle size and import cost. Prints a Markdown table with each figure
// and its ratio to the floor of the same run; --json FILE writes every row as a JSON line.
//
// usage: node bench/run.mjs [--peers] [--runs 5] [--only w1,w3,size] [--json FILE] [--quick]
//        node bench/run.mjs --from FILE      (prints the table of an earlier --json file)
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};

const WORKLOADS = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8'];
const IMPLS = [
  { impl: 'floor', file: 'bench/floor.ts' },
  { impl: 'rxmode', file: 'bench/rxmode.ts' },
];
const PEERS = [
  { impl: 'effect', file: 'bench/peers/effect.mjs' },
  { impl: 'xstate', file: 'bench/peers/xstate.mjs' },
  { impl: 'avvio', file: 'bench/peers/avvio.mjs' },
];
/**
 * XState's W1 is quadratic (each spawn and stop copies the parent's children): one round, one run.
 * rxmode's sequential W8 takes the sum of every hook (about 2.2 s a round): 3 rounds.
 */
const OVERRIDES = {
  'xstate/w1': { runs: 1, env: { BENCH_ROUNDS: '1', BENCH_WARMUP: '0', BENCH_HEAP_ROUNDS: '1' } },
  'rxmode/w8/seq': { env: { BENCH_W8_ROUNDS: '3' } },
};
const QUICK_ENV = {
  BENCH_ROUNDS: '3',
  BENCH_WARMUP: '1',
  BENCH_HEAP_ROUNDS: '1',
  BENCH_W3_CYCLES: '20000',
  BENCH_W5_SENDS: '200000',
  BENCH_W8_ROUNDS: '2',
};

/** The headline figure of each workload, the floor variant ratios are taken against, the target. */
const HEADLINE = {
  w1: { key: 'nsPerNode', unit: 'ns/node', reference: 'rx', limit: 2 },
  w2: { key: 'nsPerNode', unit: 'ns/node', reference: 'rx', limit: 2 },
  w3: { key: 'nsPerCycle', unit: 'ns/cycle', reference: 'rx', limit: 2.5 },
  w4: { key: 'heapBytesPerService', unit: 'B/service', reference: 'rx', limit: 1.5 },
  w5: { key: 'nsPerSend', unit: 'ns/send', reference: 'subject', limit: 1.5 },
  w6: { key: 'driftP99Ms', unit: 'ms drift p99', reference: 'setTimeout-corrected' },
  w7: { key: 'nsPerNode', unit: 'ns/node', reference: 'rx', limit: 1.5 },
};
const TITLES = {
  w1: 'W1 root + 10,000 children, start + stop',
  w2: 'W2 tree of 10,923 (depth 7), start + stop',
  w3: 'W3 root + 3 children, 100,000 start/stop cycles',
  w4: 'W4 idle running service with one state subscriber (N = 10,000)',
  w5: 'W5 one emitter, 10 receivers, 1,000,000 sends',
  w6: 'W6 100 timers of 10 ms for 2 s',
  w7: 'W7 W2 with a subscriber on the root events$',
  w8: 'W8 application graph of 60 services (seeded), boot and shutdown against the critical paths',
  bundle: 'Bundle: the rxmode entry, esbuild bundle + minify, gzip -9',
  import: "Import: start-up time added by import 'rxmode' after rxjs",
};
/** W8: boot and shutdown within this factor of their critical paths (rxmode's graph variant). */
const GRAPH_LIMIT = 1.1;
const BUNDLE_LIMIT = 12 * 1024;
const IMPORT_LIMIT_MS = 15;

/** The 1-minute load average: other processes on the machine skew every figure. */
const load1 = () => Math.round(os.loadavg()[0] * 100) / 100;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, digits = 0) =>
  x === undefined || Number.isNaN(x)
    ? '—'
    : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

// ─── running ─────────────────────────────────────────────────────────────────────────────────────

async function variantsOf(file) {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', file, 'list'], { cwd: root });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

/** One workload process; resolves with its last JSON line. */
async function measure(file, workload, variant, env) {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', file, workload, variant],
    { cwd: root, env: { ...process.env, ...env }, maxBuffer: 1 << 24, timeout: 20 * 60_000 },
  );
  const lines = stdout.split('\n').filter((l) => l.startsWith('{'));
  if (lines.length === 0) throw new Error(`no result from ${file} ${workload} ${variant}`);
  return { ...JSON.parse(lines.at(-1)), load1: load1() };
}

/** Median of every numeric field over the runs; the raw runs are kept. */
function combine(rows) {
  const out = { ...rows[0] };
  for (const key of Object.keys(out)) {
    if (typeof out[key] === 'number') out[key] = median(rows.map((r) => r[key]));
  }
  return { ...out, runs: rows.length, raw: rows };
}

async function measureAll({ runs, only, impls, json, quick }) {
  const rows = [];
  const record = (row) => {
    rows.push(row);
    if (json) appendFileSync(json, `${JSON.stringify(row)}\n`);
  };
  const baseEnv = quick ? QUICK_ENV : {};
  const listed = await Promise.all(impls.map(async (x) => ({ ...x, variants: await variantsOf(x.file) })));
  for (const workload of WORKLOADS.filter((w) => only.includes(w))) {
    const jobs = [];
    for (const x of listed) {
      for (const variant of x.variants[workload] ?? []) {
        const override = OVERRIDES[`${x.impl}/${workload}/${variant}`] ?? OVERRIDES[`${x.impl}/${workload}`];
        jobs.push({
          ...x,
          variant,
          runs: Math.min(runs, override?.runs ?? runs),
          env: { ...baseEnv, ...override?.env },
          results: [],
        });
      }
    }
    // interleaved: run i of every job before run i + 1 of any, so load changes hit all alike
    for (let i = 0; i < runs; i++) {
      for (const job of jobs.filter((j) => i < j.runs)) {
        process.stderr.write(`${workload} ${job.impl}/${job.variant} run ${i + 1}/${job.runs}\n`);
        try {
          job.results.push(await measure(job.file, workload, job.variant, job.env));
        } catch (error) {
          process.stderr.write(`  failed: ${String(error.message ?? error).split('\n')[0]}\n`);
          job.error = String(error.message ?? error).split('\n')[0];
        }
      }
    }
    for (const job of jobs) {
      if (job.results.length > 0) record(combine(job.results));
      else record({ impl: job.impl, variant: job.variant, workload, error: job.error ?? 'no result' });
    }
  }
  if (only.includes('size')) {
    process.stderr.write('bundle size and import cost\n');
    const { stdout } = await run(process.execPath, ['bench/size.mjs', '--imports', quick ? '10' : '40'], {
      cwd: root,
      maxBuffer: 1 << 20,
    });
    for (const line of stdout.split('\n').filter((l) => l.startsWith('{'))) record(JSON.parse(line));
  }
  return rows;
}

// ─── the table ───────────────────────────────────────────────────────────────────────────────────

function details(row) {
  switch (row.workload) {
    case 'w1':
    case 'w2':
    case 'w7':
      return [
        `start ${fmt(row.startMs, 1)} ms`,
        `stop ${fmt(row.stopMs, 1)} ms`,
        `${fmt(row.heapBytesPerNode)} B/node`,
        row.eventsSeen !== undefined ? `${fmt(row.eventsSeen)} events` : undefined,
        row.vsBaseline !== undefined ? `${fmt(row.vsBaseline, 2)}× the same tree unmonitored` : undefined,
      ]
        .filter(Boolean)
        .join(' · ');
    case 'w3':
      return `2nd-half heap growth ${fmt(row.bytesPerCycleSecondHalf, 2)} B/cycle`;
    case 'w4':
      return `after stop ${fmt(row.heapAfterStopBytesPerService, 1)} B/service`;
    case 'w5':
      return `${fmt(row.sendsPerSec)} sends/s`;
    case 'w6':
      return [
        `ticks ${fmt(row.ticks)}/${fmt(row.idealTicks)}`,
        `double fires ${fmt(row.doubleFires)}`,
        `drift mean ${fmt(row.driftMeanMs, 2)} ms, max ${fmt(row.driftMaxMs, 2)} ms`,
      ].join(' · ');
    default:
      return '';
  }
}

/** ✓ or ✗ against the issue's target, for rxmode rows that have one. */
function verdict(row, ratio) {
  if (row.impl !== 'rxmode') return '';
  const ok = (pass, text) => `${pass ? '✓' : '✗'} ${text}`;
  switch (row.workload) {
    case 'w1':
    case 'w2':
      return ok(ratio <= 2, '≤ 2× floor');
    case 'w3':
      return ok(ratio <= 2.5 && row.bytesPerCycleSecondHalf < 1, '≤ 2.5× floor, < 1 B/cycle');
    case 'w4':
      return ok(ratio <= 1.5, '≤ 1.5× floor');
    case 'w5':
      return row.variant === 'sync-signal' ? ok(ratio <= 1.5, '≤ 1.5× Subject') : '';
    case 'w6':
      return ok(
        row.ticks === row.idealTicks && row.doubleFires === 0 && row.driftP99Ms <= 1,
        'all ticks, no double fire, p99 ≤ 1 ms',
      );
    case 'w7':
      // measured against the same tree without the monitor, in the same process, round after round
      return row.vsBaseline === undefined
        ? ''
        : ok(row.vsBaseline <= 1.5, `${fmt(row.vsBaseline, 2)}× W2 (≤ 1.5×)`);
    default:
      return '';
  }
}

function table(rows) {
  const lines = [];
  const workloads = [...WORKLOADS, 'bundle', 'import'].filter((w) => rows.some((r) => r.workload === w));
  for (const workload of workloads) {
    const group = rows.filter((r) => r.workload === workload);
    const loads = group.map((r) => r.load1).filter((x) => typeof x === 'number');
    const load = loads.length ? ` (1-min load average ${fmt(median(loads), 1)})` : '';
    lines.push(`\n**${TITLES[workload]}**${load}\n`);
    if (workload === 'bundle') {
      lines.push(
        '| what is bundled | minified | gzip | brotli | loaded on first use (gzip) | target |',
        '|---|---:|---:|---:|---:|---|',
      );
      for (const r of group) {
        const check =
          r.variant === 'Service only, rxjs external'
            ? `${r.gzipBytes <= BUNDLE_LIMIT ? '✓' : '✗'} ≤ 12 KiB gzip`
            : '';
        const names = {
          'rxjs external': 'the whole `rxmode` entry, rxjs external',
          'rxjs+croner external': 'the whole entry, rxjs and croner external',
          'Service only, rxjs external': '`export { Service }` only (tree-shaken), rxjs external',
        };
        lines.push(
          `| ${names[r.variant] ?? r.variant} | ${fmt(r.minifiedBytes)} B | ${fmt(r.gzipBytes)} B | ${fmt(r.brotliBytes)} B | ${r.lazyGzipBytes ? `${fmt(r.lazyGzipBytes)} B` : ''} | ${check} |`,
        );
      }
      continue;
    }
    if (workload === 'w8') {
      const limits = group.find((r) => r.criticalBootMs !== undefined);
      if (limits) {
        lines.push(
          `${fmt(limits.services)} services, ${fmt(limits.edges)} edges; critical path: boot ${fmt(limits.criticalBootMs)} ms ` +
            `(${fmt(limits.chainLength)} services), shutdown ${fmt(limits.criticalShutdownMs)} ms; ` +
            `sequential: boot ${fmt(limits.sumStartMs)} ms, shutdown ${fmt(limits.sumStopMs)} ms\n`,
        );
      }
      lines.push(
        '| impl | variant | boot | vs critical path | shutdown | vs critical path | target |',
        '|---|---|---:|---:|---:|---:|---|',
      );
      for (const r of group) {
        if (r.error) {
          lines.push(`| ${r.impl} | ${r.variant} | failed | | | | ${r.error} |`);
          continue;
        }
        const pass = r.bootVsCritical <= GRAPH_LIMIT && r.shutdownVsCritical <= GRAPH_LIMIT;
        const check =
          r.impl === 'rxmode' && r.variant === 'par'
            ? `${pass ? '✓' : '✗'} both ≤ ${GRAPH_LIMIT}× critical path`
            : '';
        lines.push(
          `| ${r.impl} | ${r.variant} | ${fmt(r.bootMs, 1)} ms | ${fmt(r.bootVsCritical, 3)}× | ${fmt(r.shutdownMs, 1)} ms | ${fmt(r.shutdownVsCritical, 3)}× | ${check} |`,
        );
      }
      continue;
    }
    if (workload === 'import') {
      lines.push('| measure | median | target |', '|---|---:|---|');
      for (const r of group) {
        // the entry as it ships (dist/esm: the entry and its shared chunks), then, for reference, bundled into one
        const shipped = r.variant === 'after rxjs';
        const what = shipped ? `rxmode (${r.modules ?? '?'} modules)` : 'rxmode bundled into one module';
        if (shipped) lines.push(`| process start-up, rxjs only | ${fmt(r.processRxjsOnlyMs, 1)} ms | |`);
        lines.push(
          `| process start-up, rxjs then ${what} | ${fmt(r.processWithRxmodeMs, 1)} ms | |`,
          `| added by ${what} (difference of medians, ${r.runs} runs each) | ${fmt(r.addedStartupMs, 1)} ms | ${shipped ? `${r.addedStartupMs <= IMPORT_LIMIT_MS ? '✓' : '✗'} ≤ 15 ms` : ''} |`,
          `| \`await import()\` of ${what}, timed inside the process | ${fmt(r.importMs, 1)} ms | |`,
        );
      }
      continue;
    }
    const head = HEADLINE[workload];
    const reference = group.find((r) => r.impl === 'floor' && r.variant === head.reference);
    lines.push(
      `| impl | variant | ${head.unit} | vs floor ${head.reference} | target | details |`,
      '|---|---|---:|---:|---|---|',
    );
    for (const r of group) {
      if (r.error) {
        lines.push(`| ${r.impl} | ${r.variant} | failed | | | ${r.error} |`);
        continue;
      }
      const value = r[head.key];
      const ratio = reference && workload !== 'w6' ? value / reference[head.key] : undefined;
      const digits = workload === 'w6' ? 2 : workload === 'w5' ? 1 : 0;
      const runs = r.runs > 1 ? '' : ' (1 run)';
      lines.push(
        `| ${r.impl} | ${r.variant}${runs} | ${fmt(value, digits)} | ${ratio === undefined ? '' : `${fmt(ratio, 2)}×`} | ${verdict(r, ratio)} | ${details(r)} |`,
      );
    }
  }
  return lines.join('\n');
}

// ─── main ────────────────────────────────────────────────────────────────────────────────────────

/** The commit measured, and whether lib/ differs from it. */
async function revision() {
  try {
    const head = (await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: root })).stdout.trim();
    const dirty =
      (await run('git', ['status', '--porcelain', '--', 'lib'], { cwd: root })).stdout.trim() !== '';
    return dirty ? `${head} with uncommitted changes in lib/` : head;
  } catch {
    return 'unknown';
  }
}

const machine = () => ({
  workload: 'meta',
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  platform: `${os.platform()} ${os.release()}`,
  loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  date: new Date().toISOString(),
});

if (option('--from')) {
  const rows = readFileSync(option('--from'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const meta = rows.find((r) => r.workload === 'meta');
  if (meta) {
    console.log(
      `rxmode ${meta.revision ?? 'unknown'}; Node ${meta.node}, ${meta.cpus} × ${meta.cpuModel}; ` +
        `load average ${meta.loadavg.join(' ')} at start; ${meta.runs} run(s) per row; ${meta.date}`,
    );
  }
  console.log(table(rows.filter((r) => r.workload !== 'meta')));
} else {
  const quick = flag('--quick');
  const runs = Number(option('--runs', quick ? 1 : 5));
  const only = option('--only', [...WORKLOADS, 'size'].join(',')).split(',');
  const json = option('--json');
  let impls = IMPLS;
  if (flag('--peers')) {
    if (!existsSync(path.join(root, 'bench/peers/node_modules/effect'))) {
      console.error('the peers are not installed: run `npm install` in bench/peers first');
      process.exit(1);
    }
    impls = [...IMPLS, ...PEERS];
  }
  const meta = { ...machine(), revision: await revision() };
  if (json) writeFileSync(json, `${JSON.stringify({ ...meta, runs, quick, peers: flag('--peers') })}\n`);
  const t0 = Date.now();
  const rows = await measureAll({ runs, only, impls, json, quick });
  const end = machine();
  console.log(
    `rxmode ${meta.revision}; Node ${meta.node}, ${meta.cpus} × ${meta.cpuModel}; load average ${meta.loadavg.join(' ')} at start, ` +
      `${end.loadavg.join(' ')} at end; ${runs} run(s) per row; ${Math.round((Date.now() - t0) / 1000)} s`,
  );
  console.log(table(rows));
}
