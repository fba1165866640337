// What the `rxmode` entry point costs before any service runs: its size bundled and minified with
// esbuild (rxjs external, gzipped), and the start-up time `import 'rxmode'` adds to a Node process that
// already imports rxjs, as shipped in dist/esm (built first when it is missing or older than lib/).
// Prints one JSON line per figure. usage: node bench/size.mjs [--imports 40]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { Buffer } from 'node:buffer';
import os from 'node:os';
import { build, buildSync } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'lib/index.ts');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const IMPORT_RUNS = Number(arg('--imports', 40));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const emit = (row) => process.stdout.write(`${JSON.stringify({ impl: 'rxmode', ...row })}\n`);

// ─── bundle size ─────────────────────────────────────────────────────────────────────────────────

const sizes = (code) => ({
  minifiedBytes: code.length,
  gzipBytes: gzipSync(code, { level: 9 }).length,
  brotliBytes: brotliCompressSync(code).length,
});

async function bundle(external, only) {
  // `only`: what an application importing just these names pays once its bundler drops the rest
  const virtualEntry = {
    name: 'entry',
    setup(b) {
      b.onResolve({ filter: /^rxmode-entry$/ }, () => ({ path: 'rxmode-entry', namespace: 'entry' }));
      b.onLoad({ filter: /.*/, namespace: 'entry' }, () => ({
        contents: only
          ? `export { ${only} } from ${JSON.stringify(entry)};`
          : `export * from ${JSON.stringify(entry)};`,
        resolveDir: root,
        loader: 'ts',
      }));
    },
  };
  // Code splitting, as an application's bundler does: what rxmode loads on first use (croner, for
  // cron jobs) lands in chunks of its own, fetched only when used; the figure is the entry chunk.
  const result = await build({
    entryPoints: ['rxmode-entry'],
    plugins: [virtualEntry],
    bundle: true,
    splitting: true,
    outdir: 'out',
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const outputs = result.metafile.outputs;
  const entryFile = Object.keys(outputs).find((file) => outputs[file].entryPoint);
  const byPath = new Map(result.outputFiles.map((file) => [path.relative(process.cwd(), file.path), file]));
  const code = byPath.get(entryFile).contents;
  // chunks the entry needs at once (imported statically) count with it; dynamic ones do not
  const eager = outputs[entryFile].imports.filter((i) => i.kind === 'import-statement' && byPath.has(i.path));
  const entryCode = Buffer.concat([code, ...eager.map((i) => byPath.get(i.path).contents)]);
  const lazy = [...byPath.keys()].filter((file) => file !== entryFile && !eager.some((i) => i.path === file));
  const lazyCode = Buffer.concat(lazy.map((file) => byPath.get(file).contents));
  return { ...sizes(entryCode), lazyGzipBytes: lazy.length ? gzipSync(lazyCode, { level: 9 }).length : 0 };
}

emit({ workload: 'bundle', variant: 'rxjs external', ...(await bundle(['rxjs', 'rxjs/*'])) });
emit({
  workload: 'bundle',
  variant: 'rxjs+croner external',
  ...(await bundle(['rxjs', 'rxjs/*', 'croner'])),
});
emit({
  workload: 'bundle',
  variant: 'Service only, rxjs external',
  ...(await bundle(['rxjs', 'rxjs/*'], 'Service')),
});

// ─── import cost ─────────────────────────────────────────────────────────────────────────────────
// The library as a consumer loads it: the shipped dist/esm (scripts/build.mjs: each entry point
// bundled, code shared between entry points in chunks), built first when it is missing or older than
// the sources, so the figure never comes from a stale build.

const distEntry = path.join(root, 'dist/esm/index.js');
/** The newest modification time of the files under `dir` (recursively), in ms. */
const newest = (dir) => {
  let latest = 0;
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, item.name);
    latest = Math.max(latest, item.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
};
const builtAt = existsSync(distEntry) ? statSync(distEntry).mtimeMs : 0;
const inputsAt = Math.max(
  newest(path.join(root, 'lib')),
  statSync(path.join(root, 'package.json')).mtimeMs,
  statSync(path.join(root, 'scripts/build.mjs')).mtimeMs,
);
if (builtAt < inputsAt) {
  process.stderr.write(`${builtAt ? 'dist/esm is older than lib/' : 'dist/esm is missing'}: building it\n`);
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
}

/** The files of dist/esm that `import 'rxmode'` loads: the entry and the chunks it imports statically. */
const loaded = (() => {
  const { inputs } = buildSync({
    absWorkingDir: root,
    entryPoints: [distEntry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    packages: 'external',
    logLevel: 'silent',
  }).metafile;
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of inputs[file]?.imports ?? [])
      if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit('dist/esm/index.js'); // metafile paths are relative to absWorkingDir, with `/`
  return [...seen].map((file) => path.join(root, file));
})();

const out = path.join(root, 'bench/results/.import-cost');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// The same entry bundled into one module (rxjs and croner left out): how much of the cost is the
// number of modules the loader resolves, fetches and links, rather than the code itself.
await build({
  entryPoints: [entry],
  outfile: path.join(out, 'bundle/index.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  external: ['rxjs', 'rxjs/*', 'croner'],
  logLevel: 'silent',
});
const sourceModules = (
  await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    external: ['rxjs', 'rxjs/*', 'croner'],
    logLevel: 'silent',
  })
).metafile.inputs;
const libEntry = pathToFileURL(distEntry).href;
const bundledEntry = pathToFileURL(path.join(out, 'bundle/index.js')).href;
// Every probe loads node:perf_hooks for its own timing, so the first read of Node's lazy global
// `performance` (about a millisecond, which rxmode defers to its first timer) is in none of the figures.
const probe = (url) => `import 'rxjs';
import { performance } from 'node:perf_hooks';
const t0 = performance.now();
${url ? `await import(${JSON.stringify(url)});` : ''}
process.stdout.write(String(performance.now() - t0));
`;
writeFileSync(path.join(out, 'rxjs-only.mjs'), probe(undefined));
writeFileSync(path.join(out, 'rxjs-and-rxmode.mjs'), probe(libEntry));
writeFileSync(path.join(out, 'rxjs-and-rxmode-bundled.mjs'), probe(bundledEntry));

const wall = { base: [], with: [], bundled: [] };
const inProcess = [];
const inProcessBundled = [];
const once = (file) => {
  const t0 = performance.now();
  const printed = execFileSync(process.execPath, [path.join(out, file)], { cwd: root }).toString();
  return { ms: performance.now() - t0, printed: Number(printed) };
};
once('rxjs-only.mjs'); // warm the file system cache
once('rxjs-and-rxmode.mjs');
once('rxjs-and-rxmode-bundled.mjs');
for (let i = 0; i < IMPORT_RUNS; i++) {
  // alternate, so that a change in machine load hits every side alike
  wall.base.push(once('rxjs-only.mjs').ms);
  const run = once('rxjs-and-rxmode.mjs');
  wall.with.push(run.ms);
  inProcess.push(run.printed);
  const bundled = once('rxjs-and-rxmode-bundled.mjs');
  wall.bundled.push(bundled.ms);
  inProcessBundled.push(bundled.printed);
}
const load = os.loadavg().map((x) => round(x, 2));
emit({
  workload: 'import',
  variant: 'after rxjs',
  runs: IMPORT_RUNS,
  // ES modules Node loads for `import 'rxmode'` (the entry and its chunks), as before one a source file
  modules: loaded.length,
  from: 'dist/esm',
  loadedBytes: loaded.reduce((sum, file) => sum + statSync(file).size, 0),
  sourceModules: Object.keys(sourceModules).filter((file) => !file.includes('node_modules')).length,
  importMs: round(median(inProcess)),
  processRxjsOnlyMs: round(median(wall.base)),
  processWithRxmodeMs: round(median(wall.with)),
  addedStartupMs: round(median(wall.with) - median(wall.base)),
  load,
});
emit({
  workload: 'import',
  variant: 'after rxjs, entry bundled into one module',
  runs: IMPORT_RUNS,
  modules: 1,
  importMs: round(median(inProcessBundled)),
  processRxjsOnlyMs: round(median(wall.base)),
  processWithRxmodeMs: round(median(wall.bundled)),
  addedStartupMs: round(median(wall.bundled) - median(wall.base)),
  load,
});
rmSync(out, { recursive: true, force: true });
