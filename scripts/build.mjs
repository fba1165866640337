// Builds the published package: ESM into dist/esm and CommonJS into dist/cjs with plain `tsc`,
// one pair of tsconfigs per group of entry points, then checks that every target of the package's
// `exports` map exists, so an entry point added to package.json without a build fails here.
// Usage: `node scripts/build.mjs` (npm run build). Exits non-zero on the first failure.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildDashboard } from './build-dashboard.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * One line per group of entry points: the tsconfig emitting ESM (into dist/esm) and the one
 * emitting CommonJS (into dist/cjs). The CJS tsconfig extends the ESM one and sets
 * `module: commonjs`, `moduleResolution: node10`, `verbatimModuleSyntax: false`, `outDir: dist/cjs`.
 */
const PROJECTS = [
  { esm: 'tsconfig.json', cjs: 'tsconfig.cjs.json' }, // rxmode, rxmode/testing (lib/ except lib/node)
  { esm: 'tsconfig.node.json', cjs: 'tsconfig.node.cjs.json' }, // rxmode/node (lib/node)
];

const DIST = join(root, 'dist');
const CJS_DIR = join(DIST, 'cjs');

const tscBin = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');

/** Runs `tsc -p <project>`; resolves when it exits 0, rejects with its output otherwise. */
function tsc(project) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [tscBin, '-p', project, '--pretty', 'false'], {
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
async function inSequence(projects) {
  for (const project of projects) await tsc(project);
}

/** Every file path named in the `exports` map (conditions nested to any depth; `null` skipped). */
function exportTargets(node, into = []) {
  if (typeof node === 'string') into.push(node);
  else if (node !== null && typeof node === 'object')
    for (const v of Object.values(node)) exportTargets(v, into);
  return into;
}

async function main() {
  const started = performance.now();
  await rm(DIST, { recursive: true, force: true });

  // The ESM passes and the CJS passes write different trees, so the two chains run side by side.
  await Promise.all([inSequence(PROJECTS.map((p) => p.esm)), inSequence(PROJECTS.map((p) => p.cjs))]);

  // The package is `"type": "module"`: this marker makes Node read dist/cjs/**/*.js as CommonJS.
  await mkdir(CJS_DIR, { recursive: true });
  await writeFile(join(CJS_DIR, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
  await buildDashboard(root); // the dashboard's page script, beside rxmode/node

  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
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

  const ms = Math.round(performance.now() - started);
  console.log(`built ${relative(root, DIST)}/ (esm + cjs, ${PROJECTS.length} project pair(s)) in ${ms} ms`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
