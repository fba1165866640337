// Builds the published package. ESM: one esbuild pass bundles every entry point of the `exports` map
// (and every file rxmode/node launches as a thread) into dist/esm, code shared between entries in
// chunks, while `tsc` writes the declarations beside them. CommonJS: plain `tsc`, one file per
// source, into dist/cjs. Then it checks that every target of the package's `exports` map exists, so
// an entry point added to package.json without a build fails here.
// Usage: `node scripts/build.mjs` (npm run build). Exits non-zero on the first failure.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildDashboard } from './build-dashboard.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * One line per group of entry points: the tsconfig writing the ESM declarations (into dist/esm; the
 * ESM code comes from esbuild) and the one emitting CommonJS (into dist/cjs). The CJS tsconfig
 * extends the ESM one and sets `module: commonjs`, `moduleResolution: node10`,
 * `verbatimModuleSyntax: false`, `outDir: dist/cjs`.
 */
const PROJECTS = [
  { esm: 'tsconfig.json', cjs: 'tsconfig.cjs.json' }, // rxmode, rxmode/testing (lib/ except lib/node)
  { esm: 'tsconfig.node.json', cjs: 'tsconfig.node.cjs.json' }, // rxmode/node (lib/node)
];

/**
 * The modules rxmode/node starts as threads, under lib/ without extension: each is an entry point of
 * the ESM bundle of its own, so it lands at the same path under dist/esm as its source under lib/
 * (`thread/entry` in lib/node/thread/boot.ts, `watchdog/entry` in lib/node/watchdog/watchdog.ts).
 */
const THREAD_ENTRIES = ['node/thread/entry', 'node/watchdog/entry'];

/** The module that locates the rxmode/node folder (lib/node/module-dir.ts), and its folder in dist/esm. */
const MODULE_DIR_SOURCE = 'lib/node/module-dir.ts';
const NODE_FOLDER = 'node';

const DIST = join(root, 'dist');
const ESM_DIR = join(DIST, 'esm');
const CJS_DIR = join(DIST, 'cjs');

const tscBin = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');

/** Runs `tsc -p <project> ...extra`; resolves when it exits 0, rejects with its output otherwise. */
function tsc(project, extra = []) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [tscBin, '-p', project, '--pretty', 'false', ...extra], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0 ? done() : fail(new Error(`tsc -p ${project} failed (exit ${code}):\n${output}`)),
    );
  });
}

/** Runs the projects one after the other (passes writing the same directory never overlap). */
async function inSequence(projects, extra) {
  for (const project of projects) await tsc(project, extra);
}

/** Every file path named in the `exports` map (conditions nested to any depth; `null` skipped). */
function exportTargets(node, into = []) {
  if (typeof node === 'string') into.push(node);
  else if (node !== null && typeof node === 'object')
    for (const v of Object.values(node)) exportTargets(v, into);
  return into;
}

/**
 * The ESM entry points, by output path under dist/esm without extension: the `import` target of
 * every subpath of the `exports` map (`./dist/esm/node/index.js` → `lib/node/index.ts`), then the
 * thread entries.
 */
function esmEntryPoints(pkg) {
  const entries = {};
  for (const [subpath, conditions] of Object.entries(pkg.exports)) {
    const target = conditions?.import?.default ?? conditions?.import;
    if (typeof target !== 'string' || !target.startsWith('./dist/esm/')) continue;
    const name = target.slice('./dist/esm/'.length).replace(/\.js$/, '');
    const source = `lib/${name}.ts`;
    if (!existsSync(join(root, source)))
      throw new Error(`exports["${subpath}"] points at ${target}, but ${source} does not exist`);
    entries[name] = source;
  }
  for (const name of THREAD_ENTRIES) entries[name] = `lib/${name}.ts`;
  return entries;
}

/** esbuild options of the ESM bundle; `nodeDir` is what module-dir.ts is told (see bundleEsm). */
const esmOptions = (entryPoints, nodeDir, write) => ({
  absWorkingDir: root,
  entryPoints,
  outdir: ESM_DIR,
  bundle: true,
  splitting: true, // one copy of the core for every entry point: instanceof and symbol keys agree
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'neutral', // the core is browser-safe; rxmode/node imports `node:*`, left external
  target: 'es2022',
  packages: 'external', // rxjs, croner (a lazy `import()` stays one), the optional peers, esbuild
  keepNames: true, // `new.target.name` names services: a class renamed apart from another keeps its name
  sourcemap: true,
  sourcesContent: true,
  metafile: true,
  write,
  define: { RXMODE_NODE_DIR_FROM_BUNDLE: JSON.stringify(nodeDir) },
  logLevel: 'warning',
});

/** The output file (absolute) that holds `source`'s code, from an esbuild metafile. */
function outputHolding(metafile, source) {
  const found = Object.entries(metafile.outputs).find(
    ([file, output]) => !file.endsWith('.map') && Object.hasOwn(output.inputs, source),
  );
  if (!found) throw new Error(`the ESM bundle holds no code of ${source}`);
  return resolve(root, found[0]);
}

/**
 * Bundles the ESM build. module-dir.ts finds the rxmode/node folder from the file its code sits in,
 * which esbuild chooses (the rxmode/node entry, or a chunk when other entries share the code), so a
 * first pass (nothing written) finds that file and the second is told the way from it to the folder.
 * Which module lands in which file does not depend on that string: the check after the second pass
 * only guards this.
 */
async function bundleEsm(pkg) {
  const entryPoints = esmEntryPoints(pkg);
  const nodeFolder = join(ESM_DIR, NODE_FOLDER);
  const probe = await build(esmOptions(entryPoints, '.', false));
  const holder = outputHolding(probe.metafile, MODULE_DIR_SOURCE);
  const nodeDir = relative(dirname(holder), nodeFolder).split(sep).join('/') || '.';
  const result = await build(esmOptions(entryPoints, nodeDir, true));
  const written = outputHolding(result.metafile, MODULE_DIR_SOURCE);
  if (resolve(dirname(written), nodeDir) !== nodeFolder)
    throw new Error(`${MODULE_DIR_SOURCE} moved between the two esbuild passes (${holder} → ${written})`);
  return result.metafile;
}

async function main() {
  const started = performance.now();
  await rm(DIST, { recursive: true, force: true });
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

  // ESM declarations, the ESM bundle and the CJS passes write different files, so the three run
  // side by side; the declaration passes also type-check what esbuild bundles without checking.
  const [, metafile] = await Promise.all([
    inSequence(
      PROJECTS.map((p) => p.esm),
      ['--emitDeclarationOnly'],
    ),
    bundleEsm(pkg),
    inSequence(PROJECTS.map((p) => p.cjs)),
  ]);

  // The package is `"type": "module"`: this marker makes Node read dist/cjs/**/*.js as CommonJS.
  await mkdir(CJS_DIR, { recursive: true });
  await writeFile(join(CJS_DIR, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
  await buildDashboard(root); // the dashboard's page script, beside rxmode/node

  const targets = [...exportTargets(pkg.exports), pkg.main, pkg.module, pkg.types].filter(
    (t) => typeof t === 'string' && !t.includes('*'),
  );
  const missing = targets.filter((t) => !existsSync(join(root, t)));
  if (missing.length > 0) {
    throw new Error(
      `package.json points at files the build did not produce: ${missing.join(', ')}\n` +
        'Add the tsconfig pair that compiles them to PROJECTS in scripts/build.mjs.',
    );
  }

  const esmFiles = Object.keys(metafile.outputs).filter((file) => !file.endsWith('.map'));
  const chunks = esmFiles.filter((file) => file.includes('/chunks/')).length;
  const ms = Math.round(performance.now() - started);
  console.log(
    `built ${relative(root, DIST)}/ (esm: ${esmFiles.length - chunks} entry points + ${chunks} chunks; ` +
      `cjs: ${PROJECTS.length} tsc project(s)) in ${ms} ms`,
  );
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
