/**
 * Where the rxmode/node modules were loaded from, without `import.meta` (this source builds to ESM
 * and CommonJS): `__filename` in CommonJS, the V8 call site of this module in ESM. Files shipped
 * with them (the thread entry, the dashboard's script) are found from there.
 */
import { dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';

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
    const frames = new Error().stack as unknown as NodeJS.CallSite[] | undefined;
    return frames?.[0]?.getFileName() ?? undefined;
  } finally {
    Error.prepareStackTrace = original;
    Error.stackTraceLimit = limit;
  }
}

/**
 * The directory this module lives in, or undefined when it cannot be told (a bundle that merged
 * the modules, a runtime without V8 call sites).
 */
export function moduleLocation(): ModuleLocation | undefined {
  const own = typeof __filename === 'string' ? __filename : callSiteFile();
  if (!own) return undefined;
  const path = own.startsWith('file:') ? fileURLToPath(own) : own;
  return { dir: dirname(path), ext: extname(path) || '.js' };
}
