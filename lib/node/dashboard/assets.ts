/**
 * The dashboard's browser script: a bundle of `client/main.ts` and the browser-safe core it imports,
 * made by esbuild. A build ships it as `dashboard/client.bundle.js` in the rxmode/node folder
 * (scripts/build-dashboard.mjs; `tsc` never compiles the client); running from source, it is
 * bundled on the fly on first request.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { moduleLocation } from '../module-dir.js';

/** The built script, relative to the rxmode/node folder (dist/esm/node, dist/cjs/node). */
export const DASHBOARD_BUNDLE = 'dashboard/client.bundle.js';

/** The entry module of the page script, relative to the rxmode/node folder, without extension. */
export const DASHBOARD_ENTRY = 'dashboard/client/main';

/**
 * Bundles the page script from its TypeScript entry with esbuild: one self-contained, minified
 * browser script (an IIFE, ES2020), no CDN and no import at run time.
 *
 * @remarks Used by scripts/build-dashboard.mjs at build time and by {@link dashboardScript} when
 * running from source. esbuild is a development dependency of rxmode: it is imported here only.
 * @param entry - the path of `client/main.ts`
 * @returns the script's source text
 * @throws Error when esbuild is not installed or the bundle fails (its messages included).
 * @example
 * ```ts
 * const code = await bundleDashboardScript('lib/node/dashboard/client/main.ts');
 * ```
 */
export async function bundleDashboardScript(entry: string): Promise<string> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (error) {
    throw new Error(
      'the dashboard script is bundled from source with esbuild, which is not installed ' +
        '(npm install --save-dev esbuild, or use a build of rxmode)',
      { cause: error },
    );
  }
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced nothing for ${entry}`);
  return output.text;
}

let script: Promise<string> | undefined;

/**
 * The page script: the built bundle when there is one, else bundled from the TypeScript source
 * of the client (once per process; a failure is retried at the next call).
 *
 * @throws Error naming the missing file when neither the bundle nor the source can be found.
 */
export function dashboardScript(): Promise<string> {
  script ??= findScript().catch((error: unknown) => {
    script = undefined;
    throw error;
  });
  return script;
}

async function findScript(): Promise<string> {
  const where = moduleLocation();
  if (!where)
    throw new Error('cannot locate the dashboard script: rxmode/node was bundled into another file');
  const built = join(where.dir, DASHBOARD_BUNDLE);
  if (existsSync(built)) return readFile(built, 'utf8');
  const source = join(where.dir, `${DASHBOARD_ENTRY}.ts`);
  if (existsSync(source)) return bundleDashboardScript(source);
  throw new Error(
    `the dashboard script is missing: ${built} was not built (scripts/build-dashboard.mjs writes it)`,
  );
}
