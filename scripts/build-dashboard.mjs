// Bundles the dashboard's page script into the build: lib/node/dashboard/client/main.ts and the
// browser-safe core it imports, through esbuild, written as dashboard/client.bundle.js in the
// compiled rxmode/node folders (dist/esm/node and dist/cjs/node), where the probe server looks for
// it; tsc never compiles the client. Runs after the build of dist/cjs (it uses the compiled
// dist/cjs/node/dashboard/assets.js, so the bundling options live in one place; dist/esm is bundled
// and has no file of its own for that module).
// Usage: `node scripts/build-dashboard.mjs` or `buildDashboard(root)` from build.mjs.
import { Buffer } from 'node:buffer';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The rxmode/node output folders of the build; the bundle is written into each. */
const NODE_DIRS = ['dist/esm/node', 'dist/cjs/node'];

/**
 * Bundles the page script of the project at `root` and writes it into every rxmode/node output
 * folder; resolves with the files written and the bundle's size in bytes.
 */
export async function buildDashboard(root) {
  const assets = join(root, 'dist/cjs/node/dashboard/assets.js');
  if (!existsSync(assets))
    throw new Error(`${assets} is missing: run scripts/build.mjs before scripts/build-dashboard.mjs`);
  const { bundleDashboardScript, DASHBOARD_BUNDLE, DASHBOARD_ENTRY } = await import(
    pathToFileURL(assets).href
  );
  const code = await bundleDashboardScript(join(root, 'lib/node', `${DASHBOARD_ENTRY}.ts`));
  const files = [];
  for (const dir of NODE_DIRS) {
    if (!existsSync(join(root, dir)))
      throw new Error(`${dir} is missing: run scripts/build.mjs before scripts/build-dashboard.mjs`);
    const file = join(root, dir, DASHBOARD_BUNDLE);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, code);
    files.push(file);
  }
  return { files, bytes: Buffer.byteLength(code) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  buildDashboard(root).then(
    ({ files, bytes }) => console.log(`dashboard script: ${bytes} bytes → ${files.length} file(s)`),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
