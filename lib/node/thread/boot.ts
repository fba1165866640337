/**
 * Finding the thread entry and booting a thread. No `import.meta` here, so the same source builds
 * to ESM and CommonJS: the entry is located from the rxmode/node folder (module-dir.ts: the module's
 * own URL or path from its V8 call site, never a global `__filename`); TypeScript entries and
 * modules boot through tsx.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker as NodeWorker, type ResourceLimits, type WorkerOptions } from 'node:worker_threads';
import { moduleLocation } from '../module-dir.js';
import type { ThreadData } from './protocol.js';

const TS_FILE = /\.[mc]?ts$/;

/** The thread entry, relative to the rxmode/node folder and without extension. */
const ENTRY = 'thread/entry';

let defaultEntry: URL | undefined;

/**
 * @internal A module shipped with rxmode/node, by its path under the rxmode/node folder without
 * extension (`thread/entry`): `.js` in a build (ESM or CommonJS), `.ts` from source under tsx;
 * undefined when the folder cannot be found (a bundle that merged the modules).
 */
export function shippedModule(relative: string): URL | undefined {
  const location = moduleLocation();
  return location && pathToFileURL(join(location.dir, `${relative}${location.ext}`));
}

/**
 * The thread entry shipped with rxmode/node: `thread/entry.js` in a build (ESM or CommonJS),
 * `thread/entry.ts` when running from source under tsx.
 *
 * @throws TypeError when the location cannot be found (a bundle that merged the modules): pass the
 * `entry` option of ThreadService then.
 */
export function defaultThreadEntry(): URL {
  defaultEntry ??= shippedModule(ENTRY);
  if (!defaultEntry) {
    throw new TypeError(
      'cannot locate the rxmode/node thread entry: pass the `entry` option of ThreadService',
    );
  }
  return defaultEntry;
}

/** Resolves tsx's ESM API (`tsx/esm/api`) from `fromFile`, through tsx's own exports map. */
function resolveTsxApi(fromFile: string): string | undefined {
  try {
    const packageJson = createRequire(fromFile).resolve('tsx/package.json');
    const manifest = JSON.parse(readFileSync(packageJson, 'utf8')) as {
      exports?: Record<string, { import?: string | { default?: string } } | undefined>;
    };
    const target = manifest.exports?.['./esm/api']?.import;
    const file = typeof target === 'string' ? target : target?.default;
    return file ? pathToFileURL(join(dirname(packageJson), file)).href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The parent's Node options for the thread, without `--input-type`: it describes the parent's
 * `-e`/stdin code, and a thread inheriting it refuses to load its entry from a file
 * (`ERR_INPUT_TYPE_NOT_ALLOWED`), as under `node --input-type=module -e`.
 */
function threadExecArgv(): string[] {
  const argv: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i]!;
    if (arg === '--input-type') {
      i++; // its value follows
    } else if (!arg.startsWith('--input-type=')) {
      argv.push(arg);
    }
  }
  return argv;
}

/** Options of {@link bootThread}. */
export interface BootOptions {
  readonly entry: URL;
  readonly data: ThreadData;
  readonly resourceLimits?: ResourceLimits;
  readonly name?: string;
}

/**
 * Starts a thread running `entry` with `data` as `workerData`.
 *
 * @remarks Compiled `.js` entries and modules start directly. When the entry or the module is
 * TypeScript, the thread boots from a small inline script that registers tsx (resolved from the
 * module, then from the entry, then from the working directory) and then imports the entry: Node 20
 * cannot load a `.ts` thread otherwise, even when the parent runs under tsx. The thread gets the
 * parent's Node options except `--input-type`.
 */
export function bootThread(options: BootOptions): NodeWorker {
  const { entry, data } = options;
  const extra = {
    workerData: data,
    execArgv: threadExecArgv(),
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    ...(options.name ? { name: options.name } : {}),
  };
  return launchThread(entry, extra, [new URL(data.module)]);
}

/**
 * @internal Starts a thread running `entry`: directly when it and every module of `loads` are
 * compiled JavaScript, else through the tsx boot script (tsx resolved from `loads`, then from the
 * entry, then from the working directory).
 */
export function launchThread(entry: URL, extra: WorkerOptions, loads: readonly URL[] = []): NodeWorker {
  const typescript = [entry, ...loads].some((url) => TS_FILE.test(url.pathname));
  if (!typescript) return new NodeWorker(entry, extra);
  const candidates = [...loads, entry]
    .filter((url) => url.protocol === 'file:')
    .map((url) => fileURLToPath(url));
  let tsx: string | undefined;
  for (const file of candidates) if (!tsx) tsx = resolveTsxApi(file);
  const boot =
    `import(${JSON.stringify(tsx ?? 'tsx/esm/api')})` +
    `.then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new NodeWorker(boot, { ...extra, eval: true });
}
