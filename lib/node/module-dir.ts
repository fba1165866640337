/**
 * Where the rxmode/node modules were loaded from, without `import.meta` (this source builds to ESM
 * and CommonJS, and the CommonJS pass rejects `import.meta`): the module's own URL or path, read
 * from the V8 call site of this module, else this module's `__filename` in CommonJS. Files shipped
 * with them (the thread entry, the dashboard's script) are found from there; in the bundled ESM
 * build this code sits in a bundle file whose place the build states (see below).
 */
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Set only in the bundled ESM build, by scripts/build.mjs (esbuild's `define`): the rxmode/node
 * folder relative to the folder of the bundle file that holds this module's code (`.` when that is
 * the rxmode/node entry itself, `../node` from a shared chunk). Never declared anywhere else: from
 * source and in the per-file CommonJS build this module lies in the rxmode/node folder itself.
 */
declare const RXMODE_NODE_DIR_FROM_BUNDLE: string | undefined;

/** Where the rxmode/node folder is from the folder of the file holding this module's code. */
function nodeDirFromOwnFile(): string {
  return typeof RXMODE_NODE_DIR_FROM_BUNDLE === 'string' ? RXMODE_NODE_DIR_FROM_BUNDLE : '.';
}

/** The directory of the rxmode/node modules and their extension (`.js` built, `.ts` from source). */
export interface ModuleLocation {
  readonly dir: string;
  readonly ext: string;
}

/** The file of the frame that called this function's caller: this module, from a call site. */
function callSiteFile(): string | undefined {
  const original = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 1;
    Error.prepareStackTrace = (_error, frames) => frames;
    const frames: unknown = new Error().stack;
    if (!Array.isArray(frames)) return undefined; // not V8, or call sites not supported
    const file: unknown = (frames[0] as NodeJS.CallSite | undefined)?.getFileName?.();
    return typeof file === 'string' && file !== '' ? file : undefined;
  } finally {
    Error.prepareStackTrace = original;
    Error.stackTraceLimit = limit;
  }
}

/**
 * This module's CommonJS `__filename`, or undefined in ESM. In CommonJS `__filename` is a parameter
 * of the module wrapper; in ESM the name can only reach a global (set by some tools, or by
 * `node -e`), which says nothing about where this module lives.
 */
function commonJsFile(): string | undefined {
  if (typeof __filename !== 'string') return undefined;
  const global = (globalThis as { __filename?: unknown }).__filename;
  return global === __filename ? undefined : __filename;
}

/**
 * The rxmode/node folder (the directory this module lives in, or the one the bundled ESM build
 * names for it), or undefined when it cannot be told (a bundle that merged the modules, a runtime
 * without V8 call sites running ESM).
 *
 * @remarks The call site comes first: in ESM it is the `file:` URL of the file holding this code
 * (what `import.meta.url` would give), in CommonJS its path. A global `__filename` is never used.
 */
export function moduleLocation(): ModuleLocation | undefined {
  const own = callSiteFile() ?? commonJsFile();
  if (!own) return undefined;
  if (!own.startsWith('file:') && own.includes('://')) return undefined; // not on disk (http:, data:)
  const path = own.startsWith('file:') ? fileURLToPath(own) : own;
  return { dir: join(dirname(path), nodeDirFromOwnFile()), ext: extname(path) || '.js' };
}
